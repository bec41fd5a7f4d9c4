"""The plan check a care process repeats when it confirms (the API checked it at the start;
the plan may have lapsed since)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.defn import implements
from db.engine import SessionMaker
from db.queries.entitlements import load_entitlements
from domain.entitlements import (
    CHECK_PLAN,
    CheckPlan,
    PlanChecked,
    missing_feature,
    plan_required_detail,
    required_feature,
)


class PlanActivities:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions

    @implements(CHECK_PLAN)
    async def check_plan(self, command: CheckPlan) -> PlanChecked:
        """A read: the same rule as the API's `require_plan` (domain.entitlements)."""
        async with self._sessions() as session:
            entitlements = await load_entitlements(session, command.user_id)
        missing = missing_feature(entitlements, command.service)
        return PlanChecked(
            allowed=missing is None, feature=required_feature(command.service),
            plan=entitlements.plan,
            detail=plan_required_detail(missing) if missing is not None else None)

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_plan]
