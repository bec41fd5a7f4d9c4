"""Record the histories the replay test checks: `uv run python -m tests.payments.make_histories`.

Runs each payment workflow to completion on the time-skipping server, with the real
activities on a throwaway SQLite database, and writes its history as JSON under
tests/payments/histories/. Run it again (and commit the files) only when a workflow change is
meant to be incompatible with running workflows.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import ensure_search_attributes
from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade
from db.models import BillingAddress
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
    PaymentInput,
    PaymentMethod,
    PaymentStatus,
    PaymentTimings,
    ProviderEventSignal,
    ProviderName,
    RefundRequest,
    RefundResult,
)
from tests.support.users import make_user
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


async def _pending(sessions, user_id: str) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from db.models import Payment

    for _ in range(400):
        async with sessions() as session:
            found = await session.scalar(select(Payment.id).where(
                Payment.user_id == user_id, Payment.status == "pending",
                Payment.checkout_url.is_not(None)))
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


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = Settings(env="test", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"))
    client = env.client
    ledger = DbSandboxLedger(sessions)
    await ensure_search_attributes(client, settings)
    HISTORIES.mkdir(exist_ok=True)
    try:
        user = await make_user(sessions, settings, Role.patient)
        async with sessions() as session, session.begin():
            address = BillingAddress(user_id=user.id, line1="1 rue", city="Douala",
                                     country="CM")
            session.add(address)
        price = Money(amount=1500, currency="XAF")

        def payment(**extra: object) -> PaymentInput:
            return PaymentInput(
                payment_id=new_id(), user_id=user.id, amount=price, method=PaymentMethod.card,
                provider=ProviderName.sandbox, billing_address_id=address.id,
                description="History", timings=TIMINGS,
                lines=[InvoiceLine(description="History", unit_price=price, total=price)],
                **extra)  # type: ignore[arg-type]

        async with build_worker(client, WorkerDeps.from_settings(settings, sessions)):
            tq = settings.temporal.task_queue
            expired = payment()
            handle: WorkflowHandle = await client.start_workflow(
                PaymentWorkflow.run, expired, task_queue=tq,
                                                 id=payment_workflow_id(expired.payment_id))
            await handle.result()
            await _save(handle, "payment_expired")

            refunded = payment(refundable_for=DAY)
            handle = await client.start_workflow(PaymentWorkflow.run, refunded, task_queue=tq,
                                                 id=payment_workflow_id(refunded.payment_id))
            await _pending(sessions, user.id)
            await _succeed(client, ledger, refunded.payment_id)
            await _invoiced(sessions, refunded.payment_id)
            await handle.execute_update("refund", RefundRequest(), result_type=RefundResult)
            await handle.result()
            await _save(handle, "payment_succeeded_then_refunded")

            plan = PlanTerms(plan_id="plan-essentiel", code="essentiel", name="Essentiel",
                             price=Money(amount=2000, currency="XAF"), period_days=30,
                             sms_per_period=10)
            sub = SubscriptionInput(
                subscription_id=new_id(), plan=plan,
                timings=SubscriptionTimings(renewal_reminder_before=3 * DAY,
                                            grace_period=7 * DAY, payment=TIMINGS.model_copy(
                                                update={"poll_max": timedelta(hours=6)})),
                payer=Payer(user_id=user.id, email=user.email, method=PaymentMethod.card,
                            provider=ProviderName.sandbox, billing_address_id=address.id))
            handle = await client.start_workflow(SubscriptionWorkflow.run, sub, task_queue=tq,
                                                 id=f"subscription-{sub.subscription_id}")
            first_run = handle.first_execution_run_id or handle.result_run_id
            checkout = await handle.execute_update("checkout", result_type=dict)
            await _succeed(client, ledger, checkout["payment"]["id"])
            await env.sleep(30 * DAY + timedelta(hours=1))
            await _succeed(client, ledger, await _pending(sessions, user.id))
            await env.sleep(DAY)
            await _save(client.get_workflow_handle(handle.id, run_id=first_run),
                        "subscription_paid_reminded_renewed")
            await handle.execute_update("cancel", result_type=dict)
            await handle.result()
            await _save(client.get_workflow_handle(handle.id),
                        "subscription_second_period_canceled")

            lines, total = purchase_lines(1, 50, Money(amount=2500, currency="XAF"), 2,
                                          Money(amount=500, currency="XAF"))
            purchase = PurchaseInput(
                purchase_id=new_id(), lines=lines, total=total, timings=TIMINGS, sms_packs=1,
                sms_per_pack=50, storage_gb=2,
                payment=PaymentRequestSnapshot(user_id=user.id, method=PaymentMethod.card,
                                               provider=ProviderName.sandbox,
                                               billing_address_id=address.id))
            handle = await client.start_workflow(PurchaseWorkflow.run, purchase, task_queue=tq,
                                                 id=f"purchase-{purchase.purchase_id}")
            created = await handle.execute_update("checkout", result_type=dict)
            await _succeed(client, ledger, created["payment"]["id"])
            await handle.result()
            await _save(handle, "purchase_paid")
    finally:
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
