"""The account processes under the type names they had before every workflow type became
`<Process>Workflow` (`DoctorLink` is now `DoctorLinkWorkflow`...).

A run keeps the type it was started with: the runs started under the former names, still
waiting (an account for its code, an invitation for its friend, a doctor's answer), go on
here, on the same code as the new type. The worker registers both; a class can go once no
run of its name is open (`temporal workflow list --query "WorkflowType='DoctorLink' AND
ExecutionStatus='Running'"`). Nothing starts these names any more.

The SDK takes a subclass as a second type when it declares its own `@workflow.run`; the
signals, updates, queries and the `@workflow.init` are inherited.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        AccountExistsNoticeInput,
        AccountOutcome,
        AccountValidationInput,
        DoctorLinkInput,
        DoctorLinkState,
        Done,
        InvitationInput,
        InvitationOutcome,
    )

from workflows.account_exists import AccountExistsNoticeWorkflow
from workflows.account_validation import AccountValidationWorkflow
from workflows.doctor_link import DoctorLinkWorkflow
from workflows.invitation import InvitationWorkflow


@workflow.defn(name="AccountValidation")
class AccountValidationFormerName(AccountValidationWorkflow):
    @workflow.run
    async def run(self, account: AccountValidationInput) -> AccountOutcome:
        return await super().run(account)


@workflow.defn(name="AccountExistsNotice")
class AccountExistsNoticeFormerName(AccountExistsNoticeWorkflow):
    @workflow.run
    async def run(self, notice: AccountExistsNoticeInput) -> Done:
        return await super().run(notice)


@workflow.defn(name="Invitation")
class InvitationFormerName(InvitationWorkflow):
    @workflow.run
    async def run(self, invitation: InvitationInput) -> InvitationOutcome:
        return await super().run(invitation)


@workflow.defn(name="DoctorLink")
class DoctorLinkFormerName(DoctorLinkWorkflow):
    @workflow.run
    async def run(self, link: DoctorLinkInput) -> DoctorLinkState:
        return await super().run(link)


# The four former type names, registered by the worker beside the new ones.
FORMER_NAMES: list[type] = [AccountValidationFormerName, AccountExistsNoticeFormerName,
                            InvitationFormerName, DoctorLinkFormerName]
