"""A workflow standing for the care processes to come: it runs the shared care steps
(workflows/care.py) through their typed references, as an appointment or an opinion will."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

from workflows.care import check_plan, plan_required_error, publish_consultation

with workflow.unsafe.imports_passed_through():
    from domain.care import CareService
    from domain.consultations import ConsultationPublished
    from domain.entitlements import PlanChecked


class ProbeInput(BaseModel):
    user_id: str
    service: CareService
    consultation_id: str | None = None
    source_id: str = ""
    # Stay open for `confirm` until it has answered.
    hold: bool = False


class ProbeResult(BaseModel):
    checked: PlanChecked
    published: ConsultationPublished | None = None
    published_again: ConsultationPublished | None = None


@workflow.defn
class CareStepsProbeWorkflow:
    @workflow.init
    def __init__(self, probe: ProbeInput) -> None:
        self._probe = probe
        self._confirmed = False

    @workflow.run
    async def run(self, probe: ProbeInput) -> ProbeResult:
        checked = await check_plan(probe.user_id, probe.service)
        if probe.hold:
            await workflow.wait_condition(lambda: self._confirmed)
        if probe.consultation_id is None:
            return ProbeResult(checked=checked)
        published = await publish_consultation(probe.consultation_id, probe.source_id)
        again = await publish_consultation(probe.consultation_id, probe.source_id)
        return ProbeResult(checked=checked, published=published, published_again=again)

    @workflow.update
    async def confirm(self) -> PlanChecked:
        """As a process confirming after payment: the plan again, refused with the problem
        the API gives."""
        checked = await check_plan(self._probe.user_id, self._probe.service)
        self._confirmed = True
        if not checked.allowed:
            raise plan_required_error(checked)
        return checked
