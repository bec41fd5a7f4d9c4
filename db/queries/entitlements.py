"""Loading what `domain.entitlements.decide_entitlements` needs for one user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Balance, Plan, Subscription
from db.queries.storage import storage_used_bytes
from domain.billing import PlanEntitlements, SubscriptionStatus
from domain.entitlements import (
    Balances,
    Entitlements,
    SubscriptionFacts,
    decide_entitlements,
)


def plan_entitlements(plan: Plan) -> PlanEntitlements:
    return PlanEntitlements(
        teleconsultation=plan.teleconsultation, office_appointment=plan.office_appointment,
        opinion_request=plan.opinion_request, sms_per_period=plan.sms_per_period,
        storage_gb=plan.storage_gb,
    )


async def current_subscription(session: AsyncSession, user_id: str) -> Subscription | None:
    """The user's latest subscription (there is at most one live at a time)."""
    return await session.scalar(
        select(Subscription).where(Subscription.user_id == user_id)
        .order_by(Subscription.created_at.desc(), Subscription.id.desc()).limit(1)
    )


async def load_facts(
    session: AsyncSession, user_id: str, storage_used_bytes: int = 0
) -> tuple[SubscriptionFacts | None, Balances]:
    facts = None
    subscription = await current_subscription(session, user_id)
    if subscription is not None:
        plan = await session.get(Plan, subscription.plan_id)
        if plan is not None:
            facts = SubscriptionFacts(
                plan_code=plan.code, status=SubscriptionStatus(subscription.status),
                current_period_end=subscription.current_period_end,
                entitlements=plan_entitlements(plan),
            )
    balance = await session.get(Balance, user_id)
    balances = Balances(
        sms_plan=balance.sms_plan if balance else 0,
        sms_purchased=balance.sms_purchased if balance else 0,
        storage_extra_bytes=balance.storage_extra_bytes if balance else 0,
        storage_used_bytes=storage_used_bytes,
    )
    return facts, balances


async def load_entitlements(
    session: AsyncSession, user_id: str, *, free_storage_bytes: int | None = None,
    now: datetime | None = None,
) -> Entitlements:
    """What this user may do now, with the bytes their documents take."""
    used = await storage_used_bytes(session, user_id)
    facts, balances = await load_facts(session, user_id, used)
    extra = {} if free_storage_bytes is None else {"free_storage_bytes": free_storage_bytes}
    return decide_entitlements(facts, balances, now or utcnow(), **extra)
