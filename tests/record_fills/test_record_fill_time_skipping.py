"""A record fill nobody completes, on the time-skipping server with the real worker and the
API: after `record_fill_within` (P7D) it expires, the patient is refunded in full by the
process's compensation, both are told, and the doctor's access is gone. Paid by card at
the sandbox, and by MTN Mobile Money (a local MTN peer), whose refund is pending first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from core.temporal_client import ensure_search_attributes
from db.models import Payment, RecordFill, RecordFillGrant
from domain.record_fills import RecordFillState, RecordFillStatus, record_fill_workflow_id
from providers.payments.mtn_momo import reference_id
from tests.accounts.flows import outbox
from tests.payments.mtn_peer import MtnPeer
from tests.payments.support import api_with_worker, with_mtn
from tests.record_fills.support import (
    ANTECEDENT,
    ask,
    fill_status,
    paid_fill,
    patient_and_doctor,
)

pytestmark = pytest.mark.db


async def test_not_completed_in_time_expires_and_is_refunded(time_skipping_env, sessions,
                                                             settings) -> None:
    await ensure_search_attributes(time_skipping_env.client, settings)
    async with api_with_worker(settings, sessions, time_skipping_env) as api:
        pair = await patient_and_doctor(sessions, settings, api)
        fill = await paid_fill(api, pair)
        record_path = f"/api/v1/patients/{pair.patient.id}/record"
        added = await api.post(f"{record_path}/antecedents", json=ANTECEDENT,
                               headers=pair.doctor.headers)
        assert added.status_code == 201, added.text

        handle = time_skipping_env.client.get_workflow_handle(
            record_fill_workflow_id(fill["id"]), result_type=RecordFillState)
        started = await time_skipping_env.get_current_time()
        await time_skipping_env.sleep(settings.durations.record_fill_within)
        await _skip_until(time_skipping_env, lambda: _refunded(sessions, fill["payment_id"]))
        state = await handle.result()
        assert state.status is RecordFillStatus.expired
        elapsed = await time_skipping_env.get_current_time() - started
        assert elapsed >= settings.durations.record_fill_within

        async with sessions() as session:
            row = await session.get(RecordFill, fill["id"])
            assert row is not None and row.status == "expired" and row.closed_at is not None
            payment = await session.get(Payment, fill["payment_id"])
            assert payment is not None
            assert (payment.status, payment.refund_status) == ("refunded", "succeeded")
            assert (await session.scalars(select(RecordFillGrant))).all() == []
        seen = (await api.get(f"/api/v1/record-fill-requests/{fill['id']}",
                              headers=pair.patient.headers)).json()
        assert (seen["status"], seen["refund_status"]) == ("expired", "succeeded")
        (told,) = await outbox(api, pair.patient.email, "record_fill_expired")
        assert told["data"]["price"] == "8000 XAF"
        assert len(await outbox(api, pair.doctor.email, "record_fill_expired_doctor")) == 1
        assert await outbox(api, pair.patient.email, "record_fill_completed") == []
        # The access ended with the process; what the doctor added stays the patient's.
        assert (await api.get(record_path, headers=pair.doctor.headers)).status_code == 404
        record = (await api.get("/api/v1/me/record", headers=pair.patient.headers)).json()
        assert [a["id"] for a in record["antecedents"]] == [added.json()["id"]]
        late = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                              json={}, headers=pair.doctor.headers)
        assert late.status_code == 409
        mine = (await api.get("/api/v1/me/requests", headers=pair.patient.headers)).json()
        assert [i["status"] for i in mine["items"]] == ["expired"]


async def _refunded(sessions, payment_id: str) -> bool:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        payment = await session.get(Payment, payment_id, populate_existing=True)
        return payment is not None and payment.refund_status == "succeeded"


async def _skip_until(env, done: Callable[[], Awaitable[bool]],  # type: ignore[no-untyped-def]
                      step: timedelta = timedelta(seconds=10), most: int = 60) -> None:
    """Move the server's clock on by `step` until `done` (a handle got by id, not started
    here, does not skip time while awaiting its result); fails after `most` steps."""
    for _ in range(most):
        if await done():
            return
        await env.sleep(step)
    raise AssertionError(f"not done after {most} steps of {step}")


@pytest.fixture
def mtn(httpserver: HTTPServer) -> Iterator[MtnPeer]:
    """A local MTN MoMo peer (Collections and Disbursements)."""
    peer = MtnPeer(httpserver)
    peer.install()
    yield peer


async def test_a_mobile_money_fill_expires_and_the_refund_is_paid_back_later(
    time_skipping_env, sessions, settings, mtn
) -> None:
    """Paid with MTN MoMo (found by the payment's poll); expired; MTN answers the refund
    PENDING first, then SUCCESSFUL: the fill ends once the money is back."""
    mtn_settings = with_mtn(settings, mtn)
    await ensure_search_attributes(time_skipping_env.client, mtn_settings)
    async with api_with_worker(mtn_settings, sessions, time_skipping_env) as api:
        pair = await patient_and_doctor(sessions, mtn_settings, api)
        created = await ask(api, pair, payment_method="mobile_money", operator="mtn",
                            phone="+237670001122")
        assert created.status_code == 201, created.text
        fill = created.json()
        assert fill["payment"]["provider"] == "mtn_momo"
        reference = reference_id(fill["payment"]["id"])
        mtn.payer_answers(reference, "SUCCESSFUL")

        async def in_progress() -> bool:
            return await fill_status(api, pair.patient, fill["id"]) == "in_progress"

        await _skip_until(time_skipping_env, in_progress)  # the payment's poll finds it

        await time_skipping_env.sleep(mtn_settings.durations.record_fill_within)
        # The refund is polled at MTN (10 s, then 20 s more): skip through it.
        await _skip_until(time_skipping_env, lambda: _refunded(sessions, fill["payment"]["id"]))
        handle = time_skipping_env.client.get_workflow_handle(
            record_fill_workflow_id(fill["id"]), result_type=RecordFillState)
        assert (await handle.result()).status is RecordFillStatus.expired
        [refund] = mtn.refunds.values()
        assert refund["status"] == "SUCCESSFUL" and refund["checks"] == 2  # PENDING, then paid
        seen = (await api.get(f"/api/v1/record-fill-requests/{fill['id']}",
                              headers=pair.patient.headers)).json()
        assert (seen["status"], seen["refund_status"]) == ("expired", "succeeded")
        async with sessions() as session:
            payment = await session.get(Payment, fill["payment"]["id"])
            assert payment is not None and payment.status == "refunded"
        assert len(await outbox(api, pair.patient.email, "record_fill_expired")) == 1
