"""Fixtures of the account processes' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker
from domain.messages import TEMPLATES
from workers.main import WorkerDeps, activities, workflows


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server with the real workflows and activities on this test's
    task queue."""
    # The test server knows no search attribute until told (the dev server is started
    # with them).
    await ensure_search_attributes(time_skipping_env.client, settings)
    deps = WorkerDeps.from_settings(settings, sessions)
    async with Worker(time_skipping_env.client, task_queue=settings.temporal.task_queue,
                      workflows=workflows(), activities=activities(deps)):
        yield time_skipping_env


@pytest.fixture
def accepted_template() -> Iterator[None]:
    """On main an accepted link's run fails on the template name `doctor_invitation_active`
    (issue 8, fixed on its own branch): supply it, so that a test sees the run an accepted
    link keeps open rather than the one a removal starts for a closed run."""
    added = "doctor_invitation_active" not in TEMPLATES
    if added:
        TEMPLATES["doctor_invitation_active"] = TEMPLATES["doctor_invitation_accepted"]
    yield
    if added:
        del TEMPLATES["doctor_invitation_active"]
