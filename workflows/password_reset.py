"""PasswordResetWorkflow (`password-reset-<reset id>`): someone asked for a link to reset
the password of an account. The link is emailed; it works once (the `redeem` Update, which
sets the new password and ends every earlier session), until a newer link replaces it, or
until it expires.
"""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.errors import BusinessError
    from domain.ids import password_reset_workflow_id
    from domain.password_resets import (
        APPLY_PASSWORD_RESET,
        CLOSE_PASSWORD_RESET,
        FIND_OLDER_PASSWORD_RESETS,
        SEND_PASSWORD_RESET_LINK,
        SUPERSEDE_PASSWORD_RESET,
        ApplyPasswordReset,
        ClosePasswordReset,
        FindOlderPasswordResets,
        PasswordResetInput,
        PasswordResetState,
        PasswordResetStatus,
        RedeemPasswordReset,
        SendPasswordResetLink,
        SupersedePasswordReset,
    )

from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    signal_workflow,
    within,
)

_UNUSABLE = "This link was already used, replaced by a newer one, or has expired."


def esame_status(status: PasswordResetStatus) -> str:
    return f"password_reset_{status.value}"


@workflow.defn
class PasswordResetWorkflow:
    @workflow.init
    def __init__(self, reset: PasswordResetInput) -> None:
        self._reset_id = reset.reset_id
        self._status = PasswordResetStatus.pending
        self._superseded = False
        self._redeeming = False
        self._closing = False

    @workflow.run
    async def run(self, reset: PasswordResetInput) -> PasswordResetState:
        set_first_status(esame_status(PasswordResetStatus.pending))
        expires_after = reset.timings.expires_after
        await run_activity(
            SEND_PASSWORD_RESET_LINK,
            SendPasswordResetLink(reset_id=self._reset_id,
                                  expires_at=workflow.now() + expires_after),
            retry_policy=WAIT_FOR_COMMIT,
        )
        await self._supersede_older_links()

        await within(self._over, expires_after, "password reset link expiry")
        # A use under way at the deadline was in time: it finishes.
        await workflow.wait_condition(lambda: not self._redeeming)
        if self._status == PasswordResetStatus.pending:
            self._closing = True
            outcome = (PasswordResetStatus.superseded if self._superseded
                       else PasswordResetStatus.expired)
            await run_activity(CLOSE_PASSWORD_RESET,
                               ClosePasswordReset(reset_id=self._reset_id, status=outcome))
            self._show(outcome)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return PasswordResetState(status=self._status)

    # --- the link is followed (an Update: the API answers with its outcome) -------------

    @workflow.update
    async def redeem(self, redemption: RedeemPasswordReset) -> PasswordResetState:
        if self._closing or self._redeeming or self._status != PasswordResetStatus.pending:
            raise business_error(BusinessError.bad_request, _UNUSABLE)
        self._redeeming = True
        try:
            await run_activity(APPLY_PASSWORD_RESET, ApplyPasswordReset(
                reset_id=self._reset_id, attempt_id=redemption.attempt_id))
        finally:
            self._redeeming = False
        self._show(PasswordResetStatus.used)
        return PasswordResetState(status=self._status)

    @redeem.validator
    def _redeem_allowed(self, redemption: RedeemPasswordReset) -> None:
        if self._closing or self._redeeming or self._status != PasswordResetStatus.pending:
            raise business_error(BusinessError.bad_request, _UNUSABLE)

    @workflow.signal(name=SUPERSEDE_PASSWORD_RESET.name)
    def supersede(self, _: SupersedePasswordReset) -> None:
        self._superseded = True

    @workflow.query
    def state(self) -> PasswordResetState:
        return PasswordResetState(status=self._status)

    # --- steps --------------------------------------------------------------------------

    async def _supersede_older_links(self) -> None:
        """Only the latest link works: links sent before to the same account end now."""
        older = await run_activity(FIND_OLDER_PASSWORD_RESETS,
                                   FindOlderPasswordResets(reset_id=self._reset_id))
        for reset_id in older.reset_ids:
            try:
                await signal_workflow(password_reset_workflow_id(reset_id),
                                      SUPERSEDE_PASSWORD_RESET, SupersedePasswordReset())
            except Exception:  # noqa: BLE001 (a link that just closed needs nothing more)
                workflow.logger.info("password reset %s is already closed", reset_id)

    def _over(self) -> bool:
        return self._status != PasswordResetStatus.pending or self._superseded

    def _show(self, status: PasswordResetStatus) -> None:
        self._status = status
        set_status(esame_status(status))
