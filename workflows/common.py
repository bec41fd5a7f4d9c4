"""What every E-same workflow uses: timed waits, activity options, the status attribute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.activity_ref import ActivityRef, In, Out
    from domain.errors import BusinessError
    from domain.signal_ref import SignalRef

ESAME_STATUS = SearchAttributeKey.for_keyword("EsameStatus")
ESAME_PATIENT_ID = SearchAttributeKey.for_keyword("EsamePatientId")
ESAME_DOCTOR_ID = SearchAttributeKey.for_keyword("EsameDoctorId")
ESAME_PHARMACY_ID = SearchAttributeKey.for_keyword("EsamePharmacyId")
ESAME_SPONSOR_ID = SearchAttributeKey.for_keyword("EsameSponsorId")

# A DB write or an email: short, retried with backoff until it goes through.
ACTIVITY_TIMEOUT = timedelta(seconds=30)

# The API commits a process's row before it starts the process (api/account_processes
# .commit_then_start); should a first activity still not see it (a replica, a slow
# connection), it retries quickly for a short while.
WAIT_FOR_COMMIT = RetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    backoff_coefficient=2,
    maximum_interval=timedelta(seconds=5),
)


async def within(condition: Callable[[], bool], limit: timedelta, summary: str) -> bool:
    """Wait for `condition` at most `limit` (a durable timer); tell whether it came true."""
    try:
        await workflow.wait_condition(
            condition, timeout=max(limit, timedelta(seconds=1)), timeout_summary=summary
        )
    except TimeoutError:
        return False
    return True


async def answer_checkout_within(ready: Callable[[], bool], limit: timedelta) -> None:
    """In a checkout Update: wait until the payment exists at the provider. The API is
    waiting on this answer: past `limit` the provider is not answering (the payment keeps
    trying in the background and the payer can look it up later)."""
    try:
        await workflow.wait_condition(ready, timeout=limit)
    except TimeoutError:
        raise ApplicationError(
            "The payment provider is not answering; try again in a moment.",
            type=BusinessError.conflict.value, non_retryable=True) from None


# A run shows the status it starts in from its first task; runs started before replay
# without it (they had none, or the one their starter gave).
FIRST_STATUS_PATCH = "status-from-the-first-task"


def set_status(status: str) -> None:
    """Show the process's status as `EsameStatus`: `<process>_<status>` (`account_active`,
    `doctor_link_pending`, `payment_pending`), at every change, the first one included
    (`set_first_status`). The SDK does not compare the value on replay, only that an
    upsert is there: a value can be renamed; an upsert added needs a patch."""
    workflow.upsert_search_attributes([ESAME_STATUS.value_set(status)])


def set_first_status(status: str) -> None:
    """The status a run starts in (call it first in the run)."""
    if workflow.patched(FIRST_STATUS_PATCH):
        set_status(status)



async def run_activity(ref: ActivityRef[In, Out], arg: In, **options: Any) -> Out:
    """Run the activity `ref` names (workflows do not import activities): its output model
    is the reference's, and a DB write or an email gets the short default timeout."""
    options.setdefault("start_to_close_timeout", ACTIVITY_TIMEOUT)
    result: Out = await workflow.execute_activity(ref.name, arg, result_type=ref.output,
                                                  **options)
    return result


async def signal_workflow(workflow_id: str, ref: SignalRef[In], arg: In) -> None:
    """Signal another run, by its id, with the signal `ref` names."""
    await workflow.get_external_workflow_handle(workflow_id).signal(ref.name, arg)


def business_error(kind: BusinessError, message: str) -> ApplicationError:
    """A failure the API turns into an HTTP status (an Update's answer)."""
    return ApplicationError(message, type=kind.value, non_retryable=True)
