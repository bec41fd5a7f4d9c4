"""The worker: every workflow and activity of E-same on one task queue."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.accounts import AccountActivities
from activities.care_links import CareLinkActivities
from activities.invitations import InvitationActivities
from activities.messaging import MessagingActivities
from core.settings import Settings
from core.temporal_client import connect_temporal, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from providers.email import EmailSender, build_email_sender
from providers.sms import SmsSender, build_sms_sender
from workflows.account_exists import AccountExistsNoticeWorkflow
from workflows.account_validation import AccountValidationWorkflow
from workflows.doctor_link import DoctorLinkWorkflow
from workflows.invitation import InvitationWorkflow

log = logging.getLogger(__name__)


@dataclass
class WorkerDeps:
    """What activities are built with; tests swap any of them."""

    settings: Settings
    sessions: SessionMaker
    email: EmailSender
    sms: SmsSender

    @classmethod
    def from_settings(cls, settings: Settings, sessions: SessionMaker) -> WorkerDeps:
        return cls(
            settings=settings,
            sessions=sessions,
            email=build_email_sender(settings.email),
            sms=build_sms_sender(settings.sms),
        )


def workflows() -> list[type]:
    return [
        AccountValidationWorkflow,
        AccountExistsNoticeWorkflow,
        InvitationWorkflow,
        DoctorLinkWorkflow,
    ]


def activities(deps: WorkerDeps) -> list[Callable[..., Any]]:
    messaging = MessagingActivities(deps.sessions, deps.email, deps.sms)
    accounts = AccountActivities(deps.settings, deps.sessions, messaging)
    invitations = InvitationActivities(deps.settings, deps.sessions, messaging)
    care_links = CareLinkActivities(deps.settings, deps.sessions, messaging)
    return [
        messaging.send_message,
        *accounts.all(),
        *invitations.all(),
        *care_links.all(),
    ]


def build_worker(client: Client, deps: WorkerDeps, task_queue: str | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or deps.settings.temporal.task_queue,
        workflows=workflows(),
        activities=activities(deps),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then finish the tasks in hand."""
    client = await connect_temporal(settings)
    await ensure_search_attributes(client, settings)
    engine = make_engine(settings.database_url)
    worker = build_worker(client, WorkerDeps.from_settings(settings, make_sessionmaker(engine)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %r on %s", settings.temporal.task_queue,
             settings.temporal.address)
    async with worker:
        await stop.wait()
    await engine.dispose()
