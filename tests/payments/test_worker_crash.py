"""The worker dies after the provider accepted the charge and before the workflow recorded
it; a new worker picks the payment up: exactly one charge, one invoice, one credit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from core.settings import Settings
from db.models import Invoice, SandboxCharge
from db.queries.entitlements import load_entitlements
from db.queries.sandbox import DbSandboxLedger
from tests.payments.support import checkout, count, eventually, paying_patient, payment_fields

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ESAME_ENV": settings.env,
        "ESAME_DATABASE_URL": settings.database_url,
        "ESAME_SECRET_KEY": settings.secret_key,
        "ESAME_PUBLIC_BASE_URL": settings.public_base_url,
        "ESAME_DATA_DIR": str(settings.data_dir),
        "ESAME_TEMPORAL__ADDRESS": settings.temporal.address,
        "ESAME_TEMPORAL__TASK_QUEUE": settings.temporal.task_queue,
        "ESAME_PAYMENTS__SANDBOX_WEBHOOK_SECRET": settings.payments.sandbox_webhook_secret,
    }


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self._env = _worker_env(settings)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"],
                                        cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # no graceful shutdown: a crash
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


@pytest.fixture
def worker_process(e2e_settings: Settings) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(e2e_settings)
    worker.start()
    yield worker
    worker.stop()


async def _has_pollers(client: Client, task_queue: str) -> bool:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    described = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))
    return bool(described.pollers)


async def test_worker_killed_between_charge_and_record(api, sessions, e2e_settings,
                                                       temporal_env, worker_process) -> None:
    client = temporal_env.client
    await eventually(lambda: _has_pollers(client, e2e_settings.temporal.task_queue), 60)
    user, address = await paying_patient(sessions, e2e_settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"storage_gb": 2, **payment_fields(address)}, timeout=60)
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]

    worker_process.kill()
    # The provider accepts the charge; its webhook reaches Temporal, but no worker runs the
    # workflow to record it.
    await checkout(api, payment, "succeed")
    await asyncio.sleep(0.5)
    still = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert still["status"] == "pending"

    worker_process.start()
    handle = client.get_workflow_handle(f"purchase-{created.json()['purchase_id']}")
    await asyncio.wait_for(handle.result(), 90)

    seen = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert seen["status"] == "succeeded"
    assert await count(sessions, SandboxCharge, SandboxCharge.payment_id == payment["id"]) == 1
    charge = await DbSandboxLedger(sessions).get(payment["id"])
    assert charge is not None and charge.status == "succeeded" and charge.create_calls == 1
    assert await count(sessions, Invoice, Invoice.user_id == user.id) == 1
    async with sessions() as session:
        entitlements = await load_entitlements(session, user.id)
    assert entitlements.storage_quota_bytes == 3 * 1024**3  # 1 GB free + 2 GB, credited once
