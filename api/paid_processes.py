"""The API side of the paid-process kit: the payer of a request, and starting a paid process
with its checkout (update-with-start), answered with the payment or a clear problem."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy

from api.payments import checked_request
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.models import User
from domain.paid import PaymentPayer
from domain.payments import PaymentRequest, PaymentView, SavedCard

Created = TypeVar("Created")
Arg = TypeVar("Arg")


async def payment_payer(session: AsyncSession, settings: Settings, payer: User,
                        request: PaymentRequest, *, save_card: bool = False,
                        saved_card: SavedCard | None = None) -> PaymentPayer:
    """Who pays (the caller: a patient, or a sponsor for someone else), checked: their
    billing address, and the provider that takes this method."""
    checked = await checked_request(session, settings, payer, request)
    return checked.model_copy(update={"save_card": save_card, "saved_card": saved_card})


async def start_paid_process(
    temporal: Client, run: Callable[[Any, Arg], Awaitable[Any]], arg: Arg, *, workflow_id: str,
    settings: Settings, summary: str, search_attributes: TypedSearchAttributes,
    result_type: type[Created], checkout: str = "checkout",
) -> Created:
    """Start the process (or reach the one already started under this id: a retried
    request) and answer its checkout Update: the payment with its checkout_url /
    instructions, or the problem (402 when the provider refused the payment)."""
    start = WithStartWorkflowOperation(
        run, arg, id=workflow_id, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=settings.temporal.task_queue, static_summary=summary,
        search_attributes=search_attributes)
    try:
        created: Created = await temporal.execute_update_with_start_workflow(
            checkout, start_workflow_operation=start, result_type=result_type)
    except Exception as err:
        raise problem_from_temporal(err) from err
    return created


async def process_payments(temporal: Client, workflow_id: str) -> list[PaymentView]:
    """The payments of a paid process as it sees them (status and `refund_status`)."""
    views: list[PaymentView] = await temporal.get_workflow_handle(workflow_id).query(
        "payments", result_type=list[PaymentView])
    return views
