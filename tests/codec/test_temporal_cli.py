"""Temporal's own CLI reads a history through the codec endpoint, as the README tells admins
to (`temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.routers.temporal_codec import PREFIX
from core.payload_codec import ENCODING
from core.settings import Settings
from core.temporal_client import data_converter
from db.engine import SessionMaker
from domain.accounts import Role
from tests.codec.support import production
from tests.conftest import BIN, temporal_address
from tests.payments.support import free_port, served_api
from tests.support.users import make_user

pytestmark = pytest.mark.db

DETAILS = {"email": "clarisse.ndjock@example.com", "reason": "palpitations at night"}


def _texts(value: Any) -> list[str]:
    """Every string of the CLI's JSON, payload data base64-decoded."""
    if isinstance(value, dict):
        found = [t for v in value.values() for t in _texts(v)]
        if isinstance(value.get("data"), str):
            found.append(base64.b64decode(value["data"]).decode(errors="replace"))
        return found
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


async def _show(temporal_env: WorkflowEnvironment, workflow_id: str,
                *codec: str) -> tuple[int, str]:
    """The CLI's exit code, and what it shows of the history."""
    process = await asyncio.create_subprocess_exec(
        str(BIN / "temporal"), "workflow", "show", "--workflow-id", workflow_id,
        "--address", temporal_address(temporal_env), "--output", "json", *codec,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        return process.returncode or 1, out.decode() + err.decode()
    return 0, "\n".join(_texts(json.loads(out)))


async def test_the_temporal_cli_decodes_through_the_endpoint(
    settings: Settings, sessions: SessionMaker, temporal_env: WorkflowEnvironment,
) -> None:
    prod = production(settings)
    # A run started by a production client: payloads encrypted with the deployment's key.
    client = Client(temporal_env.client.service_client, namespace="default",
                    data_converter=data_converter(prod.temporal))
    workflow_id = f"cli-{uuid.uuid4().hex}"
    handle = await client.start_workflow("SomeProcess", DETAILS, id=workflow_id,
                                         task_queue=f"nobody-{uuid.uuid4().hex}")
    try:
        admin = await make_user(sessions, prod, Role.admin)
        patient = await make_user(sessions, prod, Role.patient)
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}{PREFIX}"
        async with served_api(prod, sessions, client, port):
            code, decoded = await _show(temporal_env, workflow_id, "--codec-endpoint",
                                        endpoint, "--codec-auth", f"Bearer {admin.token}")
            assert code == 0, decoded
            assert DETAILS["email"] in decoded and DETAILS["reason"] in decoded

            code, shown = await _show(temporal_env, workflow_id)
            assert code == 0 and base64.b64encode(ENCODING).decode() in shown
            assert DETAILS["email"] not in shown and DETAILS["reason"] not in shown

            # The codec answers a patient 403: the CLI shows nothing (it retries the codec until
            # its command times out).
            code, shown = await _show(temporal_env, workflow_id, "--codec-endpoint", endpoint,
                                      "--codec-auth", f"Bearer {patient.token}",
                                      "--command-timeout", "2s")
            assert code != 0
            assert DETAILS["email"] not in shown and DETAILS["reason"] not in shown
    finally:
        await handle.terminate()
