"""The worker: every workflow and activity of E-same on one task queue."""

from __future__ import annotations

import asyncio
import compileall
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import _Definition

from activities.accounts import AccountActivities
from activities.appointments import AppointmentActivities
from activities.billing import BillingActivities
from activities.care_links import CareLinkActivities
from activities.consultations import ConsultationActivities
from activities.invitations import InvitationActivities
from activities.messaging import MessagingActivities
from activities.opinions import OpinionActivities
from activities.paid import PaidActivities
from activities.password_resets import PasswordResetActivities
from activities.payments import PaymentActivities
from activities.pharmacy import PharmacyActivities
from activities.plans import PlanActivities
from activities.professionals import ProfessionalActivities
from activities.record_fills import RecordFillActivities
from activities.sponsorships import SponsorshipActivities
from core.settings import Settings
from core.temporal_client import connect_temporal, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.queries.sandbox import DbSandboxLedger
from providers.email import EmailSender, build_email_sender
from providers.payments import PaymentProviders, build_payment_providers
from providers.sms import SmsSender, build_sms_sender
from workflows.account_exists import AccountExistsNoticeWorkflow
from workflows.account_validation import AccountValidationWorkflow
from workflows.appointment import AppointmentWorkflow
from workflows.doctor_link import DoctorLinkWorkflow
from workflows.former_names import FORMER_NAMES
from workflows.invitation import InvitationWorkflow
from workflows.opinion import OpinionRequestWorkflow
from workflows.password_reset import PasswordResetWorkflow
from workflows.payment import PaymentWorkflow
from workflows.pharmacy_order import PharmacyOrderWorkflow
from workflows.professional_verification import ProfessionalVerificationWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.record_fill import RecordFillWorkflow
from workflows.sponsorship import SponsorshipWorkflow
from workflows.subscription import SubscriptionWorkflow

log = logging.getLogger(__name__)


@dataclass
class WorkerDeps:
    """What activities are built with; tests swap any of them."""

    settings: Settings
    sessions: SessionMaker
    email: EmailSender
    sms: SmsSender
    payments: PaymentProviders

    @classmethod
    def from_settings(cls, settings: Settings, sessions: SessionMaker) -> WorkerDeps:
        return cls(
            settings=settings,
            sessions=sessions,
            email=build_email_sender(settings.email),
            sms=build_sms_sender(settings.sms),
            payments=build_payment_providers(settings.payments, settings.public_base_url,
                                             DbSandboxLedger(sessions)),
        )


def workflows() -> list[type]:
    return [
        AccountValidationWorkflow,
        AccountExistsNoticeWorkflow,
        InvitationWorkflow,
        DoctorLinkWorkflow,
        PasswordResetWorkflow,
        ProfessionalVerificationWorkflow,
        PaymentWorkflow,
        SubscriptionWorkflow,
        PurchaseWorkflow,
        RecordFillWorkflow,
        OpinionRequestWorkflow,
        AppointmentWorkflow,
        PharmacyOrderWorkflow,
        SponsorshipWorkflow,
        # Runs started before the account processes were renamed, still served.
        *FORMER_NAMES,
    ]


def activities(deps: WorkerDeps) -> list[Callable[..., Any]]:
    messaging = MessagingActivities(deps.sessions, deps.email, deps.sms,
                                    deps.settings.secret_key)
    payments = PaymentActivities(deps.sessions, deps.payments, deps.settings.public_base_url,
                                 deps.settings.payments.invoice_prefix,
                                 deps.settings.web_links)
    billing = BillingActivities(deps.sessions)
    accounts = AccountActivities(deps.settings, deps.sessions, messaging)
    invitations = InvitationActivities(deps.settings, deps.sessions, messaging)
    care_links = CareLinkActivities(deps.settings, deps.sessions, messaging)
    password_resets = PasswordResetActivities(deps.settings, deps.sessions, messaging)
    professionals = ProfessionalActivities(deps.settings, deps.sessions, messaging)
    return [
        messaging.send_message,
        *accounts.all(),
        *invitations.all(),
        *care_links.all(),
        *password_resets.all(),
        *professionals.all(),
        *RecordFillActivities(deps.settings, deps.sessions, messaging).all(),
        payments.create_payment, payments.check_payment_status, payments.record_payment_status,
        payments.issue_invoice, payments.refund_payment, payments.cancel_payment,
        payments.check_refund_status, payments.record_refund_failed, payments.save_card,
        billing.record_subscription, billing.grant_period_allowance, billing.record_purchase,
        billing.credit_purchase,
        *ConsultationActivities(deps.sessions).all(),
        *PlanActivities(deps.sessions).all(),
        *OpinionActivities(deps.settings, deps.sessions, messaging).all(),
        *SponsorshipActivities(deps.sessions, messaging).all(),
        *PaidActivities().all(),
        *AppointmentActivities(deps.sessions).all(),
        *PharmacyActivities(deps.settings, deps.sessions, messaging).all(),
    ]


def _type_name(workflow_class: type) -> str | None:
    return _Definition.must_from_class(workflow_class).name


# `domain` is pure and deterministic (pydantic models, rules): passed through the sandbox,
# it is imported once instead of being re-imported (every model class rebuilt) for each
# workflow run, which cost most of the worker's CPU under load.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("domain"))


def compile_workflow_modules() -> None:
    """Write the bytecode of the workflow modules. The sandbox imports a workflow's module
    afresh for every run; without bytecode on disk (PYTHONDONTWRITEBYTECODE, a fresh
    checkout) each of those imports compiles the source again. Where the source folder is
    read-only this does nothing, and runs simply compile as before."""
    import workflows

    for folder in workflows.__path__:
        compileall.compile_dir(folder, quiet=2)


def build_worker(client: Client, deps: WorkerDeps, task_queue: str | None = None,
                 stand_ins: Sequence[type] = ()) -> Worker:
    """The worker of every workflow and activity. `stand_ins` (tests only) take the place
    of the workflows of the same type names."""
    replaced = {_type_name(cls) for cls in stand_ins}
    return Worker(
        client,
        task_queue=task_queue or deps.settings.temporal.task_queue,
        workflows=[w for w in workflows() if _type_name(w) not in replaced] + list(stand_ins),
        activities=activities(deps),
        workflow_runner=WORKFLOW_RUNNER,
        # On SIGTERM/SIGINT running activities get this long to finish before they are
        # cancelled (and retried by another worker).
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then finish the tasks in hand."""
    compile_workflow_modules()
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
