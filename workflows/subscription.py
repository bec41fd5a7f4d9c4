"""SubscriptionWorkflow (`subscription-<id>`): one run per period, for as long as it lasts.

First period: pay (a child PaymentWorkflow, through the paid-process kit `workflows/paid.py`),
then activate until the period end; a card paid at Stripe is kept for the renewals. Every
period: remind before the end, then renew: charge the saved card off-session (no payer
needed), or, without one or when the card is refused, send the payment link by email and
SMS; the subscriber keeps the plan for a grace period (`past_due`); unpaid at its end, the
subscription expires. A cancel stops the renewal at the period end; a plan change takes
effect at the next period. A renewed period continues as new, so the history stays short.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain.billing import (
    GRANT_PERIOD_ALLOWANCE,
    RECORD_SUBSCRIPTION,
    CancelResult,
    GrantPeriodAllowance,
    PlanChangeResult,
    PlanTerms,
    RecordSubscription,
    SubscriptionCreated,
    SubscriptionInput,
    SubscriptionState,
    SubscriptionStatus,
)
from domain.errors import BusinessError
from domain.messages import SEND_MESSAGE, Channel, SendMessage
from domain.paid import PaymentOrder, PaymentPayer
from domain.payments import (
    SAVE_CARD,
    InvoiceLine,
    PaymentMethod,
    PaymentResult,
    PaymentStatus,
    PaymentTimings,
    ProviderName,
    SaveCard,
    SavedCard,
)
from workflows.common import run_activity, set_status
from workflows.paid import PaidProcess

# Runs started before cards were saved replay without it: their first payment kept no card,
# and their renewals send the payment link.
SAVED_CARD_PATCH = "renewal-charges-saved-card"


@workflow.defn
class SubscriptionWorkflow(PaidProcess):
    # The input is known before the run starts: the checkout Update of an update-with-start
    # runs first and needs its timings.
    @workflow.init
    def __init__(self, sub: SubscriptionInput) -> None:
        self._sub: SubscriptionInput | None = sub
        self._status = SubscriptionStatus.pending_payment
        self._payments: list[PaymentResult] = []

    @workflow.run
    async def run(self, sub: SubscriptionInput) -> SubscriptionState:
        self._sub = sub
        if sub.current_period_end is None:
            if not await self._start_first_period(sub):
                return await self._finish(SubscriptionStatus.expired)
        else:
            # The period's SMS first: whoever sees `active` sees the allowance with it.
            await self._grant_allowance()
            self._status = SubscriptionStatus.active
            await self._record()

        await self._remind_before_the_end()
        await self._sleep_until(self._period_end)
        if not sub.auto_renew:
            await self._notify("subscription_ended", "ended")
            return await self._finish(SubscriptionStatus.expired)

        plan = sub.next_plan or sub.plan
        if sub.saved_card is not None and workflow.patched(SAVED_CARD_PATCH):
            renewal = await self._renew_with_saved_card(plan, sub.saved_card)
        else:
            self._status = SubscriptionStatus.past_due
            await self._record()
            renewal = await self._pay(plan, sub.timings.grace_period, renewal=True)
        if renewal.status is not PaymentStatus.succeeded:
            await self._notify("subscription_expired", "expired")
            return await self._finish(SubscriptionStatus.expired)

        await workflow.wait_condition(workflow.all_handlers_finished)
        # The new period starts where the last one ended, even when paid late in the grace.
        start = self._period_end
        workflow.continue_as_new(sub.model_copy(update={
            "period": sub.period + 1, "plan": plan, "next_plan": None,
            "current_period_start": start,
            "current_period_end": start + timedelta(days=plan.period_days),
        }))

    # --- the steps -------------------------------------------------------------------------

    async def _start_first_period(self, sub: SubscriptionInput) -> bool:
        await self._record()
        save_card = (sub.payer.method is PaymentMethod.card
                     and sub.payer.provider is ProviderName.stripe
                     and workflow.patched(SAVED_CARD_PATCH))
        paid = await self._pay(sub.plan, sub.timings.payment.deadline, renewal=False,
                               save_card=save_card)
        if paid.status is not PaymentStatus.succeeded:
            return False
        if save_card:
            await self._keep_card(paid.payment_id)
        start = workflow.now()
        sub.current_period_start = start
        sub.current_period_end = start + timedelta(days=sub.plan.period_days)
        await self._grant_allowance()
        self._status = SubscriptionStatus.active
        await self._record()
        await self._notify("subscription_activated", "activated")
        return True

    async def _renew_with_saved_card(self, plan: PlanTerms, card: SavedCard) -> PaymentResult:
        """Charge the saved card without the payer; refused (declined, or the bank wants
        the payer to authenticate), the payment link goes out within the same grace."""
        sub = self._current
        grace_ends = workflow.now() + sub.timings.grace_period
        charged = await self._pay(plan, sub.timings.payment.deadline, renewal=True,
                                  saved_card=card)
        if charged.status is PaymentStatus.succeeded:
            await self._notify("subscription_renewed", f"renewed-{sub.period}", {
                "plan": plan.name, "amount": _format(plan.price.amount, plan.price.currency),
                "period_end": (self._period_end
                               + timedelta(days=plan.period_days)).isoformat(),
                "invoice_number": charged.invoice_number or "",
            })
            return charged
        self._status = SubscriptionStatus.past_due
        await self._record()
        paid = await self._pay(plan, max(grace_ends - workflow.now(), timedelta(0)),
                               renewal=True, save_card=True, link="renewal_card_declined")
        if paid.status is PaymentStatus.succeeded:
            # The card paid by the link replaces the refused one for the next renewals.
            await self._keep_card(paid.payment_id)
        return paid

    async def _pay(self, plan: PlanTerms, deadline: timedelta, *, renewal: bool,
                   save_card: bool = False, saved_card: SavedCard | None = None,
                   link: str = "renewal_payment_link") -> PaymentResult:
        sub = self._current
        payer = sub.payer
        line = InvoiceLine(description=f"E-same {plan.name} — {plan.period_days} days",
                           unit_price=plan.price, total=plan.price)
        payment_id = await self.start_payment(
            PaymentPayer(user_id=payer.user_id, method=payer.method, provider=payer.provider,
                         operator=payer.operator, phone=payer.payer_phone,
                         billing_address_id=payer.billing_address_id, save_card=save_card,
                         saved_card=saved_card),
            PaymentOrder(amount=plan.price, description=line.description, lines=[line],
                         timings=PaymentTimings(deadline=deadline,
                                                poll_initial=sub.timings.payment.poll_initial,
                                                poll_max=sub.timings.payment.poll_max),
                         purpose="subscription",
                         summary=f"Payment for subscription {sub.subscription_id}",
                         patient_id=payer.user_id))
        if renewal and saved_card is None:
            view = await self.wait_for_payment_view(payment_id)
            if view is not None:
                key = f"renewal-{sub.period}" if link == "renewal_payment_link" else (
                    f"renewal-{sub.period}-card-declined")
                await self._notify(link, key,
                                   {"checkout_url": view.checkout_url or "",
                                    # The payment's page in the web app (payments created
                                    # before it existed have the provider's page only).
                                    "payment_url": view.payment_url or view.checkout_url or "",
                                    "instructions": view.instructions or "",
                                    "amount": _format(view.amount.amount, view.amount.currency),
                                    "plan": plan.name})
        outcome = await self.wait_for_payment(payment_id)
        result = PaymentResult(payment_id=payment_id, status=outcome.status,
                               invoice_id=outcome.invoice_id,
                               invoice_number=outcome.invoice_number)
        self._payments.append(result)
        return result

    async def _remind_before_the_end(self) -> None:
        sub = self._current
        remind_at = self._period_end - sub.timings.renewal_reminder_before
        await self._sleep_until(remind_at)
        if sub.auto_renew:
            plan = sub.next_plan or sub.plan
            await self._notify("renewal_reminder", f"reminder-{sub.period}", {
                "plan": plan.name, "amount": _format(plan.price.amount, plan.price.currency),
                "period_end": self._period_end.isoformat(),
            })

    async def _sleep_until(self, moment: datetime) -> None:
        delay = moment - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)

    async def _finish(self, status: SubscriptionStatus) -> SubscriptionState:
        self._status = status
        await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    # --- activities --------------------------------------------------------------------------

    async def _record(self) -> None:
        sub = self._current
        await run_activity(
            RECORD_SUBSCRIPTION,
            RecordSubscription(subscription_id=sub.subscription_id, user_id=sub.payer.user_id,
                               plan_id=sub.plan.plan_id, status=self._status,
                               auto_renew=sub.auto_renew, period=sub.period,
                               current_period_start=sub.current_period_start,
                               current_period_end=sub.current_period_end,
                               next_plan_id=sub.next_plan.plan_id if sub.next_plan else None,
                               payment_method=sub.payer.method, provider=sub.payer.provider,
                               operator=sub.payer.operator, payer_phone=sub.payer.payer_phone,
                               billing_address_id=sub.payer.billing_address_id),
        )
        set_status(f"subscription_{self._status.value}")

    async def _keep_card(self, payment_id: str) -> None:
        sub = self._current
        saved = await run_activity(
            SAVE_CARD,
            SaveCard(subscription_id=sub.subscription_id, payment_id=payment_id,
                     provider=sub.payer.provider),
        )
        if saved.card is not None:
            sub.saved_card = saved.card

    async def _grant_allowance(self) -> None:
        sub = self._current
        await run_activity(
            GRANT_PERIOD_ALLOWANCE,
            GrantPeriodAllowance(subscription_id=sub.subscription_id, user_id=sub.payer.user_id,
                                 period=sub.period, sms=sub.plan.sms_per_period),
        )

    async def _notify(self, template: str, key: str, data: dict[str, str] | None = None) -> None:
        """Email, and SMS when the subscriber has a phone (it counts against their balance)."""
        sub = self._current
        payer = sub.payer
        values = {"plan": sub.plan.name, **(data or {})}
        channels = [(Channel.email, payer.email)]
        if payer.phone:
            channels.append((Channel.sms, payer.phone))
        for channel, to in channels:
            await run_activity(
                SEND_MESSAGE,
                SendMessage(
                            idempotency_key=f"subscription-{sub.subscription_id}-{key}-{channel.value}",
                            channel=channel, to=to, template=template, language=payer.language,
                            data=values, user_id=payer.user_id),
            )

    # --- handlers ----------------------------------------------------------------------------

    @workflow.update(name="checkout")
    async def checkout(self) -> SubscriptionCreated:
        """The first payment as soon as it exists at the provider (for the API's answer)."""
        payment = await self.payment_checkout(self._current.timings.payment.checkout_wait)
        return SubscriptionCreated(subscription_id=self._current.subscription_id,
                                   status=SubscriptionStatus.pending_payment, payment=payment)

    @workflow.update(name="cancel")
    async def cancel(self) -> CancelResult:
        sub = self._current
        sub.auto_renew = False
        if self._status is SubscriptionStatus.active:
            self._status = SubscriptionStatus.canceled
        await self._record()
        return CancelResult(status=self._status, auto_renew=False,
                            current_period_end=sub.current_period_end)

    @cancel.validator
    def _cancel_only_a_live_subscription(self) -> None:
        if self._status not in (SubscriptionStatus.active, SubscriptionStatus.past_due,
                                SubscriptionStatus.pending_payment):
            raise ApplicationError("this subscription is not renewing",
                                   type=BusinessError.conflict.value, non_retryable=True)

    @workflow.update(name="change_plan")
    async def change_plan(self, plan: PlanTerms) -> PlanChangeResult:
        sub = self._current
        sub.next_plan = plan
        await self._record()
        return PlanChangeResult(next_plan_code=plan.code, effective_at=sub.current_period_end)

    @change_plan.validator
    def _change_only_an_active_subscription(self, plan: PlanTerms) -> None:
        if self._status is not SubscriptionStatus.active:
            raise ApplicationError("only an active, renewing subscription can change plan",
                                   type=BusinessError.conflict.value, non_retryable=True)

    @workflow.query(name="state")
    def state(self) -> SubscriptionState:
        sub = self._current
        return SubscriptionState(
            subscription_id=sub.subscription_id, status=self._status, period=sub.period,
            plan_code=sub.plan.code, current_period_end=sub.current_period_end,
            auto_renew=sub.auto_renew, payments=self._payments,
        )

    # --- helpers -------------------------------------------------------------------------------

    @property
    def _current(self) -> SubscriptionInput:
        assert self._sub is not None
        return self._sub

    @property
    def _period_end(self) -> datetime:
        end = self._current.current_period_end
        assert end is not None
        return end


def _format(amount: int, currency: str) -> str:
    if currency == "XAF":
        return f"{amount} XAF"
    return f"{amount / 100:.2f} {currency}"
