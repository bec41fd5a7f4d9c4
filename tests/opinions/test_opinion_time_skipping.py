"""OpinionRequestWorkflow on the time-skipping server, with its real activities and database
and a scripted payment: every timer (draft expiry, reminders, the deadline, the patient's
wait, the follow-up window) and the answer racing the deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.opinion_processes import opinion_timings, start_opinion
from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker
from db.models import User
from db.queries.consultations import write_draft as write_consultation
from domain.consultations import (
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    PrescriptionItemIn,
)
from domain.opinions import (
    AnswerGiven,
    DiscardDraft,
    DoctorAction,
    MessagePosted,
    OpinionState,
    OpinionStatus,
)
from domain.payments import PaymentView
from tests.conftest import BIN
from tests.opinions.support import (
    MINUTE,
    People,
    ScriptedPayment,
    message,
    people,
    row_of,
    submission,
    templates_to,
    write_draft,
)
from workers.main import WorkerDeps, activities
from workflows.opinion import OpinionRequestWorkflow

pytestmark = pytest.mark.db

DAY = timedelta(days=1)


@pytest.fixture
async def env(settings: Settings, sessions: SessionMaker) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own: a run left waiting by a test (a follow-up
    window, a payment's refund window) cannot hold time still for the next test."""
    server = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(TemporalSettings()),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(server.client, settings)
    deps = WorkerDeps.from_settings(settings, sessions)
    async with Worker(server.client, task_queue=settings.temporal.task_queue,
                      workflows=[OpinionRequestWorkflow, ScriptedPayment],
                      activities=activities(deps),
                      workflow_runner=UnsandboxedWorkflowRunner()):
        yield server
    await server.shutdown()


async def _started(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                   **kwargs: Any) -> tuple[People, str, WorkflowHandle[Any, Any]]:
    who = await people(sessions, settings)
    row = await write_draft(sessions, who, **kwargs)
    async with sessions() as session:
        patient = await session.get(User, who.patient.id)
        doctor = await session.get(User, who.doctor.id)
    assert patient is not None and doctor is not None
    handle = await start_opinion(env.client, settings, row, patient, doctor)
    return who, row.id, handle


async def _paid(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                ) -> tuple[People, str, WorkflowHandle[Any, Any]]:
    """A request submitted and paid: transmitted, the doctor told."""
    who, request_id, handle = await _started(env, sessions, settings)
    view = await handle.execute_update("submit", submission(who), result_type=PaymentView)
    assert view.checkout_url
    await env.sleep(2 * MINUTE)
    row = await row_of(sessions, request_id)
    assert row.status == "transmitted" and row.paid_at is not None
    return who, request_id, handle


async def _state(handle: WorkflowHandle[Any, Any]) -> OpinionState:
    state: OpinionState = await handle.query("state", result_type=OpinionState)
    return state


async def _answer(sessions: SessionMaker, who: People, request_id: str) -> AnswerGiven:
    async with sessions() as session, session.begin():
        consultation_id = await write_consultation(
            session, source=ConsultationSource.opinion_request, source_id=request_id,
            kind=ConsultationKind.opinion, patient_id=who.patient.id, doctor_id=who.doctor.id,
            occurred_at=(await row_of(sessions, request_id)).created_at,
            body=ConsultationIn(summary="Angor probable : épreuve d'effort.", prescriptions=[
                PrescriptionItemIn(name="Aspirine 100 mg", dosage="1 par jour", quantity=1)]))
    return AnswerGiven(doctor_id=who.doctor.id, consultation_id=consultation_id)


