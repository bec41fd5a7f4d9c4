"""Record the histories the replay test checks: `uv run python -m tests.payments.make_histories
[name ...]` (all of them, or only those named: a recorder's name or a history's).

Runs each payment workflow to completion on the time-skipping server, with the real
activities on a throwaway SQLite database (and a local MTN MoMo peer; localstripe behind the
idempotency proxy for the card renewal charged off-session), and writes its history
as JSON under tests/payments/histories/, its payloads encrypted by the payload codec as in
production (with the public dev key; the histories recorded before the codec are clear
text, which the codec reads as it is). Record a new history for a new path; record the
existing ones again (and commit the files) only when a workflow change is meant to be
incompatible with running workflows: they stand for runs already under way.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import stripe
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from db.models import BillingAddress, Payment, Subscription
from db.queries.sandbox import DbSandboxLedger
from domain.accounts import Role
from domain.billing import (
    Payer,
    PaymentRequestSnapshot,
    PlanTerms,
    PurchaseInput,
    SubscriptionInput,
    SubscriptionTimings,
    purchase_lines,
)
from domain.ids import new_id, payment_workflow_id
from domain.money import Money
from domain.payments import (
    InvoiceLine,
    Operator,
    PaymentInput,
    PaymentMethod,
    PaymentStatus,
    PaymentTimings,
    ProviderEventSignal,
    ProviderName,
    RefundRequest,
    RefundResult,
)
from providers.payments.mtn_momo import reference_id
from tests.payments.mtn_peer import MtnPeer
from tests.payments.stripe_idempotency import StripeIdempotencyProxy
from tests.payments.support import localstripe_process, with_mtn
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker
from workflows.payment import PaymentWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.subscription import SubscriptionWorkflow

HISTORIES = Path(__file__).with_name("histories")
BIN = Path(sys.executable).parent
DAY = timedelta(days=1)
TIMINGS = PaymentTimings(deadline=timedelta(minutes=30), poll_initial=timedelta(seconds=10),
                         poll_max=timedelta(minutes=5))


async def _save(handle: WorkflowHandle, name: str) -> None:
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json() + "\n")
    print(f"wrote {name}.json ({len(history.events)} events)")


async def _succeed(client: Client, ledger: DbSandboxLedger, payment_id: str) -> None:
    await ledger.settle(payment_id, "succeeded")
    await client.get_workflow_handle(payment_workflow_id(payment_id)).signal(
        "provider_event", ProviderEventSignal(provider=ProviderName.sandbox,
                                              event_id=f"evt-{payment_id}",
                                              status=PaymentStatus.succeeded))


async def _pending(sessions, user_id: str,  # type: ignore[no-untyped-def]
                   checkout: bool = True) -> str:
    from sqlalchemy import select

    from db.models import Payment

    for _ in range(400):
        async with sessions() as session:
            found = await session.scalar(select(Payment.id).where(
                Payment.user_id == user_id, Payment.status == "pending",
                (Payment.checkout_url if checkout else Payment.provider_reference).is_not(None)))
        if found:
            return str(found)
        await asyncio.sleep(0.05)
    raise RuntimeError("no pending payment")


async def _invoiced(sessions, payment_id: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from db.models import Invoice

    for _ in range(400):
        async with sessions() as session:
            if await session.scalar(select(Invoice.id).where(Invoice.payment_id == payment_id)):
                return
        await asyncio.sleep(0.05)
    raise RuntimeError("no invoice")


async def _refund_window_open(handle: WorkflowHandle) -> None:
    """Paid and invoiced: the workflow waits for a refund (a timer of refundable_for)."""
    for _ in range(400):
        async for event in handle.fetch_history_events():
            if event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == DAY:
                return
        await asyncio.sleep(0.05)
    raise RuntimeError("no refund window")


@dataclass
class Recording:
    env: WorkflowEnvironment
    sessions: SessionMaker
    ledger: DbSandboxLedger
    settings: Settings
    user: TestUser
    address_id: str
    mtn: MtnPeer

    @property
    def client(self) -> Client:
        return self.env.client

    @property
    def task_queue(self) -> str:
        return self.settings.temporal.task_queue

    def payment(self, **extra: object) -> PaymentInput:
        price = Money(amount=1500, currency="XAF")
        fields: dict[str, object] = {
            "method": PaymentMethod.card, "provider": ProviderName.sandbox, **extra}
        return PaymentInput(
            payment_id=new_id(), user_id=self.user.id, amount=price,
            billing_address_id=self.address_id, description="History", timings=TIMINGS,
            lines=[InvoiceLine(description="History", unit_price=price, total=price)],
            **fields)  # type: ignore[arg-type]


async def _payment_expired(r: Recording) -> None:
    expired = r.payment()
    handle: WorkflowHandle = await r.client.start_workflow(
        PaymentWorkflow.run, expired, task_queue=r.task_queue,
        id=payment_workflow_id(expired.payment_id))
    await handle.result()
    await _save(handle, "payment_expired")


async def _payment_succeeded_then_refunded(r: Recording) -> None:
    refunded = r.payment(refundable_for=DAY)
    handle = await r.client.start_workflow(PaymentWorkflow.run, refunded,
                                           task_queue=r.task_queue,
                                           id=payment_workflow_id(refunded.payment_id))
    await _pending(r.sessions, r.user.id)
    await _succeed(r.client, r.ledger, refunded.payment_id)
    await _invoiced(r.sessions, refunded.payment_id)
    await handle.execute_update("refund", RefundRequest(), result_type=RefundResult)
    await handle.result()
    await _save(handle, "payment_succeeded_then_refunded")


async def _payment_refund_polled(r: Recording) -> None:
    """MTN MoMo: paid (callback), then a refund that MTN reports PENDING once before paying
    it back: the refund status is polled after 10 s, then 20 s more."""
    paid = r.payment(method=PaymentMethod.mobile_money, provider=ProviderName.mtn_momo,
                     operator=Operator.mtn, phone="+237670001122", refundable_for=DAY)
    handle = await r.client.start_workflow(PaymentWorkflow.run, paid, task_queue=r.task_queue,
                                           id=payment_workflow_id(paid.payment_id))
    await _pending(r.sessions, r.user.id, checkout=False)
    r.mtn.payer_answers(reference_id(paid.payment_id), "SUCCESSFUL")
    await handle.signal("provider_event", ProviderEventSignal(
        provider=ProviderName.mtn_momo, event_id=f"evt-{paid.payment_id}",
        status=PaymentStatus.succeeded))
    await _invoiced(r.sessions, paid.payment_id)
    await _refund_window_open(handle)
    r.mtn.refund_checks_before_final = 1
    update = await handle.start_update("refund", RefundRequest(), result_type=RefundResult,
                                       wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await handle.result()  # (the server skips the poll timers while we wait)
    refunded = await update.result()
    assert refunded.status is PaymentStatus.refunded, refunded
    await _save(handle, "payment_refund_polled")


async def _subscription(r: Recording) -> None:
    client = r.client
    plan = PlanTerms(plan_id="plan-essentiel", code="essentiel", name="Essentiel",
                     price=Money(amount=2000, currency="XAF"), period_days=30,
                     sms_per_period=10)
    sub = SubscriptionInput(
        subscription_id=new_id(), plan=plan,
        timings=SubscriptionTimings(renewal_reminder_before=3 * DAY,
                                    grace_period=7 * DAY, payment=TIMINGS.model_copy(
                                        update={"poll_max": timedelta(hours=6)})),
        payer=Payer(user_id=r.user.id, email=r.user.email, method=PaymentMethod.card,
                    provider=ProviderName.sandbox, billing_address_id=r.address_id))
    handle = await client.start_workflow(SubscriptionWorkflow.run, sub, task_queue=r.task_queue,
                                         id=f"subscription-{sub.subscription_id}")
    first_run = handle.first_execution_run_id or handle.result_run_id
    checkout = await handle.execute_update("checkout", result_type=dict)
    await _succeed(client, r.ledger, checkout["payment"]["id"])
    await r.env.sleep(30 * DAY + timedelta(hours=1))
    await _succeed(client, r.ledger, await _pending(r.sessions, r.user.id))
    await r.env.sleep(DAY)
    await _save(client.get_workflow_handle(handle.id, run_id=first_run),
                "subscription_paid_reminded_renewed")
    await handle.execute_update("cancel", result_type=dict)
    await handle.result()
    await _save(client.get_workflow_handle(handle.id), "subscription_second_period_canceled")


async def _subscription_off_session(r: Recording) -> None:
    """A first card payment at Stripe saves the card; the renewal charges it off-session
    (no link). Writes the subscription's first run and the renewal payment's history."""
    with localstripe_process() as localstripe:
        proxy = StripeIdempotencyProxy(localstripe).start()
        try:
            await _record_off_session(r, proxy)
        finally:
            proxy.stop()


async def _record_off_session(r: Recording, proxy: StripeIdempotencyProxy) -> None:
    settings = r.settings.model_copy(update={
        "temporal": r.settings.temporal.model_copy(update={"task_queue": "histories-card"}),
        "payments": r.settings.payments.model_copy(update={
            "stripe_api_key": "sk_test_esame", "stripe_api_base": proxy.url})})
    plan = PlanTerms(plan_id="plan-essentiel", code="essentiel", name="Essentiel",
                     price=Money(amount=2000, currency="XAF"), period_days=30,
                     sms_per_period=10)
    sub = SubscriptionInput(
        subscription_id=new_id(), plan=plan,
        timings=SubscriptionTimings(renewal_reminder_before=3 * DAY, grace_period=7 * DAY,
                                    payment=TIMINGS),
        payer=Payer(user_id=r.user.id, email=r.user.email, method=PaymentMethod.card,
                    provider=ProviderName.stripe, billing_address_id=r.address_id))
    async with build_worker(r.client, WorkerDeps.from_settings(settings, r.sessions)):
        handle = await r.client.start_workflow(
            SubscriptionWorkflow.run, sub, task_queue="histories-card",
            id=f"subscription-{sub.subscription_id}")
        first_run = handle.first_execution_run_id or handle.result_run_id
        checkout = await handle.execute_update("checkout", result_type=dict)
        payment = checkout["payment"]
        # What Stripe.js does in the payer's browser.
        client = stripe.StripeClient("sk_test_esame", base_addresses={"api": proxy.url},
                                     http_client=stripe.HTTPXClient())
        intent_id = payment["client_secret"].split("_secret_")[0]
        card = await client.v1.payment_methods.create_async({
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                     "exp_year": 2030, "cvc": "123"}})
        await client.v1.payment_intents.update_async(intent_id, {"payment_method": card.id})
        await client.v1.payment_intents.confirm_async(intent_id)
        await r.client.get_workflow_handle(payment_workflow_id(payment["id"])).signal(
            "provider_event", ProviderEventSignal(
                provider=ProviderName.stripe, event_id=f"evt-{payment['id']}",
                status=PaymentStatus.succeeded))

        async def subscription(period: int) -> None:
            for _ in range(400):
                async with r.sessions() as session:
                    row = await session.get(Subscription, sub.subscription_id)
                if row and row.status == "active" and row.period == period and (
                        row.saved_payment_method_id):
                    return
                await asyncio.sleep(0.05)
            raise RuntimeError(f"subscription not active in period {period}")

        await subscription(1)
        await r.env.sleep(30 * DAY + timedelta(hours=1))
        await subscription(2)
        async with r.sessions() as session:
            renewal = await session.scalar(select(Payment.id).where(
                Payment.user_id == r.user.id, Payment.provider == "stripe",
                Payment.id != payment["id"], Payment.status == "succeeded"))
        assert renewal is not None
        renewal_handle = r.client.get_workflow_handle(payment_workflow_id(renewal))
        await renewal_handle.result()
        await _save(renewal_handle, "payment_charged_off_session")
        await _save(r.client.get_workflow_handle(handle.id, run_id=first_run),
                    "subscription_card_saved_renewed_off_session")
        await handle.terminate("history recorded")


async def _purchase_paid(r: Recording) -> None:
    lines, total = purchase_lines(1, 50, Money(amount=2500, currency="XAF"), 2,
                                  Money(amount=500, currency="XAF"))
    purchase = PurchaseInput(
        purchase_id=new_id(), lines=lines, total=total, timings=TIMINGS, sms_packs=1,
        sms_per_pack=50, storage_gb=2,
        payment=PaymentRequestSnapshot(user_id=r.user.id, method=PaymentMethod.card,
                                       provider=ProviderName.sandbox,
                                       billing_address_id=r.address_id))
    handle = await r.client.start_workflow(PurchaseWorkflow.run, purchase,
                                           task_queue=r.task_queue,
                                           id=f"purchase-{purchase.purchase_id}")
    created = await handle.execute_update("checkout", result_type=dict)
    await _succeed(r.client, r.ledger, created["payment"]["id"])
    await handle.result()
    await _save(handle, "purchase_paid")


# What each recorder writes (the subscription's two histories come from one run).
RECORDERS: dict[str, tuple[Callable[[Recording], Awaitable[None]], tuple[str, ...]]] = {
    "payment_expired": (_payment_expired, ("payment_expired",)),
    "payment_succeeded_then_refunded": (_payment_succeeded_then_refunded,
                                        ("payment_succeeded_then_refunded",)),
    "payment_refund_polled": (_payment_refund_polled, ("payment_refund_polled",)),
    "subscription": (_subscription, ("subscription_paid_reminded_renewed",
                                     "subscription_second_period_canceled")),
    "purchase_paid": (_purchase_paid, ("purchase_paid",)),
    "subscription_off_session": (_subscription_off_session, (
        "subscription_card_saved_renewed_off_session", "payment_charged_off_session")),
}


async def main(names: list[str]) -> None:
    unknown = [n for n in names if not any(n == k or n in files
                                           for k, (_, files) in RECORDERS.items())]
    if unknown:
        raise SystemExit(f"unknown histories {unknown}; known: {sorted(RECORDERS)}")
    chosen = [rec for key, (rec, files) in RECORDERS.items()
              if not names or key in names or set(files) & set(names)]
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    mtn = MtnPeer(server)
    mtn.install()
    # The dev environment: its public payload key encrypts the recording, as a production
    # key would, and the replay test decrypts it with the same key.
    settings = Settings(env="dev", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    settings = with_mtn(settings, mtn)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(env.client, settings)
    HISTORIES.mkdir(exist_ok=True)
    try:
        user = await make_user(sessions, settings, Role.patient)
        async with sessions() as session, session.begin():
            address = BillingAddress(user_id=user.id, line1="1 rue", city="Douala",
                                     country="CM")
            session.add(address)
        recording = Recording(env, sessions, DbSandboxLedger(sessions), settings, user,
                              address.id, mtn)
        async with build_worker(env.client, WorkerDeps.from_settings(settings, sessions)):
            for record in chosen:
                await record(recording)
    finally:
        await env.shutdown()
        await engine.dispose()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
