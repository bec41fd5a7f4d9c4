"""Helpers of the payment tests: a paying patient, sandbox checkout, waiting for a process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import uvicorn
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.payments import payment_timings
from core.settings import Settings
from db.engine import SessionMaker
from db.models import Invoice, Payment, SandboxCharge
from domain.accounts import Role
from domain.ids import payment_workflow_id
from domain.money import Money
from domain.payments import (
    CHECK_PAYMENT_STATUS,
    InvoiceLine,
    Operator,
    PaymentInput,
    PaymentMethod,
    PaymentResult,
    ProviderName,
    RefundRequest,
    RefundResult,
)
from providers.payments.sandbox import SIGNATURE_HEADER, sign, webhook_body
from tests.payments.mtn_peer import (
    API_KEY,
    API_USER,
    DISBURSEMENT_API_KEY,
    DISBURSEMENT_KEY,
    DISBURSEMENT_USER,
    SUBSCRIPTION_KEY,
    MtnPeer,
)
from tests.support.ports import free_port
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker
from workflows.payment import PaymentWorkflow

T = TypeVar("T")


async def paying_patient(
    sessions: SessionMaker, settings: Settings, api: httpx.AsyncClient, currency: str = "XAF",
    phone: str | None = "+237670000123",
) -> tuple[TestUser, str]:
    """An active patient with a profile address, and the id of their billing address."""
    user = await make_user(sessions, settings, Role.patient, currency=currency,
                           address_line="12 rue de la Joie", phone=phone)
    response = await api.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                              headers=user.headers)
    assert response.status_code == 201, response.text
    return user, response.json()["id"]


def payment_fields(address_id: str, method: str = "card", **extra: Any) -> dict[str, Any]:
    return {"billing_address_id": address_id, "payment_method": method, **extra}


async def checkout(api: httpx.AsyncClient, payment: dict[str, Any], outcome: str) -> None:
    """What the payer does on the sandbox's hosted page."""
    path = httpx.URL(payment["checkout_url"]).path
    page = await api.get(path)
    assert page.status_code == 200 and "Sandbox checkout" in page.text
    answer = await api.post(path, data={"outcome": outcome})
    assert answer.status_code == 200, answer.text


def signed_webhook(settings: Settings, payment_id: str, status: str,
                   event_id: str) -> tuple[bytes, dict[str, str]]:
    body = webhook_body(payment_id, status, event_id)
    return body, {SIGNATURE_HEADER: sign(settings.payments.sandbox_webhook_secret, body),
                  "content-type": "application/json"}


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 20) -> T:
    """Wait for an activity's effect in the read model (not for a workflow timer)."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def with_mtn(settings: Settings, mtn: MtnPeer) -> Settings:
    """Settings whose MTN MoMo payments and refunds go to the local peer."""
    return settings.model_copy(update={"payments": settings.payments.model_copy(update={
        "mtn_subscription_key": SUBSCRIPTION_KEY, "mtn_api_user": API_USER,
        "mtn_api_key": API_KEY, "mtn_base_url": mtn.url,
        "mtn_disbursement_subscription_key": DISBURSEMENT_KEY,
        "mtn_disbursement_api_user": DISBURSEMENT_USER,
        "mtn_disbursement_api_key": DISBURSEMENT_API_KEY})})


def without_polling(settings: Settings) -> Settings:
    """Settings whose payments are never polled within a test (the first poll comes at the
    deadline): a payment settled meanwhile was settled by its webhook or callback."""
    deadline = settings.durations.payment_deadline
    return settings.model_copy(update={"durations": settings.durations.model_copy(update={
        "payment_poll_initial": deadline, "payment_poll_max": deadline})})


async def polls(client: Client, payment_id: str) -> int:
    """How many times the payment's workflow asked the provider for its status."""
    handle = client.get_workflow_handle(payment_workflow_id(payment_id))
    return len([event async for event in handle.fetch_history_events()
                if event.activity_task_scheduled_event_attributes.activity_type.name
                == CHECK_PAYMENT_STATUS.name])


async def count(sessions: SessionMaker, model: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


async def payment_row(sessions: SessionMaker, payment_id: str) -> Payment | None:
    async with sessions() as session:
        return await session.get(Payment, payment_id)


async def charges_and_invoices(sessions: SessionMaker, payment_id: str) -> tuple[int, int]:
    return (await count(sessions, SandboxCharge, SandboxCharge.payment_id == payment_id),
            await count(sessions, Invoice, Invoice.payment_id == payment_id))


@contextmanager
def localstripe_process() -> Iterator[str]:
    """localstripe (a local Stripe API peer) in its own process; its URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port),
                                "--from-scratch"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
                break
            except httpx.TransportError as err:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start on {url} (exit code "
                                       f"{process.poll()})") from err
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@asynccontextmanager
async def api_with_worker(settings: Settings, sessions: SessionMaker,
                          temporal_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """The API (in process, over ASGI) and a worker, both built from `settings`."""
    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(settings, sessions))
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client)
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as client:
        yield client


@asynccontextmanager
async def served_api(settings: Settings, sessions: SessionMaker,
                     temporal: Client, port: int) -> AsyncIterator[httpx.AsyncClient]:
    """The API over real HTTP, for peers that call it back (webhooks)."""
    app = create_app(settings, sessions=sessions, temporal=temporal)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=1))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for a peer's idle keep-alive connection
        await serving


async def ask_refund(handle: WorkflowHandle[Any, Any], reason: str = "doctor late") -> RefundResult:
    """Ask a payment's workflow for its refund, as a parent process would."""
    # The invoice row is written a moment before the workflow opens its refund window.
    while True:
        try:
            result: RefundResult = await handle.execute_update(
                "refund", RefundRequest(reason=reason), result_type=RefundResult)
            return result
        except WorkflowUpdateFailedError as err:
            if "only a succeeded payment" not in str(getattr(err.cause, "message", "")):
                raise
            await asyncio.sleep(0.1)


async def start_refundable_mobile_money(
    api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, client: Client,
    operator: Operator, phone: str,
) -> tuple[WorkflowHandle[Any, PaymentResult], str, dict[str, str]]:
    """A Mobile Money PaymentWorkflow that a parent may refund for a day, as an opinion
    request would start it; the test then has the payer pay at the operator's peer."""
    user, address = await paying_patient(sessions, settings, api)
    price = Money(amount=2500, currency="XAF")
    provider = ProviderName.mtn_momo if operator is Operator.mtn else ProviderName.orange_money
    payment = PaymentInput(
        payment_id=uuid.uuid4().hex, user_id=user.id, amount=price,
        method=PaymentMethod.mobile_money, provider=provider, operator=operator, phone=phone,
        billing_address_id=address, description="Opinion",
        lines=[InvoiceLine(description="Opinion", unit_price=price, total=price)],
        timings=payment_timings(settings), refundable_for=timedelta(days=1))
    handle = await client.start_workflow(
        PaymentWorkflow.run, payment, id=payment_workflow_id(payment.payment_id),
        task_queue=settings.temporal.task_queue)
    return handle, payment.payment_id, user.headers
