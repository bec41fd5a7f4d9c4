"""RecordFillWorkflow (`record-fill-<id>`): a patient pays one of their doctors to fill in
their medical record.

Paid → `in_progress`: the process writes the grant that lets the doctor read the record and
add to it, and tells the doctor. The doctor says it is done (the `complete` Update) →
`completed`, the patient told what was added; or `record_fill_within` passes first →
`expired`, the patient refunded in full and both told. Either way the grant is deleted as
the fill closes: the doctor's access ends with the process. Not paid → `payment_failed`.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    within,
)
from workflows.paid import PaidProcess

with workflow.unsafe.imports_passed_through():
    from domain.errors import BusinessError
    from domain.payments import PaymentView
    from domain.record_fills import (
        CLOSE_RECORD_FILL,
        NOTIFY_RECORD_FILL,
        OPEN_RECORD_FILL,
        CloseRecordFill,
        CompleteRecordFill,
        NotifyRecordFill,
        OpenRecordFill,
        RecordFillEvent,
        RecordFillInput,
        RecordFillState,
        RecordFillStatus,
    )

EXPIRED_REFUND_REASON = "record fill not completed in time"


@workflow.defn
class RecordFillWorkflow(PaidProcess):
    # The input is known before the run starts: the checkout Update of an update-with-start
    # runs first and needs its timings.
    @workflow.init
    def __init__(self, fill: RecordFillInput) -> None:
        self._fill = fill
        self._status = RecordFillStatus.pending_payment
        self._payment_id: str | None = None
        self._complete_asked = False

    @workflow.run
    async def run(self, fill: RecordFillInput) -> RecordFillState:
        set_first_status(self._shown())
        self._payment_id = await self.start_payment(fill.payer, fill.order)
        # No deadline of our own: the payment ends at its own (then failed or expired).
        paid = await self.wait_for_payment(self._payment_id)
        if not paid.paid:
            await self._close(RecordFillStatus.payment_failed)
            return await self._end()

        ends_at = workflow.now() + fill.timings.within
        await run_activity(OPEN_RECORD_FILL, OpenRecordFill(
            fill_id=fill.fill_id, payment_id=self._payment_id, ends_at=ends_at),
            retry_policy=WAIT_FOR_COMMIT)
        self._move(RecordFillStatus.in_progress)
        await self._tell(RecordFillEvent.opened)

        # One outcome, decided here: the doctor's completion or the deadline, whichever
        # the workflow sees first (an Update accepted after the timer fired is refused).
        if await within(lambda: self._complete_asked, fill.timings.within,
                        "record fill deadline"):
            await self._close(RecordFillStatus.completed)
            await self._tell(RecordFillEvent.completed)
        else:
            await self._close(RecordFillStatus.expired)
            await self.refund(self._payment_id, EXPIRED_REFUND_REASON)
            await self._tell(RecordFillEvent.expired)
            await self.refund_settled(self._payment_id)
        return await self._end()

    async def _close(self, status: RecordFillStatus) -> None:
        """The fill ends with `status`; its grant goes in the same write."""
        await run_activity(CLOSE_RECORD_FILL, CloseRecordFill(
            fill_id=self._fill.fill_id, status=status, payment_id=self._payment_id),
            retry_policy=WAIT_FOR_COMMIT)
        self._move(status)

    async def _tell(self, event: RecordFillEvent) -> None:
        await run_activity(NOTIFY_RECORD_FILL,
                           NotifyRecordFill(fill_id=self._fill.fill_id, event=event))

    async def _end(self) -> RecordFillState:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    def _move(self, status: RecordFillStatus) -> None:
        self._status = status
        set_status(self._shown())

    def _shown(self) -> str:
        return f"record_fill_{self._status.value}"

    # --- the payer's checkout ----------------------------------------------------------------

    @workflow.update(name="checkout")
    async def checkout(self) -> PaymentView:
        return await self.payment_checkout(self._fill.timings.checkout_wait)

    # --- the doctor says it is done -----------------------------------------------------------

    @workflow.update
    async def complete(self, command: CompleteRecordFill) -> RecordFillState:
        self._complete_asked = True
        await workflow.wait_condition(lambda: self._status != RecordFillStatus.in_progress)
        if self._status is not RecordFillStatus.completed:
            raise business_error(BusinessError.conflict,
                                 f"This record fill is {self._status.value}.")
        return self.state()

    @complete.validator
    def _complete_allowed(self, command: CompleteRecordFill) -> None:
        if command.doctor_id != self._fill.doctor_id:
            raise business_error(BusinessError.not_found, "No such record fill request.")
        if self._status is not RecordFillStatus.in_progress or self._complete_asked:
            state = "already completed" if self._complete_asked else self._status.value
            raise business_error(BusinessError.conflict, f"This record fill is {state}.")

    @workflow.query(name="state")
    def state(self) -> RecordFillState:
        return RecordFillState(fill_id=self._fill.fill_id, status=self._status,
                               payment_id=self._payment_id)
