"""Key rotation: a process started under key A goes on, and completes, once key B is the
newest; its history then holds payloads of both keys and decodes with both configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.account_processes import account_timings
from api.app import create_app
from core.payload_codec import KEY_ID, EncryptionCodec, PayloadCodecError, decode_in_place
from core.settings import Settings
from core.temporal_client import data_converter
from db.engine import SessionMaker
from domain.accounts import AccountOutcome, AccountStatus, AccountValidationInput
from tests.accounts.flows import PROFILE, latest_code, new_email, register, validate
from tests.codec.support import KEY_A, KEY_B, payloads_in, with_keys
from workers.main import WORKFLOW_RUNNER, WorkerDeps, build_worker
from workflows.account_validation import AccountValidationWorkflow

pytestmark = pytest.mark.db


@asynccontextmanager
async def deployment(settings: Settings, sessions: SessionMaker,
                     temporal_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker configured with these settings' keys."""
    client = Client(temporal_env.client.service_client, namespace=settings.temporal.namespace,
                    data_converter=data_converter(settings.temporal))
    app = create_app(settings, sessions=sessions, temporal=client)
    async with build_worker(client, WorkerDeps.from_settings(settings, sessions)), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                              base_url="http://testserver") as api:
        yield api


async def test_a_run_started_under_key_a_completes_after_key_b_is_the_newest(
    e2e_settings: Settings, sessions: SessionMaker, temporal_env: WorkflowEnvironment,
) -> None:
    under_a = with_keys(e2e_settings, KEY_A)
    rotated = with_keys(e2e_settings, KEY_A, KEY_B)
    email = new_email("rotation")
    async with deployment(under_a, sessions, temporal_env) as api:
        assert (await register(api, email)).status_code == 202
        headers = await validate(api, email)
        user_id = (await api.get("/api/v1/me", headers=headers)).json()["id"]

    # Every API and worker process now runs with [A, B]: B encrypts, A still decrypts. The
    # new worker has none of the run in its cache: it replays the part written under A.
    async with deployment(rotated, sessions, temporal_env) as api:
        assert (await api.put("/api/v1/me/profile", json=PROFILE,
                              headers=headers)).status_code == 200
        code = await latest_code(api, email)
        assert (await api.post("/api/v1/me/verification", json={"code": code},
                               headers=headers)).status_code == 200
        consent = await api.post("/api/v1/me/consent", json={"share_medical_data": True},
                                 headers=headers)
        assert consent.json()["status"] == "active", consent.text
        handle = temporal_env.client.get_workflow_handle(f"account-{user_id}")
        fetched = await handle.fetch_history()

    history = History(events=fetched.events)
    keys_used = {p.metadata[KEY_ID].decode() for _, p in payloads_in(history)
                 if KEY_ID in p.metadata}
    assert keys_used == {"2026-a", "2027-b"}
    for only_one in ([KEY_A], [KEY_B]):
        with pytest.raises(PayloadCodecError):
            await decode_in_place(EncryptionCodec(only_one), History(events=fetched.events))

    await decode_in_place(EncryptionCodec(rotated.temporal.codec.keys), history)
    converter = data_converter(rotated.temporal).payload_converter
    started = history.events[0].workflow_execution_started_event_attributes
    assert converter.from_payloads(list(started.input.payloads), [AccountValidationInput]) == [
        AccountValidationInput(user_id=user_id, timings=account_timings(e2e_settings))]
    completed = history.events[-1].workflow_execution_completed_event_attributes
    assert converter.from_payloads(list(completed.result.payloads), [AccountOutcome]) == [
        AccountOutcome(user_id=user_id, status=AccountStatus.active)]

    # And a worker with both keys replays the whole run.
    replayer = Replayer(workflows=[AccountValidationWorkflow], workflow_runner=WORKFLOW_RUNNER,
                        data_converter=data_converter(rotated.temporal))
    result = await replayer.replay_workflow(fetched, raise_on_replay_failure=True)
    assert result.replay_failure is None
