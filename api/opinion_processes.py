"""Starting and driving the opinion process (`opinion-<id>`) from the API: its timings
from settings, its summary and search attributes, and the Updates the routes send."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from api.account_processes import named
from api.problems import Problem
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.models import User
from db.models.opinions import OpinionRequestRow
from domain.ids import opinion_workflow_id
from domain.opinions import OpinionInput, OpinionTimings
from workflows.common import ESAME_DOCTOR_ID, ESAME_PATIENT_ID
from workflows.opinion import OpinionRequestWorkflow


def opinion_timings(settings: Settings) -> OpinionTimings:
    d = settings.durations
    return OpinionTimings(answer_within=d.opinion_answer_within,
                          patient_wait=d.opinion_patient_wait, follow_up=d.opinion_follow_up,
                          draft_expires=d.opinion_draft_expires,
                          checkout_wait=d.payment_checkout_wait)


def opinion_input(settings: Settings, row: OpinionRequestRow) -> OpinionInput:
    return OpinionInput(request_id=row.id, reference=row.reference, patient_id=row.patient_id,
                        doctor_id=row.doctor_id, timings=opinion_timings(settings))


async def start_opinion(client: Client, settings: Settings, row: OpinionRequestRow,
                        patient: User, doctor: User) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        OpinionRequestWorkflow.run, opinion_input(settings, row),
        id=opinion_workflow_id(row.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        # Names and the reference only: never the reason or anything medical.
        static_summary=f"{named(patient)} asks Dr {named(doctor)} for a medical opinion "
                       f"({row.reference})",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(ESAME_PATIENT_ID, row.patient_id),
            SearchAttributePair(ESAME_DOCTOR_ID, row.doctor_id)]),
    )


def opinion_handle(client: Client, request_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(opinion_workflow_id(request_id))


async def update_opinion(client: Client, request_id: str, update: str, arg: Any,
                         result_type: type[Any]) -> Any:
    """Send an Update to the request's process; its business refusal as a Problem."""
    try:
        return await opinion_handle(client, request_id).execute_update(
            update, arg, result_type=result_type)
    except Problem:
        raise
    except Exception as err:
        raise problem_from_temporal(
            err, closed_detail="This opinion request is over.") from err
