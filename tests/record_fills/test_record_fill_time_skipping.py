"""A record fill nobody completes, on the time-skipping server with the real worker, the
API and the sandbox: after `record_fill_within` (P7D) it expires, the patient is refunded in
full by the process's compensation, both are told, and the doctor's access is gone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.temporal_client import ensure_search_attributes
from db.models import Payment, RecordFill, RecordFillGrant
from domain.record_fills import RecordFillState, RecordFillStatus, record_fill_workflow_id
from tests.accounts.flows import outbox
from tests.payments.support import api_with_worker
from tests.record_fills.support import ANTECEDENT, paid_fill, patient_and_doctor

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
