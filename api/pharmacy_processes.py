"""Starting the pharmacy order's process and speaking to it (its Updates), in one place:
workflow id, timings from settings, summary and search attributes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from api.account_processes import named
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.models import Pharmacy, User
from domain.pharmacy import (
    OrderState,
    PharmacyOrderInput,
    PharmacyTimings,
    pharmacy_order_workflow_id,
)
from workflows.common import ESAME_PATIENT_ID, ESAME_PHARMACY_ID, ESAME_STATUS
from workflows.pharmacy_order import PharmacyOrderWorkflow


def pharmacy_timings(settings: Settings) -> PharmacyTimings:
    d = settings.durations
    return PharmacyTimings(
        proforma_quote_within=d.proforma_quote_within,
        order_validation_within=d.order_validation_within,
        order_payment_within=d.order_payment_within,
        pickup_within=d.pickup_within, pickup_reminder_before=d.pickup_reminder_before,
        registration_commit_timeout=d.registration_commit_timeout)


def order_summary(reference: str, patient: User, pharmacy: Pharmacy) -> str:
    """The run as the Temporal UI shows it: who and where, never what was prescribed."""
    return (f"Pharmacy order {reference} of {named(patient)} at {pharmacy.name} "
            f"({pharmacy.id})")


async def start_pharmacy_order(client: Client, settings: Settings, *, order_id: str,
                               reference: str, patient: User, pharmacy: Pharmacy) -> None:
    await client.start_workflow(
        PharmacyOrderWorkflow.run,
        PharmacyOrderInput(order_id=order_id, patient_id=patient.id, pharmacy_id=pharmacy.id,
                           timings=pharmacy_timings(settings)),
        id=pharmacy_order_workflow_id(order_id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # One run per order: an order that ended is never run again.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=order_summary(reference, patient, pharmacy),
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(ESAME_PATIENT_ID, patient.id),
            SearchAttributePair(ESAME_PHARMACY_ID, pharmacy.id),
            SearchAttributePair(ESAME_STATUS, "pharmacy_order_requested")]),
    )


async def update_order(client: Client, order_id: str, update: str, arg: BaseModel,
                       *, closed_detail: str = "This order is over.") -> OrderState:
    """Run one of the order's Updates; its business failure as the HTTP answer."""
    handle = client.get_workflow_handle(pharmacy_order_workflow_id(order_id))
    try:
        state: Any = await handle.execute_update(update, arg, result_type=OrderState)
    except Exception as err:
        raise problem_from_temporal(err, closed_detail=closed_detail) from err
    assert isinstance(state, OrderState)
    return state
