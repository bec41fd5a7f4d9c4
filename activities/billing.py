"""The side effects of subscriptions and purchases: their read models and the balances."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from activities.defn import implements
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Balance, PeriodAllowance, Purchase, Subscription
from domain.billing import (
    CREDIT_PURCHASE,
    GRANT_PERIOD_ALLOWANCE,
    RECORD_PURCHASE,
    RECORD_SUBSCRIPTION,
    AllowanceGranted,
    CreditPurchase,
    GrantPeriodAllowance,
    PurchaseCredited,
    PurchaseRecorded,
    PurchaseStatus,
    RecordPurchase,
    RecordSubscription,
    SubscriptionRecorded,
)


async def _balance(session, user_id: str) -> Balance:  # type: ignore[no-untyped-def]
    balance = await session.get(Balance, user_id, with_for_update=True)
    if balance is None:
        try:
            async with session.begin_nested():
                balance = Balance(user_id=user_id, sms_plan=0, sms_purchased=0,
                                  storage_extra_bytes=0)
                session.add(balance)
        except IntegrityError:
            balance = await session.get(Balance, user_id, with_for_update=True,
                                        populate_existing=True)
    assert balance is not None
    return balance


class BillingActivities:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions

    @implements(RECORD_SUBSCRIPTION)
    async def record_subscription(self, command: RecordSubscription) -> SubscriptionRecorded:
        async with self._sessions() as session, session.begin():
            row = await session.get(Subscription, command.subscription_id)
            if row is None:
                row = Subscription(id=command.subscription_id, user_id=command.user_id)
                session.add(row)
            row.plan_id = command.plan_id
            row.next_plan_id = command.next_plan_id
            row.status = command.status.value
            row.auto_renew = command.auto_renew
            row.period = command.period
            row.current_period_start = command.current_period_start
            row.current_period_end = command.current_period_end
            row.payment_method = command.payment_method.value if command.payment_method else None
            row.provider = command.provider.value if command.provider else None
            row.operator = command.operator.value if command.operator else None
            row.payer_phone = command.payer_phone
            row.billing_address_id = command.billing_address_id
            row.updated_at = utcnow()
        return SubscriptionRecorded(subscription_id=command.subscription_id,
                                    status=command.status)

    @implements(GRANT_PERIOD_ALLOWANCE)
    async def grant_period_allowance(self, command: GrantPeriodAllowance) -> AllowanceGranted:
        """The plan's SMS for the period replace what was left of the last period's."""
        try:
            async with self._sessions() as session, session.begin():
                session.add(PeriodAllowance(subscription_id=command.subscription_id,
                                            period=command.period, sms=command.sms))
                await session.flush()
                balance = await _balance(session, command.user_id)
                balance.sms_plan = command.sms
        except IntegrityError:
            return AllowanceGranted(already_granted=True)
        return AllowanceGranted(already_granted=False)

    @implements(RECORD_PURCHASE)
    async def record_purchase(self, command: RecordPurchase) -> PurchaseRecorded:
        async with self._sessions() as session, session.begin():
            row = await session.get(Purchase, command.purchase_id)
            if row is None:
                row = Purchase(id=command.purchase_id, user_id=command.user_id,
                               sms_packs=command.sms_packs, storage_gb=command.storage_gb,
                               total=command.total.amount, currency=command.total.currency)
                session.add(row)
            row.status = command.status.value
            row.payment_id = command.payment_id or row.payment_id
        return PurchaseRecorded(purchase_id=command.purchase_id, status=command.status)

    @implements(CREDIT_PURCHASE)
    async def credit_purchase(self, command: CreditPurchase) -> PurchaseCredited:
        """Raise the balances and mark the purchase paid, once, however often this runs."""
        async with self._sessions() as session, session.begin():
            claimed = await session.execute(
                update(Purchase).where(Purchase.id == command.purchase_id,
                                       Purchase.credited_at.is_(None))
                .values(credited_at=utcnow(), status=PurchaseStatus.paid.value))
            if claimed.rowcount == 0:  # type: ignore[attr-defined]
                return PurchaseCredited(already_credited=True)
            balance = await _balance(session, command.user_id)
            balance.sms_purchased += command.sms
            balance.storage_extra_bytes += command.storage_bytes
        return PurchaseCredited(already_credited=False)
