"""AccountExistsNoticeWorkflow (`account-exists-<user id>-<day>`): someone registered with
an address that has an account; its owner is told, at most once a day, and the person who
registered learns nothing (no account enumeration)."""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        SEND_ACCOUNT_EXISTS_NOTICE,
        AccountExistsNoticeInput,
        Done,
        SendAccountExistsNotice,
    )

from workflows.common import run_activity


@workflow.defn
class AccountExistsNoticeWorkflow:
    @workflow.run
    async def run(self, notice: AccountExistsNoticeInput) -> Done:
        return await run_activity(
            SEND_ACCOUNT_EXISTS_NOTICE,
            SendAccountExistsNotice(user_id=notice.user_id, day=notice.day),
        )