async def test_the_deadline_expires_it_refunded_after_two_reminders(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    assert await templates_to(sessions, who.doctor.id) == [
        "opinion_transmitted", "opinion_transmitted_sms"]
    answer_within = opinion_timings(settings).answer_within
    await env.sleep(answer_within / 2)
    assert (await templates_to(sessions, who.doctor.id))[-1] == "opinion_reminder"
    state: OpinionState = await handle.result()
    assert state.status is OpinionStatus.expired
    row = await row_of(sessions, request_id)
    assert (row.status, row.refund_status) == ("expired", "succeeded")
    assert (await templates_to(sessions, who.doctor.id)).count("opinion_reminder") == 2
    assert await templates_to(sessions, who.patient.id) == ["opinion_expired"]


async def test_a_decline_refunds_in_full_and_tells_the_patient(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    state = await handle.execute_update("decline", DoctorAction(doctor_id=who.doctor.id),
                                        result_type=OpinionState)
    assert state.status is OpinionStatus.declined
    await handle.result()
    row = await row_of(sessions, request_id)
    assert (row.status, row.refund_status) == ("declined", "succeeded")
    assert await templates_to(sessions, who.patient.id) == ["opinion_declined"]
    # Refunded: no reminder ever reaches the doctor afterwards.
    assert "opinion_reminder" not in await templates_to(sessions, who.doctor.id)


async def test_a_question_stops_the_clock_until_the_patient_answers(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    timings = opinion_timings(settings)
    await handle.execute_update("accept", DoctorAction(doctor_id=who.doctor.id),
                                result_type=OpinionState)
    first_due = (await row_of(sessions, request_id)).due_at
    assert first_due is not None
    await env.sleep(DAY)  # one day of the three used
    await handle.execute_update("ask", DoctorAction(doctor_id=who.doctor.id),
                                result_type=OpinionState)
    assert (await row_of(sessions, request_id)).status == "waiting_for_patient"
    assert (await row_of(sessions, request_id)).due_at is None
    await env.sleep(2 * DAY)  # past the first due date: paused, nothing expires
    assert (await _state(handle)).status is OpinionStatus.waiting_for_patient
    await handle.signal("opinion_message_posted", MessagePosted(
        message_id=await message(sessions, request_id, who.patient), author_role="patient"))
    await env.sleep(MINUTE)
    row = await row_of(sessions, request_id)
    assert row.status == "in_review" and row.due_at is not None
    # The clock resumed with what was left: two days from now, not from the payment.
    assert row.due_at - first_due >= 2 * DAY - 5 * MINUTE
    answer = await _answer(sessions, who, request_id)
    state = await handle.execute_update("answer", answer, result_type=OpinionState)
    assert state.status is OpinionStatus.answered and state.consultation_id
    await env.sleep(MINUTE)
    row = await row_of(sessions, request_id)
    assert row.follow_up_until is not None and row.answered_at is not None
    assert await templates_to(sessions, who.patient.id) == ["opinion_question",
                                                            "opinion_answered"]
    assert (await templates_to(sessions, who.doctor.id))[-1] == "opinion_message"
    # Follow-up messages until the window closes, then closed.
    await env.sleep(timings.follow_up - DAY)
    assert (await _state(handle)).status is OpinionStatus.answered
    final: OpinionState = await handle.result()
    assert final.status is OpinionStatus.closed
    assert (await row_of(sessions, request_id)).refund_status is None


async def test_a_patient_who_never_answers_lets_it_expire_refunded(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    await handle.execute_update("ask", DoctorAction(doctor_id=who.doctor.id),
                                result_type=OpinionState)
    state: OpinionState = await handle.result()
    assert state.status is OpinionStatus.expired
    row = await row_of(sessions, request_id)
    assert (row.status, row.refund_status) == ("expired", "succeeded")
    # Waiting for the patient ended it, not the doctor's deadline: no reminder was due.
    assert "opinion_reminder" not in await templates_to(sessions, who.doctor.id)


async def test_an_answer_just_before_the_deadline_wins(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    await env.sleep(opinion_timings(settings).answer_within - 2 * MINUTE)
    answer = await _answer(sessions, who, request_id)
    state = await handle.execute_update("answer", answer, result_type=OpinionState)
    assert state.status is OpinionStatus.answered
    assert (await row_of(sessions, request_id)).refund_status is None


async def test_an_answer_after_the_deadline_is_refused_one_outcome(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _paid(env, sessions, settings)
    answer = await _answer(sessions, who, request_id)
    await env.sleep(opinion_timings(settings).answer_within)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("answer", answer, result_type=OpinionState)
    assert "expired" in str(refused.value.cause)
    state: OpinionState = await handle.result()
    row = await row_of(sessions, request_id)
    assert (state.status, row.status, row.consultation_id) == (
        OpinionStatus.expired, "expired", None)


async def test_an_untouched_draft_is_closed(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    _, request_id, handle = await _started(env, sessions, settings)
    state: OpinionState = await handle.result()
    assert state.status is OpinionStatus.closed
    assert (await row_of(sessions, request_id)).status == "closed"


async def test_a_deleted_draft_is_canceled_and_cannot_be_submitted(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _started(env, sessions, settings)
    state = await handle.execute_update("discard", DiscardDraft(patient_id=who.patient.id),
                                        result_type=OpinionState)
    assert state.status is OpinionStatus.canceled
    assert (await row_of(sessions, request_id)).status == "canceled"


async def test_an_incomplete_draft_is_refused_at_submission(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _started(env, sessions, settings, complete=False)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("submit", submission(who), result_type=PaymentView)
    assert "symptoms, illness_history" in str(refused.value.cause)
    assert (await _state(handle)).status is OpinionStatus.draft


async def test_a_failed_payment_ends_it_payment_failed(
        env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings) -> None:
    who, request_id, handle = await _started(env, sessions, settings)
    failing = submission(who)
    failing = failing.model_copy(update={"payer": failing.payer.model_copy(
        update={"billing_address_id": "fail"})})
    await handle.execute_update("submit", failing, result_type=PaymentView)
    state: OpinionState = await handle.result()
    assert state.status is OpinionStatus.payment_failed
    assert await templates_to(sessions, who.doctor.id) == []
