"""A declined opinion paid by MTN Mobile Money is refunded by a disbursement: the refund is
pending at MTN (polled), then paid; the request shows `refund_status` pending, then
succeeded (the local MTN peer, the API and the real worker on the dev server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from providers.payments.mtn_momo import reference_id
from tests.opinions.flows import SUMMARY
from tests.opinions.support import people, row_of
from tests.payments.conftest import mtn  # noqa: F401 (the fixture)
from tests.payments.mtn_peer import MtnPeer
from tests.payments.support import api_with_worker, eventually, with_mtn

pytestmark = pytest.mark.db


@pytest.fixture
def mtn_settings(e2e_settings: Settings, mtn: MtnPeer) -> Settings:  # noqa: F811
    return with_mtn(e2e_settings, mtn).model_copy(update={
        "durations": e2e_settings.durations.model_copy(update={
            "payment_poll_initial": timedelta(milliseconds=300),
            "payment_poll_max": timedelta(seconds=1)})})


@pytest.fixture
async def mtn_api(mtn_settings: Settings, sessions: SessionMaker,
                  temporal_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    async with api_with_worker(mtn_settings, sessions, temporal_env) as client:
        yield client


async def test_a_declined_opinion_paid_by_mtn_is_refunded_pending_then_paid(
        mtn_api: httpx.AsyncClient, mtn: MtnPeer, mtn_settings: Settings,  # noqa: F811
        sessions: SessionMaker) -> None:
    who = await people(sessions, mtn_settings)
    p = who.patient.headers
    address = (await mtn_api.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                                  headers=p)).json()["id"]
    created = await mtn_api.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": who.doctor.id, "reason": "Douleurs thoraciques", **SUMMARY})
    request_id = created.json()["id"]
    submitted = await mtn_api.post(f"/api/v1/opinion-requests/{request_id}/submit", headers=p,
                                   json={"billing_address_id": address,
                                         "payment_method": "mobile_money", "operator": "mtn",
                                         "phone": "+237670001122"})
    assert submitted.status_code == 201, submitted.text
    payment = submitted.json()["payment"]
    assert payment["provider"] == "mtn_momo"
    mtn.payer_answers(reference_id(payment["id"]), "SUCCESSFUL")  # found by the poll

    async def status(wanted: str) -> dict[str, Any] | None:
        got = (await mtn_api.get(f"/api/v1/opinion-requests/{request_id}", headers=p)).json()
        return got if got["status"] == wanted else None

    await eventually(lambda: status("transmitted"))
    mtn.refund_checks_before_final = 3  # PENDING at MTN three times, then SUCCESSFUL
    declined = await mtn_api.post(f"/api/v1/doctor/opinion-requests/{request_id}/decline",
                                  headers=who.doctor.headers, json={"reason": "Hors spécialité"})
    assert declined.status_code == 200, declined.text
    first = await eventually(lambda: status("declined"))
    assert first["refund_status"] == "pending"

    async def refunded() -> bool:
        return (await row_of(sessions, request_id)).refund_status == "succeeded"

    await eventually(refunded, within=30)
    assert len(mtn.refunds) == 1
    (sent,) = mtn.refunds.values()
    assert sent["amount"] == "20000" and sent["payee"]["partyId"] == "237670001122"
