"""Record the histories the opinion replay test checks:
`uv run python -m tests.opinions.make_histories [recorder ...]`.

Runs OpinionRequestWorkflow to each end on the time-skipping server with the real worker
(the real PaymentWorkflow, the sandbox provider settled through its ledger and webhook
signal) on a throwaway SQLite database, and writes each history under
tests/opinions/histories/, encrypted with the public dev key as in production. Record them
again (and commit) only when a change is meant to be incompatible with running requests.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.opinion_processes import start_opinion
from core.settings import Settings
from db.engine import SessionMaker
from db.models import BillingAddress, User
from db.queries.consultations import write_draft as write_consultation
from db.queries.sandbox import DbSandboxLedger
from domain.consultations import ConsultationIn, ConsultationKind, ConsultationSource
from domain.ids import payment_workflow_id
from domain.opinions import AnswerGiven, DoctorAction, MessagePosted, OpinionState
from domain.payments import PaymentStatus, PaymentView, ProviderEventSignal, ProviderName
from tests.opinions.support import People, message, people, row_of, submission, write_draft
from tests.support.recording import recording_stack, save_history

HISTORIES = Path(__file__).with_name("histories")


async def _until(sessions: SessionMaker, request_id: str, status: str) -> None:
    for _ in range(400):
        if (await row_of(sessions, request_id)).status == status:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the request never became {status}")


async def _paid(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings
                ) -> tuple[People, str, WorkflowHandle[Any, Any]]:
    who = await people(sessions, settings)
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=who.patient.id, line1="1 rue", city="Douala",
                                 country="CM")
        session.add(address)
    row = await write_draft(sessions, who)
    async with sessions() as session:
        patient, doctor = (await session.get(User, who.patient.id),
                           await session.get(User, who.doctor.id))
    assert patient is not None and doctor is not None
    handle = await start_opinion(env.client, settings, row, patient, doctor)
    paying = submission(who)
    paying = paying.model_copy(update={"payer": paying.payer.model_copy(
        update={"billing_address_id": address.id})})
    view = await handle.execute_update("submit", paying, result_type=PaymentView)
    await DbSandboxLedger(sessions).settle(view.id, "succeeded")
    await env.client.get_workflow_handle(payment_workflow_id(view.id)).signal(
        "provider_event", ProviderEventSignal(provider=ProviderName.sandbox,
                                              event_id=f"evt-{view.id}",
                                              status=PaymentStatus.succeeded))
    await _until(sessions, row.id, "transmitted")
    return who, row.id, handle


async def asked_answered_closed(env: WorkflowEnvironment, sessions: SessionMaker,
                                settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    doctor = DoctorAction(doctor_id=who.doctor.id)
    await handle.execute_update("accept", doctor, result_type=OpinionState)
    await handle.execute_update("ask", doctor, result_type=OpinionState)
    await handle.signal("opinion_message_posted", MessagePosted(
        message_id=await message(sessions, request_id, who.patient), author_role="patient"))
    await _until(sessions, request_id, "in_review")
    async with sessions() as session, session.begin():
        consultation_id = await write_consultation(
            session, source=ConsultationSource.opinion_request, source_id=request_id,
            kind=ConsultationKind.opinion, patient_id=who.patient.id, doctor_id=who.doctor.id,
            occurred_at=(await row_of(sessions, request_id)).created_at,
            body=ConsultationIn(summary="Avis rendu."))
    await handle.execute_update("answer", AnswerGiven(
        doctor_id=who.doctor.id, consultation_id=consultation_id), result_type=OpinionState)
    await handle.result()
    await save_history(handle, HISTORIES / "opinion_asked_answered_closed.json")


async def declined_refunded(env: WorkflowEnvironment, sessions: SessionMaker,
                            settings: Settings) -> None:
    who, _, handle = await _paid(env, sessions, settings)
    await handle.execute_update("decline", DoctorAction(doctor_id=who.doctor.id),
                                result_type=OpinionState)
    await handle.result()
    await save_history(handle, HISTORIES / "opinion_declined_refunded.json")


async def expired_after_reminders(env: WorkflowEnvironment, sessions: SessionMaker,
                                  settings: Settings) -> None:
    _, _, handle = await _paid(env, sessions, settings)
    await handle.result()
    await save_history(handle, HISTORIES / "opinion_expired_after_reminders.json")


RECORDERS: list[Callable[[WorkflowEnvironment, SessionMaker, Settings], Awaitable[None]]] = [
    asked_answered_closed, declined_refunded, expired_after_reminders]


async def main(names: list[str]) -> None:
    for record in RECORDERS:
        if not names or record.__name__ in names:
            # A stack each: the runs an earlier recording leaves waiting (a payment's refund
            # window) would hold the time-skipping server's clock for the next one.
            async with recording_stack() as stack:
                await record(stack.env, stack.sessions, stack.settings)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
