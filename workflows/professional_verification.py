"""ProfessionalVerificationWorkflow (`professional-verification-<user id>`): a doctor or
pharmacist registers; an admin checks their licence and approves or refuses it (Updates,
with a reason for a refusal); the admins are reminded while nobody has decided; the
professional is told the decision by email. Until verified, the account is not listed
and cannot act as a professional (api/deps.py `VerifiedDoctor`, `VerifiedPharmacist`).
"""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.errors import BusinessError
    from domain.professionals import (
        NOTIFY_PROFESSIONAL_OF_VERIFICATION,
        OPEN_VERIFICATION,
        RECORD_VERIFICATION,
        REMIND_ADMINS_OF_VERIFICATION,
        NotifyProfessional,
        OpenVerification,
        ProfessionalVerificationInput,
        RecordVerification,
        RemindAdmins,
        VerificationDecision,
        VerificationOutcome,
        VerificationState,
        VerificationStatus,
    )

from workflows.common import WAIT_FOR_COMMIT, business_error, run_activity, set_status, within


def _show(status: str) -> None:
    set_status(f"professional_verification_{status}")


@workflow.defn
class ProfessionalVerificationWorkflow:
    @workflow.init
    def __init__(self, verification: ProfessionalVerificationInput) -> None:
        self._status = VerificationStatus.pending
        self._decision: tuple[VerificationStatus, VerificationDecision] | None = None

    @workflow.run
    async def run(self, verification: ProfessionalVerificationInput) -> VerificationOutcome:
        user_id, timings = verification.user_id, verification.timings
        opened = await run_activity(
            OPEN_VERIFICATION, OpenVerification(user_id=user_id),
            retry_policy=WAIT_FOR_COMMIT,
            schedule_to_close_timeout=timings.registration_commit_timeout,
        )
        if opened.status is not VerificationStatus.pending:  # decided without the process
            self._status = opened.status
            _show(opened.status.value)
            return VerificationOutcome(user_id=user_id, status=opened.status)
        _show(VerificationStatus.pending.value)

        # An admin decides; while nobody has, the admins are reminded now and then. An
        # account that expired meanwhile (its email never validated) ends the check.
        reminders = verification.reminders_sent
        while not await within(self._decided, timings.admin_reminder_after, "admin reminder"):
            reminders += 1
            reminded = await run_activity(
                REMIND_ADMINS_OF_VERIFICATION, RemindAdmins(user_id=user_id, reminder=reminders))
            if not reminded.account_open:
                _show("abandoned")
                return VerificationOutcome(user_id=user_id, status=self._status,
                                           account_closed=True)
            if workflow.info().is_continue_as_new_suggested() and not self._decided():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    verification.model_copy(update={"reminders_sent": reminders}))

        assert self._decision is not None
        status, decision = self._decision
        await run_activity(
            RECORD_VERIFICATION,
            RecordVerification(user_id=user_id, status=status, admin_id=decision.admin_id,
                               reason=decision.reason),
        )
        self._status = status
        _show(status.value)
        await run_activity(NOTIFY_PROFESSIONAL_OF_VERIFICATION,
                           NotifyProfessional(user_id=user_id, status=status))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return VerificationOutcome(user_id=user_id, status=status)

    # --- an admin's decision (Updates: answered once the database shows it) --------------

    @workflow.update
    async def approve(self, decision: VerificationDecision) -> VerificationState:
        return await self._decide(VerificationStatus.verified, decision)

    @approve.validator
    def _approve_allowed(self, decision: VerificationDecision) -> None:
        self._require_undecided()

    @workflow.update
    async def refuse(self, decision: VerificationDecision) -> VerificationState:
        return await self._decide(VerificationStatus.refused, decision)

    @refuse.validator
    def _refuse_allowed(self, decision: VerificationDecision) -> None:
        self._require_undecided()
        if not (decision.reason or "").strip():
            raise business_error(BusinessError.invalid, "A refusal says why.")

    @workflow.query
    def state(self) -> VerificationState:
        return VerificationState(status=self._status)

    async def _decide(self, status: VerificationStatus,
                      decision: VerificationDecision) -> VerificationState:
        self._decision = self._decision or (status, decision)
        await workflow.wait_condition(lambda: self._status is not VerificationStatus.pending)
        if self._status is not status:
            raise business_error(BusinessError.conflict,
                                 f"This professional is already {self._status.value}.")
        return VerificationState(status=self._status)

    def _require_undecided(self) -> None:
        if self._decision is not None or self._status is not VerificationStatus.pending:
            raise business_error(BusinessError.conflict, "An admin has already decided.")

    def _decided(self) -> bool:
        return self._decision is not None
