"""Plan gating, once for every care route: a service the patient's plan does not include is
a 403 whose problem `type` ends in `/plan-required` and whose `detail` names the feature
(`teleconsultation`, `office_appointment`, `opinion_request`; emergency is gated like office).

The rule is `domain.entitlements.missing_feature`; a process confirming later checks it
again with the `CHECK_PLAN` activity and refuses with `BusinessError.plan_required` (details:
the feature), which `api.workflow_errors.problem_from_temporal` turns into the same problem.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from core.settings import Settings
from db.models import User
from db.queries.entitlements import load_entitlements
from domain.care import CareService
from domain.entitlements import Entitlements, PlanFeature, missing_feature, plan_required_detail

PLAN_REQUIRED_TYPE = "https://esame.cm/problems/plan-required"


def plan_required_problem(feature: PlanFeature | None, detail: str | None = None) -> Problem:
    return Problem(
        403, detail or (plan_required_detail(feature) if feature else "Your plan does not "
                        "include this service."),
        type_=PLAN_REQUIRED_TYPE, title="Plan required",
        extensions={"feature": feature.value} if feature else None)


async def require_plan(
    session: AsyncSession, settings: Settings, user: User, service: CareService
) -> Entitlements:
    """The user's entitlements if their plan includes `service`; the 403 otherwise."""
    entitlements = await load_entitlements(
        session, user.id, free_storage_bytes=settings.limits.storage_default_quota_bytes)
    missing = missing_feature(entitlements, service)
    if missing is not None:
        raise plan_required_problem(missing)
    return entitlements
