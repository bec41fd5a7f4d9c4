"""The database decides who gets a slot: no two live appointments of a doctor overlap, on
SQLite (triggers) and PostgreSQL (an exclusion constraint), refused in the inserting
transaction itself. Run on PostgreSQL with ESAME_TEST_DATABASE_URL set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Appointment
from db.queries.slots import live_appointments, take_hold, taken_intervals
from domain.accounts import Role
from domain.appointments import LIVE_STATUSES, AppointmentStatus, AppointmentType, SlotTaken
from domain.ids import new_id
from domain.slots import Interval
from tests.agendas.conftest import hold, next_reference, set_status
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def _try_hold(sessions: SessionMaker, doctor: TestUser, patient: TestUser,
                    start: datetime, minutes: int) -> str | None:
    """The appointment's id if the hold was taken, None if the slot was taken."""
    async with sessions() as session:
        try:
            row = await take_hold(
                session, appointment_id=new_id(), reference=next_reference(),
                patient_id=patient.id, doctor_id=doctor.id, type=AppointmentType.office,
                start=start, end=start + timedelta(minutes=minutes),
                hold_expires_at=datetime.now(UTC) + timedelta(minutes=15))
            await session.commit()
        except SlotTaken:
            return None
        return row.id


async def _live_rows(sessions: SessionMaker, doctor: TestUser) -> list[Appointment]:
    async with sessions() as session:
        return list(await session.scalars(select(Appointment).where(
            Appointment.doctor_id == doctor.id,
            Appointment.status.in_([s.value for s in LIVE_STATUSES]))))


async def test_twenty_patients_race_for_one_slot_and_one_gets_it(
    sessions: SessionMaker, settings: Settings, doctor: TestUser
) -> None:
    patients = [await make_user(sessions, settings, Role.patient) for _ in range(20)]
    results = await asyncio.gather(*(_try_hold(sessions, doctor, patient, START, 30)
                                     for patient in patients))
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    rows = await _live_rows(sessions, doctor)
    assert [row.id for row in rows] == winners
    assert rows[0].status == AppointmentStatus.pending_payment


async def test_every_writer_saw_the_slot_free_and_still_only_one_row(
    sessions: SessionMaker, settings: Settings, doctor: TestUser, patient: TestUser
) -> None:
    """Check-then-insert at its worst: twelve transactions all find no overlapping live
    appointment, wait for each other, then insert with plain SQL (no query module in the
    way). The database alone turns eleven away."""
    racers = 12
    checked = asyncio.Barrier(racers)

    async def check_then_insert(minutes: int) -> bool:
        async with sessions() as session:
            overlapping = await session.scalar(select(func.count()).select_from(Appointment)
                                               .where(Appointment.doctor_id == doctor.id))
            assert overlapping == 0
            await checked.wait()
            try:
                await session.execute(insert(Appointment).values(
                    id=new_id(), reference=next_reference(), patient_id=patient.id,
                    doctor_id=doctor.id, type="office", status="confirmed", start_at=START,
                    end_at=START + timedelta(minutes=minutes), created_at=START,
                    updated_at=START))
                await session.commit()
            except IntegrityError as err:
                assert "appointments_no_overlap" in str(err.orig)
                return False
            return True

    results = await asyncio.gather(*(check_then_insert(15 + i * 5) for i in range(racers)))
    assert results.count(True) == 1
    assert len(await _live_rows(sessions, doctor)) == 1


async def test_overlapping_holds_of_different_lengths(
    sessions: SessionMaker, settings: Settings, doctor: TestUser, patient: TestUser
) -> None:
    assert await _try_hold(sessions, doctor, patient, START, 60)  # 09:00–10:00
    for start, minutes in [(START, 15), (START + timedelta(minutes=45), 30),
                           (START - timedelta(minutes=10), 20),
                           (START - timedelta(minutes=30), 120),
                           (START + timedelta(minutes=20), 10)]:
        assert await _try_hold(sessions, doctor, patient, start, minutes) is None, (start,
                                                                                     minutes)
    # Touching is not overlapping; another doctor's agenda is another agenda.
    assert await _try_hold(sessions, doctor, patient, START + timedelta(hours=1), 20)
    assert await _try_hold(sessions, doctor, patient, START - timedelta(minutes=45), 45)
    other = await make_user(sessions, settings, Role.doctor)
    assert await _try_hold(sessions, other, patient, START, 60)
    assert len(await _live_rows(sessions, doctor)) == 3


