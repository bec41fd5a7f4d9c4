"""The real worker in its own process, for the crash tests: started, killed with SIGKILL (no
graceful shutdown: a crash), started again on the same task queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings: Settings) -> dict[str, str]:
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
    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None) -> None:
        self._env = {**worker_env(settings), **(extra_env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"],
                                        cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # no graceful shutdown: a crash
        assert self.process.wait(10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


@pytest.fixture
def worker_process(e2e_settings: Settings) -> Iterator[WorkerProcess]:
    """A worker process on the test's task queue, started (wait for `has_pollers`); a plugin
    of tests/conftest.py."""
    worker = WorkerProcess(e2e_settings)
    worker.start()
    yield worker
    worker.stop()


async def has_pollers(client: Client, task_queue: str) -> bool:
    """A worker polls the task queue's activities (it is up)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    described = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))
    return bool(described.pollers)
