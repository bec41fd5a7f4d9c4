"""Steps every care process shares: checking the plan again, publishing the consultation.

The API checks the plan when a process is asked for (api/plan_gate.py); a process that
confirms later (after a payment) checks it again here and decides what a lapsed plan means
for it (refuse an Update, refund a payment).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.common import WAIT_FOR_COMMIT, run_activity

with workflow.unsafe.imports_passed_through():
    from domain.care import CareService
    from domain.consultations import (
        PUBLISH_CONSULTATION,
        ConsultationPublished,
        PublishConsultation,
    )
    from domain.entitlements import CHECK_PLAN, CheckPlan, PlanChecked
    from domain.errors import BusinessError


async def check_plan(user_id: str, service: CareService) -> PlanChecked:
    """Whether the user's plan includes `service` now (the rule of domain.entitlements)."""
    return await run_activity(CHECK_PLAN, CheckPlan(user_id=user_id, service=service))


def plan_required_error(checked: PlanChecked) -> ApplicationError:
    """The failure the API answers as 403 `plan-required` naming the feature (an Update's
    answer), like its own check."""
    return ApplicationError(checked.detail or "Your plan does not include this service.",
                            checked.feature.value, type=BusinessError.plan_required.value,
                            non_retryable=True)


async def publish_consultation(consultation_id: str, source_id: str) -> ConsultationPublished:
    """Make the doctor's draft the patient's consultation, once (the API wrote it and
    committed it before telling the process)."""
    return await run_activity(
        PUBLISH_CONSULTATION,
        PublishConsultation(consultation_id=consultation_id, source_id=source_id),
        retry_policy=WAIT_FOR_COMMIT)