@pytest.mark.parametrize("released", [AppointmentStatus.canceled, AppointmentStatus.expired,
                                      AppointmentStatus.payment_failed])
async def test_a_released_appointment_frees_its_slot(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser, released: AppointmentStatus
) -> None:
    first = await hold(sessions, doctor, patient, START, status=AppointmentStatus.confirmed)
    assert await _try_hold(sessions, doctor, patient, START, 30) is None
    await set_status(sessions, first, released)
    second = await _try_hold(sessions, doctor, patient, START, 30)
    assert second is not None
    # Bringing the first one back to life is refused too (an update, not only an insert).
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        await set_status(sessions, first, AppointmentStatus.confirmed)
    async with sessions() as session:
        assert (await session.get(Appointment, first)).status == released  # type: ignore[union-attr]


async def test_only_live_statuses_hold_a_slot(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    """The statuses the database treats as live are exactly `LIVE_STATUSES`."""
    for status in AppointmentStatus:
        await hold(sessions, doctor, patient, START, status=status)
        taken = await _try_hold(sessions, doctor, patient, START, 30)
        assert (taken is None) == (status in LIVE_STATUSES), status
        async with sessions() as session, session.begin():
            await session.execute(update(Appointment).where(Appointment.doctor_id == doctor.id)
                                  .values(status=AppointmentStatus.canceled.value))


async def test_moving_a_live_appointment_onto_another_is_refused(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    await hold(sessions, doctor, patient, START, status=AppointmentStatus.confirmed)
    later = await hold(sessions, doctor, patient, START + timedelta(hours=2))
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        async with sessions() as session, session.begin():
            await session.execute(update(Appointment).where(Appointment.id == later).values(
                start_at=START + timedelta(minutes=15), end_at=START + timedelta(minutes=45)))


async def test_a_replayed_hold_answers_the_same_row_and_a_reused_reference_is_not_slot_taken(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    kwargs = {"appointment_id": new_id(), "reference": next_reference(),
              "patient_id": patient.id, "doctor_id": doctor.id, "type": AppointmentType.office,
              "start": START, "end": START + timedelta(minutes=30), "hold_expires_at": START}
    async with sessions() as session:
        first = await take_hold(session, **kwargs)  # type: ignore[arg-type]
        await session.commit()
    async with sessions() as session:
        again = await take_hold(session, **kwargs)  # type: ignore[arg-type]
        assert again.id == first.id
    with pytest.raises(IntegrityError, match="reference"):
        async with sessions() as session:
            await take_hold(session, **{**kwargs, "appointment_id": new_id(),  # type: ignore[arg-type]
                                        "start": START + timedelta(days=1),
                                        "end": START + timedelta(days=1, minutes=30)})


async def test_taken_intervals_and_live_appointments_of_a_range(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    await hold(sessions, doctor, patient, START, 60, status=AppointmentStatus.confirmed)
    await hold(sessions, doctor, patient, START + timedelta(hours=2))
    await hold(sessions, doctor, patient, START + timedelta(hours=4),
               status=AppointmentStatus.canceled)
    await hold(sessions, doctor, patient, START + timedelta(days=3))
    async with sessions() as session:
        taken = await taken_intervals(session, doctor.id, START + timedelta(minutes=30),
                                      START + timedelta(hours=6))
        live = await live_appointments(session, doctor.id, START, START + timedelta(hours=6))
    assert taken == [Interval(START, START + timedelta(hours=1)),
                     Interval(START + timedelta(hours=2),
                              START + timedelta(hours=2, minutes=30))]
    assert [(a.start_at, p.id) for a, p in live] == [(START, patient.id),
                                                    (START + timedelta(hours=2), patient.id)]
