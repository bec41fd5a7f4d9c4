"""What a user may do: one pure function of their plan and balances.

Every process that needs to know (booking a teleconsultation, uploading a document, sending an
SMS) calls `decide_entitlements`, fed by `db.queries.entitlements.load_entitlements`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.activity_ref import ActivityRef
from domain.billing import PlanEntitlements, SubscriptionStatus
from domain.care import CareService

GB = 1024**3

# No subscription (or an expired one): what everyone gets.
FREE_TIER_CODE = "free"
FREE_TIER = PlanEntitlements(
    teleconsultation=False,
    office_appointment=True,
    opinion_request=False,
    sms_per_period=0,
    storage_gb=1,
)

# Statuses in which the plan still applies, while the period (or grace) lasts.
_GRANTING = frozenset(
    {SubscriptionStatus.active, SubscriptionStatus.canceled, SubscriptionStatus.past_due}
)


class SubscriptionFacts(BaseModel):
    plan_code: str
    status: SubscriptionStatus
    current_period_end: datetime | None
    entitlements: PlanEntitlements


class Balances(BaseModel):
    # The plan's SMS for the current period (count only while the plan applies) and the
    # SMS bought in packs (kept until used).
    sms_plan: int = 0
    sms_purchased: int = 0
    storage_extra_bytes: int = 0
    storage_used_bytes: int = 0


class Entitlements(BaseModel):
    plan: str
    sms_remaining: int
    storage_quota_bytes: int
    storage_used_bytes: int
    teleconsultation: bool
    office_appointment: bool
    opinion_request: bool

    @property
    def storage_free_bytes(self) -> int:
        return max(0, self.storage_quota_bytes - self.storage_used_bytes)


def plan_applies(subscription: SubscriptionFacts | None, now: datetime) -> bool:
    if subscription is None or subscription.status not in _GRANTING:
        return False
    if subscription.status is SubscriptionStatus.past_due:
        # In the grace period: the subscription workflow expires it when grace ends.
        return True
    return subscription.current_period_end is not None and now < subscription.current_period_end


def decide_entitlements(
    subscription: SubscriptionFacts | None,
    balances: Balances,
    now: datetime,
    *,
    free_storage_bytes: int = FREE_TIER.storage_gb * GB,
) -> Entitlements:
    """`free_storage_bytes` is what the free tier may store (a setting)."""
    applies = subscription is not None and plan_applies(subscription, now)
    if subscription is not None and applies:
        code, granted = subscription.plan_code, subscription.entitlements
        storage_bytes = granted.storage_gb * GB
    else:
        code, granted = FREE_TIER_CODE, FREE_TIER
        storage_bytes = free_storage_bytes
    plan_sms = max(0, balances.sms_plan) if applies else 0
    return Entitlements(
        plan=code,
        sms_remaining=plan_sms + max(0, balances.sms_purchased),
        storage_quota_bytes=storage_bytes + balances.storage_extra_bytes,
        storage_used_bytes=balances.storage_used_bytes,
        teleconsultation=granted.teleconsultation,
        office_appointment=granted.office_appointment,
        opinion_request=granted.opinion_request,
    )


def sms_to_consume(subscription: SubscriptionFacts | None, balances: Balances,
                   now: datetime) -> str | None:
    """Which balance one SMS comes out of: "plan" first, then "purchased"; None if empty."""
    if balances.sms_plan > 0 and plan_applies(subscription, now):
        return "plan"
    if balances.sms_purchased > 0:
        return "purchased"
    return None


# --- care services a plan must include ---------------------------------------------------

class PlanFeature(StrEnum):
    """The plan's switches for care services (`GET /plans` entitlements)."""

    teleconsultation = "teleconsultation"
    office_appointment = "office_appointment"
    opinion_request = "opinion_request"


# An emergency slot is seen at the office: it is gated like an office visit.
_FEATURE_OF: dict[CareService, PlanFeature] = {
    CareService.office: PlanFeature.office_appointment,
    CareService.emergency: PlanFeature.office_appointment,
    CareService.teleconsultation: PlanFeature.teleconsultation,
    CareService.opinion: PlanFeature.opinion_request,
}


def required_feature(service: CareService) -> PlanFeature:
    return _FEATURE_OF[service]


def missing_feature(entitlements: Entitlements, service: CareService) -> PlanFeature | None:
    """The plan feature `service` needs and the user's plan lacks, or None if allowed.

    Checked by the API when a care process is asked for (api/plan_gate.py) and again by the
    process when it confirms (the `CHECK_PLAN` activity): the plan may lapse meanwhile."""
    feature = required_feature(service)
    allowed: bool = getattr(entitlements, feature.value)
    return None if allowed else feature


def plan_required_detail(feature: PlanFeature) -> str:
    return (f"Your plan does not include {feature.value}: choose a plan that does "
            "(GET /api/v1/plans).")


class CheckPlan(BaseModel):
    """Activity input: may this user have this care service now?"""

    user_id: str
    service: CareService


class PlanChecked(BaseModel):
    allowed: bool
    feature: PlanFeature
    plan: str
    # The problem's detail when not allowed (raise it as BusinessError.plan_required).
    detail: str | None = None


CHECK_PLAN = ActivityRef("check_plan", CheckPlan, PlanChecked)
