"""DoctorLinkWorkflow (`doctor-link-<care link id>`): a patient asks a doctor to be one of
their doctors; the doctor accepts or declines (Updates), is reminded, or the request
expires. The patient is told the outcome.
"""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        NOTIFY_DOCTOR_OF_INVITATION,
        NOTIFY_PATIENT_OF_DECISION,
        SET_CARE_LINK_STATUS,
        CareLinkStatus,
        DoctorDecision,
        DoctorLinkInput,
        DoctorLinkState,
        NotifyDoctorOfInvitation,
        NotifyPatientOfDecision,
        SetCareLinkStatus,
    )
    from domain.errors import BusinessError

from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    within,
)


@workflow.defn
class DoctorLinkWorkflow:
    @workflow.init
    def __init__(self, link: DoctorLinkInput) -> None:
        self._doctor_id = link.doctor_id
        self._decision: CareLinkStatus | None = None
        self._status = CareLinkStatus.pending

    @workflow.run
    async def run(self, link: DoctorLinkInput) -> DoctorLinkState:
        timings = link.timings
        set_first_status(f"doctor_link_{self._status.value}")
        expires_at = workflow.now() + timings.expires_after
        await run_activity(
            NOTIFY_DOCTOR_OF_INVITATION,
            NotifyDoctorOfInvitation(link_id=link.link_id, expires_at=expires_at),
            retry_policy=WAIT_FOR_COMMIT,
        )

        answered = await within(self._answered, timings.reminder_after, "doctor reminder")
        if not answered:
            await run_activity(
                NOTIFY_DOCTOR_OF_INVITATION,
                NotifyDoctorOfInvitation(link_id=link.link_id, reminder=True,
                                         expires_at=expires_at),
            )
            await within(self._answered, timings.expires_after - timings.reminder_after,
                         "doctor expiry")

        outcome = self._decision or CareLinkStatus.expired
        await run_activity(
            SET_CARE_LINK_STATUS,
            SetCareLinkStatus(link_id=link.link_id, status=outcome),
        )
        self._status = outcome
        set_status(f"doctor_link_{outcome.value}")
        await run_activity(
            NOTIFY_PATIENT_OF_DECISION,
            NotifyPatientOfDecision(link_id=link.link_id, status=outcome),
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return DoctorLinkState(status=outcome)

    # --- the doctor's answer -------------------------------------------------------------

    @workflow.update
    async def accept(self, decision: DoctorDecision) -> DoctorLinkState:
        return await self._decide(CareLinkStatus.active)

    @accept.validator
    def _accept_allowed(self, decision: DoctorDecision) -> None:
        self._require_open(decision)

    @workflow.update
    async def decline(self, decision: DoctorDecision) -> DoctorLinkState:
        return await self._decide(CareLinkStatus.declined)

    @decline.validator
    def _decline_allowed(self, decision: DoctorDecision) -> None:
        self._require_open(decision)

    async def _decide(self, decision: CareLinkStatus) -> DoctorLinkState:
        self._decision = self._decision or decision
        # Answer once the link shows the outcome (the request may expire at this moment).
        await workflow.wait_condition(lambda: self._status != CareLinkStatus.pending)
        if self._status != decision:
            raise business_error(BusinessError.conflict,
                                 f"This request is already {self._status.value}.")
        return DoctorLinkState(status=self._status)

    def _require_open(self, decision: DoctorDecision) -> None:
        if decision.doctor_id != self._doctor_id:
            raise business_error(BusinessError.not_found, "No such invitation.")
        if self._decision is not None or self._status != CareLinkStatus.pending:
            raise business_error(BusinessError.conflict, "This request is already answered.")

    def _answered(self) -> bool:
        return self._decision is not None
