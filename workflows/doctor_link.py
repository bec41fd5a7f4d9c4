"""DoctorLinkWorkflow (`doctor-link-<care link id>`): a patient asks a doctor to be one of
their doctors; the doctor accepts or declines (Updates), is reminded, or the request
expires. The patient is told the outcome. An accepted link stays open until the patient
removes the doctor (the `remove` Update, which also withdraws a request not yet answered):
the link ends, and with it everything the patient shared with that doctor.
"""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        END_CARE_LINK,
        NOTIFY_DOCTOR_OF_INVITATION,
        NOTIFY_PATIENT_OF_DECISION,
        SET_CARE_LINK_STATUS,
        CareLinkStatus,
        DoctorDecision,
        DoctorLinkInput,
        DoctorLinkState,
        EndCareLink,
        NotifyDoctorOfInvitation,
        NotifyPatientOfDecision,
        RemoveDoctor,
        SetCareLinkStatus,
    )
    from domain.errors import BusinessError

from workflows.common import WAIT_FOR_COMMIT, business_error, run_activity, set_status, within

# Runs answered before this patch ended with the answer; since, an accepted link's run
# stays open until the link ends.
STAYS_OPEN_PATCH = "doctor-link-stays-open-while-active"
_OPEN = (CareLinkStatus.pending, CareLinkStatus.active)


@workflow.defn(name="DoctorLink")
class DoctorLinkWorkflow:
    @workflow.init
    def __init__(self, link: DoctorLinkInput) -> None:
        self._link_id = link.link_id
        self._patient_id = link.patient_id
        self._doctor_id = link.doctor_id
        self._decision: CareLinkStatus | None = None
        self._removal_asked = False
        self._status = CareLinkStatus.active if link.already_active else CareLinkStatus.pending

    @workflow.run
    async def run(self, link: DoctorLinkInput) -> DoctorLinkState:
        if not link.already_active:
            outcome = await self._ask_the_doctor(link)
            if outcome != CareLinkStatus.active or not workflow.patched(STAYS_OPEN_PATCH):
                await workflow.wait_condition(workflow.all_handlers_finished)
                return DoctorLinkState(status=outcome)

        # The doctor is one of the patient's doctors until the patient removes them. A care
        # relation has no term, so this one wait has no timer (nothing to release on time).
        await workflow.wait_condition(lambda: self._removal_asked)
        await self._end()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return DoctorLinkState(status=self._status)

    async def _ask_the_doctor(self, link: DoctorLinkInput) -> CareLinkStatus:
        timings = link.timings
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

        if self._removal_asked:  # the patient withdrew the request: nobody else to tell
            await self._end()
            return self._status
        outcome = self._decision or CareLinkStatus.expired
        await run_activity(
            SET_CARE_LINK_STATUS,
            SetCareLinkStatus(link_id=link.link_id, status=outcome),
        )
        self._status = outcome
        set_status(outcome.value)
        await run_activity(
            NOTIFY_PATIENT_OF_DECISION,
            NotifyPatientOfDecision(link_id=link.link_id, status=outcome),
        )
        return outcome

    async def _end(self) -> None:
        """The link ends, and so does every share with the doctor (documents, vitals)."""
        await run_activity(END_CARE_LINK, EndCareLink(link_id=self._link_id))
        self._status = CareLinkStatus.removed
        set_status(self._status.value)

    # --- the patient removes the doctor ------------------------------------------------

    @workflow.update
    async def remove(self, removal: RemoveDoctor) -> DoctorLinkState:
        self._removal_asked = True
        # A request that closed at this very moment (declined, expired) has left the list
        # too: its outcome is the answer.
        await workflow.wait_condition(lambda: self._status not in _OPEN)
        return DoctorLinkState(status=self._status)

    @remove.validator
    def _remove_allowed(self, removal: RemoveDoctor) -> None:
        if removal.patient_id != self._patient_id:
            raise business_error(BusinessError.not_found, "No such doctor in your list.")
        if self._status not in _OPEN:
            raise business_error(BusinessError.conflict,
                                 f"This link is already {self._status.value}.")

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
        return self._decision is not None or self._removal_asked
