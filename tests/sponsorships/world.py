"""The people of a sponsorship, made in the database: a sponsor in France paying in EUR, a
beneficiary in Douala with her doctor (fees in XAF, teleconsultations on Monday afternoons,
an active care link), and the Monday slot she is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AvailabilityRule, Balance, BillingAddress, CareLink, User
from domain.accounts import Role
from tests.support.users import TestUser, make_user

DOUALA = ZoneInfo("Africa/Douala")


def next_monday_at(hour: int, weeks_ahead: int = 1) -> datetime:
    """A Monday at least a week away, at `hour` in Douala, in UTC: past any notice."""
    today = datetime.now(UTC).astimezone(DOUALA).date()
    days = (7 - today.weekday()) % 7 or 7
    day = today + timedelta(days=days + 7 * weeks_ahead)
    return datetime.combine(day, time(hour), DOUALA).astimezone(UTC)


@dataclass
class World:
    sponsor: TestUser
    sponsor_address: str
    beneficiary: TestUser
    doctor: TestUser
    slot: datetime

    def body(self, **changes: Any) -> dict[str, Any]:
        """A sponsorship request for the Monday 14:00 teleconsultation, paid by card."""
        return {"beneficiary_esame_id": self.beneficiary.esame_id,
                "doctor_id": self.doctor.id, "type": "teleconsultation",
                "start": self.slot.isoformat(), "message": "Bon courage, maman !",
                "billing_address_id": self.sponsor_address, "payment_method": "card",
                **changes}


async def name(sessions: SessionMaker, user: TestUser, first: str, last: str,
               language: str = "en") -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(
            first_name=first, last_name=last, language=language))


async def link(sessions: SessionMaker, patient: TestUser, doctor: TestUser,
               status: str = "active") -> None:
    async with sessions() as session, session.begin():
        session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status=status))


async def make_world(sessions: SessionMaker, settings: Settings) -> World:
    sponsor = await make_user(sessions, settings, Role.patient, currency="EUR",
                              timezone="Europe/Paris")
    beneficiary = await make_user(sessions, settings, Role.patient, phone="+237670000321")
    doctor = await make_user(sessions, settings, Role.doctor)
    await name(sessions, sponsor, "Jean", "Dupont")
    await name(sessions, beneficiary, "Aïcha", "Bello", language="fr")
    await name(sessions, doctor, "Paul", "Mbarga")
    await link(sessions, beneficiary, doctor)
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=sponsor.id, line1="3 rue de Rivoli", city="Paris",
                                 country="FR")
        session.add(address)
        session.add(AvailabilityRule(doctor_id=doctor.id, weekday=1, start_minute=14 * 60,
                                     end_minute=16 * 60, type="teleconsultation",
                                     slot_minutes=20))
        # Her SMS balance, so that she is told by SMS (SMS count against the recipient's).
        session.add(Balance(user_id=beneficiary.id, sms_plan=0, sms_purchased=5,
                            storage_extra_bytes=0))
        await session.flush()
        address_id = address.id
    return World(sponsor=sponsor, sponsor_address=address_id, beneficiary=beneficiary,
                 doctor=doctor, slot=next_monday_at(14))
