"""AccountValidationWorkflow (`account-<user id>`): from registration to an active account.

The email address is validated through a link (a reminder, then expiry, which frees the
address); then the profile is completed, a 6-digit code is sent and checked, consent is
given, and the account is active. The API talks to it through Updates so that each step
answers synchronously.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        ACCEPT_INVITATION,
        CHECK_VERIFICATION_CODE,
        EXPIRE_ACCOUNT,
        FIND_PENDING_INVITATIONS,
        OPEN_ACCOUNT,
        RECORD_CODE_VERIFIED,
        RECORD_CONSENT,
        SEND_PROFILE_REMINDER,
        SEND_VALIDATION_LINK,
        SEND_VERIFICATION_CODE,
        SET_ACCOUNT_STATUS,
        AccountOutcome,
        AccountState,
        AccountStatus,
        AccountValidationInput,
        CheckVerificationCode,
        ExpireAccount,
        FindPendingInvitations,
        GiveConsent,
        InvitationAccepted,
        OpenAccount,
        ProfileSaved,
        RecordCodeVerified,
        RecordConsent,
        ResendCode,
        SendProfileReminder,
        SendValidationLink,
        SendVerificationCode,
        SetAccountStatus,
        SubmitCode,
        ValidateEmail,
    )
    from domain.errors import BusinessError
    from domain.ids import invitation_workflow_id

from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    signal_workflow,
    within,
)


@workflow.defn
class AccountValidationWorkflow:
    @workflow.init
    def __init__(self, account: AccountValidationInput) -> None:
        self._user_id = account.user_id
        self._timings = account.timings
        self._status = AccountStatus.pending_email_validation
        self._email_validated = False
        self._profile_saved = False
        self._codes_sent = 0
        self._code_expires_at: datetime | None = None
        self._code_attempts = 0
        self._code_verified = False
        self._consent_given = False

    @workflow.run
    async def run(self, account: AccountValidationInput) -> AccountOutcome:
        timings = account.timings
        set_first_status(_shown(self._status))
        await run_activity(
            OPEN_ACCOUNT,
            OpenAccount(user_id=self._user_id),
            retry_policy=WAIT_FOR_COMMIT,
            schedule_to_close_timeout=timings.registration_commit_timeout,
        )

        # 1. The email address: a link, a reminder, then expiry.
        expires_at = workflow.now() + timings.validation_expires_after
        await self._send_validation_link(expires_at, reminder=False)
        validated = await within(lambda: self._email_validated,
                                 timings.validation_reminder_after, "validation reminder")
        if not validated:
            await self._send_validation_link(expires_at, reminder=True)
            validated = await within(
                lambda: self._email_validated,
                timings.validation_expires_after - timings.validation_reminder_after,
                "validation expiry",
            )
        if not validated:
            await run_activity(EXPIRE_ACCOUNT, ExpireAccount(user_id=self._user_id))
            self._show(AccountStatus.expired)
            return AccountOutcome(user_id=self._user_id, status=self._status)
        await self._set_status(AccountStatus.email_validated)
        await self._accept_invitations_to_this_email()

        # 2. The profile. A validated address does not expire, so after the reminder the
        # account simply waits for its owner.
        if not await within(lambda: self._profile_saved, timings.profile_reminder_after,
                            "profile reminder"):
            await run_activity(SEND_PROFILE_REMINDER, SendProfileReminder(user_id=self._user_id))
            await workflow.wait_condition(lambda: self._profile_saved)
        await self._set_status(AccountStatus.profile_completed)
        await self._send_code()

        # 3. The code and the consent, in any order (see the updates below).
        await workflow.wait_condition(lambda: self._code_verified and self._consent_given)
        await self._set_status(AccountStatus.active)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return AccountOutcome(user_id=self._user_id, status=self._status)

    # --- what the user does (Updates: the API answers with their outcome) ---------------

    @workflow.update
    async def validate_email(self, _: ValidateEmail) -> AccountState:
        self._email_validated = True
        await workflow.wait_condition(
            lambda: self._status != AccountStatus.pending_email_validation)
        if self._status == AccountStatus.expired:
            raise business_error(BusinessError.bad_request, "This link has expired.")
        return self._state()

    @validate_email.validator
    def _validate_email_allowed(self, _: ValidateEmail) -> None:
        if self._status == AccountStatus.expired:
            raise business_error(BusinessError.bad_request, "This link has expired.")
        if self._email_validated:
            raise business_error(BusinessError.bad_request, "This link was already used.")

    @workflow.update
    async def profile_saved(self, _: ProfileSaved) -> AccountState:
        self._profile_saved = True
        # Answer once the code is on its way, so the client can ask for it at once.
        await workflow.wait_condition(lambda: self._codes_sent > 0)
        return self._state()

    @profile_saved.validator
    def _profile_saved_allowed(self, _: ProfileSaved) -> None:
        if not self._email_validated or self._status == AccountStatus.expired:
            raise business_error(BusinessError.conflict, "Validate your email address first.")

    @workflow.update
    async def submit_code(self, submission: SubmitCode) -> AccountState:
        assert self._code_expires_at is not None
        if workflow.now() > self._code_expires_at:
            raise business_error(BusinessError.bad_request,
                         "This code has expired: ask for a new one.")
        self._code_attempts += 1
        check = await run_activity(
            CHECK_VERIFICATION_CODE,
            CheckVerificationCode(user_id=self._user_id, code=submission.code),
        )
        if not check.matches:
            raise business_error(BusinessError.bad_request, "Wrong code.")
        if not self._code_verified:
            await run_activity(RECORD_CODE_VERIFIED, RecordCodeVerified(user_id=self._user_id))
            self._code_verified = True
        await self._until_active_if_complete()
        return self._state()

    @submit_code.validator
    def _submit_code_allowed(self, submission: SubmitCode) -> None:
        self._require_code_pending()
        if self._code_attempts >= self._timings.verification_max_attempts:
            raise business_error(BusinessError.too_many_attempts,
                         "Too many wrong codes: ask for a new one.")

    @workflow.update
    async def resend_code(self, _: ResendCode) -> AccountState:
        await self._send_code()
        return self._state()

    @resend_code.validator
    def _resend_code_allowed(self, _: ResendCode) -> None:
        self._require_code_pending()

    @workflow.update
    async def give_consent(self, consent: GiveConsent) -> AccountState:
        if not self._consent_given:
            await run_activity(RECORD_CONSENT, RecordConsent(user_id=self._user_id))
            self._consent_given = True
        await self._until_active_if_complete()
        return self._state()

    @give_consent.validator
    def _give_consent_allowed(self, consent: GiveConsent) -> None:
        if not consent.share_medical_data:
            raise business_error(BusinessError.invalid, "Consent must be given to use E-same.")
        if not self._email_validated or self._status == AccountStatus.expired:
            raise business_error(BusinessError.conflict, "Validate your email address first.")

    @workflow.query
    def state(self) -> AccountState:
        return self._state()

    # --- steps --------------------------------------------------------------------------

    async def _send_validation_link(self, expires_at: datetime, *, reminder: bool) -> None:
        await run_activity(
            SEND_VALIDATION_LINK,
            SendValidationLink(user_id=self._user_id, reminder=reminder, expires_at=expires_at),
        )

    async def _send_code(self) -> None:
        # A new code replaces the previous one and gives back every attempt.
        generation = self._codes_sent + 1
        expires_at = workflow.now() + self._timings.verification_code_ttl
        await run_activity(
            SEND_VERIFICATION_CODE,
            SendVerificationCode(user_id=self._user_id, generation=generation,
                                 expires_at=expires_at),
        )
        self._codes_sent = max(self._codes_sent, generation)
        self._code_attempts = 0
        self._code_expires_at = expires_at

    async def _accept_invitations_to_this_email(self) -> None:
        pending = await run_activity(
            FIND_PENDING_INVITATIONS,
            FindPendingInvitations(user_id=self._user_id),
        )
        for invitation_id in pending.invitation_ids:
            try:
                await signal_workflow(invitation_workflow_id(invitation_id), ACCEPT_INVITATION,
                                      InvitationAccepted(user_id=self._user_id))
            except Exception:  # noqa: BLE001 (an invitation that just expired is no matter)
                workflow.logger.info("invitation %s is already closed", invitation_id)

    async def _set_status(self, status: AccountStatus) -> None:
        await run_activity(
            SET_ACCOUNT_STATUS,
            SetAccountStatus(user_id=self._user_id, status=status),
        )
        self._show(status)

    def _show(self, status: AccountStatus) -> None:
        self._status = status
        set_status(_shown(status))

    async def _until_active_if_complete(self) -> None:
        if self._code_verified and self._consent_given:
            await workflow.wait_condition(lambda: self._status == AccountStatus.active)

    def _require_code_pending(self) -> None:
        if self._codes_sent == 0:
            raise business_error(BusinessError.conflict,
                                 "Save your profile first: it sends the code.")
        if self._code_verified:
            raise business_error(BusinessError.conflict, "The code is already verified.")

    def _state(self) -> AccountState:
        return AccountState(status=self._status, code_verified=self._code_verified,
                            consent_given=self._consent_given)


def _shown(status: AccountStatus) -> str:
    return f"account_{status.value}"
