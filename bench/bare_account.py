"""The baseline of the account validation benchmark: a bare Temporal workflow of the same
shape as AccountValidationWorkflow, with activities that do nothing: what Temporal alone
costs. Same shape means the same Temporal commands: 10 activities, 4 updates, the two
timed waits (validation reminder, profile reminder), the four `EsameStatus` changes (the
first behind a patch), and a start with a summary and search attributes. Run by
`bench.bare_worker` in its own process."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

STATUS = SearchAttributeKey.for_keyword("EsameStatus")
PATIENT_ID = SearchAttributeKey.for_keyword("EsamePatientId")


@activity.defn(name="bare_step")
async def bare_step(step: str) -> str:
    return step


@workflow.defn
class BareAccountValidationWorkflow:
    """Seven activities in the main flow, three in update handlers, four updates: as
    AccountValidationWorkflow does on the way to `active`."""

    def __init__(self) -> None:
        self._done: set[str] = set()

    @workflow.run
    async def run(self, user_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            self._show("account_pending_email_validation")
        await self._step("open_account")
        await self._step("send_validation_link")
        await workflow.wait_condition(lambda: "email" in self._done, timeout=timedelta(days=1),
                                      timeout_summary="validation reminder")
        await self._step("set_status_email_validated")
        self._show("account_email_validated")
        await self._step("find_pending_invitations")
        await workflow.wait_condition(lambda: "profile" in self._done, timeout=timedelta(days=3),
                                      timeout_summary="profile reminder")
        await self._step("set_status_profile_completed")
        self._show("account_profile_completed")
        await self._step("send_verification_code")
        self._done.add("code_sent")
        await workflow.wait_condition(lambda: {"code", "consent"} <= self._done)
        await self._step("set_status_active")
        self._show("account_active")
        self._done.add("active")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "active"

    @workflow.update
    async def validate_email(self) -> str:
        self._done.add("email")
        await workflow.wait_condition(lambda: "set_status_email_validated" in self._done)
        return "email_validated"

    @workflow.update
    async def profile_saved(self) -> str:
        self._done.add("profile")
        await workflow.wait_condition(lambda: "code_sent" in self._done)
        return "profile_completed"

    @workflow.update
    async def submit_code(self) -> str:
        await self._step("check_verification_code")
        await self._step("record_code_verified")
        self._done.add("code")
        return "ok"

    @workflow.update
    async def give_consent(self) -> str:
        await self._step("record_consent")
        self._done.add("consent")
        await workflow.wait_condition(lambda: "active" in self._done)
        return "active"

    def _show(self, status: str) -> None:
        workflow.upsert_search_attributes([STATUS.value_set(status)])

    async def _step(self, name: str) -> None:
        await workflow.execute_activity(bare_step, name,
                                        start_to_close_timeout=timedelta(seconds=30))
        self._done.add(name)


BARE_WORKFLOWS = [BareAccountValidationWorkflow]
BARE_ACTIVITIES = [bare_step]
