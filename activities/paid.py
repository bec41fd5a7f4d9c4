"""The paid-process kit's activity: a process asks its payment for a refund (workflows
cannot send an Update to another workflow; an activity does it with the worker's client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode

from activities.defn import implements
from domain.ids import payment_workflow_id
from domain.paid import ASK_REFUND, AskRefund, RefundAsked
from domain.payments import RefundRequest, RefundResult


class PaidActivities:
    @implements(ASK_REFUND)
    async def ask_refund(self, command: AskRefund) -> RefundAsked:
        """Start the payment's `refund` Update and answer once it is accepted; the payment
        signals `payment_refunded` to the process when the provider has paid back."""
        handle = activity.client().get_workflow_handle(payment_workflow_id(command.payment_id))
        try:
            # The same update id on a retry: the payment refunds once.
            await handle.start_update(
                "refund", RefundRequest(reason=command.reason), result_type=RefundResult,
                id=f"refund-{command.payment_id}",
                wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            return RefundAsked(payment_id=command.payment_id, accepted=False,
                               reason=getattr(cause, "message", None) or str(err))
        except RPCError as err:
            if err.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
            # The payment's run has ended: its refund window is over.
            return RefundAsked(payment_id=command.payment_id, accepted=False,
                               reason=f"the payment can no longer be refunded ({err.message})")
        return RefundAsked(payment_id=command.payment_id, accepted=True)

    def all(self) -> list[Callable[..., Any]]:
        return [self.ask_refund]
