"""OpinionRequestWorkflow (`opinion-<id>`): a patient asks one of their doctors for a
written medical opinion.

draft → (submit Update: checked, frozen, paid through the kit) → transmitted (the doctor
told by email and SMS) → in_review (accepted) ↔ waiting_for_patient → answered (a
consultation of kind `opinion`) → follow-up messages → closed. Or: declined / expired →
refunded in full (the compensation), the patient told; payment_failed; a draft canceled by
the patient, or closed when left untouched `draft_expires`.

The answer is due `answer_within` of clock time after payment; the clock stops while the
request waits for the patient (at most `patient_wait` in all, then expired). The doctor is
reminded at half and at nine tenths of it. An answer and the deadline arriving together get
one outcome, decided here: whatever the main loop finds pending when it decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.care import CareService
    from domain.errors import BusinessError
    from domain.opinions import (
        CHECK_OPINION_SUBMISSION,
        FREEZE_OPINION,
        MESSAGE_POSTED,
        NOTIFY_OPINION,
        NOTIFY_OPINION_MESSAGE,
        RECORD_OPINION_STATUS,
        AnswerGiven,
        DiscardDraft,
        DoctorAction,
        FreezeOpinion,
        MessagePosted,
        NotifyMessage,
        NotifyOpinion,
        OpinionEvent,
        OpinionInput,
        OpinionRef,
        OpinionState,
        OpinionStatus,
        RecordOpinionStatus,
        SubmitOpinion,
        reminder_marks,
    )
    from domain.paid import PaymentOrder
    from domain.payments import InvoiceLine, PaymentView

from workflows.care import check_plan, plan_required_error, publish_consultation
from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    within,
)
from workflows.paid import PaidProcess

# A refund stays possible this long after the longest the review can last.
REFUND_MARGIN = timedelta(days=1)


@workflow.defn
class OpinionRequestWorkflow(PaidProcess):
    @workflow.init
    def __init__(self, request: OpinionInput) -> None:
        self._input = request
        # What validators go by: set as soon as decided. `_recorded` is what the database
        # shows (set once the status is written): what an Update answers after.
        self._status = OpinionStatus.draft
        self._recorded = OpinionStatus.draft
        self._submission: SubmitOpinion | None = None
        self._discarded = False
        self._payment_id: str | None = None
        self._due_at: datetime | None = None
        # One doctor action at a time, applied by the main loop: ("accept"|"ask"|"decline"|
        # "answer", its input).
        self._pending: tuple[str, DoctorAction | AnswerGiven] | None = None
        self._applied = 0
        self._patient_replied = False
        # Set the moment the main loop decides how the review ends (before any activity),
        # so an Update arriving then is refused instead of racing it.
        self._decided: OpinionStatus | None = None
        self._consultation_id: str | None = None

    @workflow.run
    async def run(self, request: OpinionInput) -> OpinionState:
        set_first_status("opinion_draft")
        t = request.timings
        submitted = await within(lambda: self._submission is not None or self._discarded,
                                 t.draft_expires, "draft expiry")
        if self._discarded:
            return await self._end(OpinionStatus.canceled)
        if not submitted or self._submission is None:
            return await self._end(OpinionStatus.closed)

        if not await self._pay(self._submission):
            return await self._end(OpinionStatus.payment_failed)

        outcome = await self._review()
        if outcome is OpinionStatus.answered:
            await self._follow_up()
            return await self._end(OpinionStatus.closed)
        return await self._refund_and_tell(outcome)

    # --- paying ---------------------------------------------------------------------------

    async def _pay(self, submission: SubmitOpinion) -> bool:
        t = self._input.timings
        payment_id = workflow.uuid4().hex
        self._payment_id = payment_id
        quote = submission.quote
        await run_activity(FREEZE_OPINION, FreezeOpinion(
            request_id=self._input.request_id, payment_id=payment_id, quote=quote,
            at=workflow.now()))
        self._set(OpinionStatus.pending_payment)
        line = f"Medical opinion {self._input.reference} (Dr {submission.doctor_name})"
        await self.start_payment(submission.payer, PaymentOrder(
            amount=quote.price, description=line,
            lines=[InvoiceLine(description=line, unit_price=quote.price, total=quote.price)],
            timings=submission.payment_timings, purpose="opinion",
            summary=f"Payment for opinion request {self._input.reference}",
            patient_id=self._input.patient_id, doctor_id=self._input.doctor_id,
            refundable_for=t.answer_within + t.patient_wait + t.follow_up + REFUND_MARGIN,
        ), payment_id=payment_id)
        outcome = await self.wait_for_payment(payment_id)
        if not outcome.paid:
            return False
        self._due_at = workflow.now() + t.answer_within
        await self._record(OpinionStatus.transmitted, due_at=self._due_at)
        await run_activity(NOTIFY_OPINION, NotifyOpinion(
            request_id=self._input.request_id, event=OpinionEvent.transmitted,
            due_at=self._due_at))
        return True

    # --- the doctor's review, against the clock ----------------------------------------------

    async def _review(self) -> OpinionStatus:
        t = self._input.timings
        counted = timedelta(0)   # clock time used (waiting for the patient excluded)
        waited = timedelta(0)    # time spent waiting for the patient, in all
        marks = reminder_marks(t.answer_within)
        while True:
            started = workflow.now()
            if self._status is OpinionStatus.waiting_for_patient:
                back = await within(lambda: self._pending is not None or self._patient_replied,
                                    t.patient_wait - waited, "patient's answer")
                waited += workflow.now() - started
                if self._pending is not None:
                    if (end := await self._apply()) is not None:
                        return end
                    continue
                if self._patient_replied:
                    self._patient_replied = False
                    self._due_at = workflow.now() + (t.answer_within - counted)
                    await self._record(OpinionStatus.in_review, due_at=self._due_at)
                    continue
                if not back:
                    return self._decide(OpinionStatus.expired)
                continue

            next_mark, event = marks[0] if marks else (t.answer_within, None)
            acted = await within(lambda: self._pending is not None, next_mark - counted,
                                 "answer deadline" if event is None else "doctor reminder")
            counted += workflow.now() - started
            if self._pending is not None:
                # An action that came with the timer wins: it is here when we decide.
                if (end := await self._apply()) is not None:
                    return end
                continue
            if acted:
                continue
            if event is None:
                return self._decide(OpinionStatus.expired)
            marks.pop(0)
            await run_activity(NOTIFY_OPINION, NotifyOpinion(
                request_id=self._input.request_id, event=event, due_at=self._due_at))

    async def _apply(self) -> OpinionStatus | None:
        """Apply the pending doctor action; the status the review ends with, if it does."""
        assert self._pending is not None
        action, given = self._pending
        try:
            if action == "decline":
                return self._decide(OpinionStatus.declined)
            if action == "answer":
                assert isinstance(given, AnswerGiven)
                self._decide(OpinionStatus.answered)
                self._consultation_id = given.consultation_id
                return OpinionStatus.answered
            if action == "accept":
                await self._record(OpinionStatus.in_review, due_at=self._due_at)
            elif action == "ask":
                await self._record(OpinionStatus.waiting_for_patient, due_at=None)
                await run_activity(NOTIFY_OPINION, NotifyOpinion(
                    request_id=self._input.request_id, event=OpinionEvent.question))
            return None
        finally:
            self._pending = None
            self._applied += 1

    def _decide(self, outcome: OpinionStatus) -> OpinionStatus:
        self._decided = self._decided or outcome
        return self._decided

    # --- the outcomes -----------------------------------------------------------------------

    async def _follow_up(self) -> None:
        assert self._consultation_id is not None
        await publish_consultation(self._consultation_id, self._input.request_id)
        until = workflow.now() + self._input.timings.follow_up
        await self._record(OpinionStatus.answered, consultation_id=self._consultation_id,
                           follow_up_until=until)
        await run_activity(NOTIFY_OPINION, NotifyOpinion(
            request_id=self._input.request_id, event=OpinionEvent.answered))
        # The thread stays open for questions about the answer (message_posted emails them).
        await workflow.sleep(self._input.timings.follow_up, summary="follow-up window")

    async def _refund_and_tell(self, outcome: OpinionStatus) -> OpinionState:
        assert self._payment_id is not None
        reason = ("declined by the doctor" if outcome is OpinionStatus.declined
                  else "not answered in time")
        refund = await self.refund(self._payment_id, reason)
        await self._record(outcome, refund_status=refund.value)
        await run_activity(NOTIFY_OPINION, NotifyOpinion(
            request_id=self._input.request_id,
            event=OpinionEvent.declined if outcome is OpinionStatus.declined
            else OpinionEvent.expired))
        if refund.value == "pending":
            settled = await self.refund_settled(self._payment_id)
            await self._record(outcome, refund_status=settled.value)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _end(self, status: OpinionStatus) -> OpinionState:
        await self._record(status)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _record(self, status: OpinionStatus, **fields: object) -> None:
        self._status = status
        await run_activity(RECORD_OPINION_STATUS, RecordOpinionStatus(
            request_id=self._input.request_id, status=status, at=workflow.now(),
            payment_id=self._payment_id, **fields),  # type: ignore[arg-type]
            retry_policy=WAIT_FOR_COMMIT)
        self._set(status)

    def _set(self, status: OpinionStatus) -> None:
        self._status = self._recorded = status
        set_status(f"opinion_{status.value}")

    # --- the patient ------------------------------------------------------------------------

    @workflow.update
    async def submit(self, submission: SubmitOpinion) -> PaymentView:
        checked = await run_activity(
            CHECK_OPINION_SUBMISSION, OpinionRef(request_id=self._input.request_id))
        if checked.problem is not None:
            raise business_error(BusinessError(checked.error or BusinessError.invalid.value),
                                 checked.problem)
        plan = await check_plan(self._input.patient_id, CareService.opinion)
        if not plan.allowed:
            raise plan_required_error(plan)
        # Two submissions at once: both passed the validator; the first one here wins.
        if self._submission is not None or self._status is not OpinionStatus.draft:
            raise business_error(BusinessError.conflict, "This request is already submitted.")
        self._submission = submission
        return await self.payment_checkout(self._input.timings.checkout_wait)

    @submit.validator
    def _submit_allowed(self, submission: SubmitOpinion) -> None:
        if submission.patient_id != self._input.patient_id:
            raise business_error(BusinessError.not_found, "No such opinion request.")
        if self._submission is not None or self._status is not OpinionStatus.draft:
            raise business_error(BusinessError.conflict,
                                 f"This request is already {self._status.value}.")

    @workflow.update
    async def discard(self, discard: DiscardDraft) -> OpinionState:
        self._discarded = True
        await workflow.wait_condition(lambda: self._recorded is not OpinionStatus.draft)
        return self.state()

    @discard.validator
    def _discard_allowed(self, discard: DiscardDraft) -> None:
        if discard.patient_id != self._input.patient_id:
            raise business_error(BusinessError.not_found, "No such opinion request.")
        if self._submission is not None or self._status is not OpinionStatus.draft:
            raise business_error(BusinessError.conflict,
                                 "Only a draft can be deleted; this request is "
                                 f"{self._status.value}.")

    @workflow.signal(name=MESSAGE_POSTED.name)
    async def message_posted(self, posted: MessagePosted) -> None:
        """A message is in the thread (written by the API): the other side is emailed; the
        patient's answer to a question brings the request back to the doctor."""
        if posted.author_role == "patient" and \
                self._status is OpinionStatus.waiting_for_patient:
            self._patient_replied = True
        await run_activity(NOTIFY_OPINION_MESSAGE, NotifyMessage(
            request_id=self._input.request_id, message_id=posted.message_id))

    # --- the doctor -------------------------------------------------------------------------

    @workflow.update
    async def accept(self, action: DoctorAction) -> OpinionState:
        return await self._act("accept", action)

    @accept.validator
    def _accept_allowed(self, action: DoctorAction) -> None:
        self._require_doctor(action.doctor_id, (OpinionStatus.transmitted,))

    @workflow.update
    async def ask(self, action: DoctorAction) -> OpinionState:
        return await self._act("ask", action)

    @ask.validator
    def _ask_allowed(self, action: DoctorAction) -> None:
        self._require_doctor(action.doctor_id, (OpinionStatus.transmitted,
                                                OpinionStatus.in_review))

    @workflow.update
    async def decline(self, action: DoctorAction) -> OpinionState:
        return await self._act("decline", action, OpinionStatus.declined)

    @decline.validator
    def _decline_allowed(self, action: DoctorAction) -> None:
        self._require_doctor(action.doctor_id, _REVIEWING)

    @workflow.update
    async def answer(self, answer: AnswerGiven) -> OpinionState:
        return await self._act("answer", answer, OpinionStatus.answered)

    @answer.validator
    def _answer_allowed(self, answer: AnswerGiven) -> None:
        self._require_doctor(answer.doctor_id, _REVIEWING)

    async def _act(self, action: str, given: DoctorAction | AnswerGiven,
                   ends_with: OpinionStatus | None = None) -> OpinionState:
        if self._pending is not None or self._decided is not None:
            raise business_error(BusinessError.conflict, "Another action on this request is "
                                 "under way; try again in a moment.")
        self._pending = (action, given)
        applied = self._applied + 1
        if ends_with is None:
            await workflow.wait_condition(
                lambda: self._applied >= applied or self._decided is not None)
            if self._applied < applied:
                raise business_error(BusinessError.conflict,
                                     f"This request is {self._decided and self._decided.value}.")
            return self.state()
        # Answered or declined once the main loop decided (the deadline may have come first).
        await workflow.wait_condition(lambda: self._decided is not None
                                      and self._recorded is self._decided)
        if self._decided is not ends_with:
            raise business_error(BusinessError.conflict,
                                 f"This request is {self._recorded.value}: too late.")
        return self.state()

    def _require_doctor(self, doctor_id: str, allowed: tuple[OpinionStatus, ...]) -> None:
        if doctor_id != self._input.doctor_id:
            raise business_error(BusinessError.not_found, "No such opinion request.")
        if self._decided is not None or self._status not in allowed:
            raise business_error(BusinessError.conflict,
                                 f"This request is {self._status.value}.")
        if self._pending is not None:
            raise business_error(BusinessError.conflict, "Another action on this request is "
                                 "under way; try again in a moment.")

    @workflow.query(name="state")
    def state(self) -> OpinionState:
        return OpinionState(status=self._recorded, due_at=self._due_at,
                            consultation_id=self._consultation_id, payment_id=self._payment_id)


_REVIEWING = (OpinionStatus.transmitted, OpinionStatus.in_review,
              OpinionStatus.waiting_for_patient)
