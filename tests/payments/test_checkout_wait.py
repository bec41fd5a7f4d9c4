"""The checkout bound on the time-skipping server: when the provider never creates the
payment (its API keeps failing), the purchase's checkout Update answers "not answering"
after `checkout_wait` instead of keeping the API's request open; the payment goes on
trying in the background. Activities are mocked by name."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal_client import data_converter, ensure_search_attributes
from domain.billing import (
    PaymentRequestSnapshot,
    PurchaseCreated,
    PurchaseInput,
    PurchaseRecorded,
    RecordPurchase,
)
from domain.errors import BusinessError
from domain.money import Money
from domain.payments import (
    CreateAtProvider,
    CreatedAtProvider,
    InvoiceLine,
    PaymentMethod,
    PaymentTimings,
    ProviderName,
)
from workers.main import WORKFLOW_RUNNER
from workflows.payment import PaymentWorkflow
from workflows.purchase import PurchaseWorkflow

pytestmark = pytest.mark.timeout(120)

CHECKOUT_WAIT = timedelta(seconds=20)


async def test_checkout_answers_not_answering_when_the_provider_never_creates(
    settings: Settings,
) -> None:
    attempts: list[int] = []

    @activity.defn(name="record_purchase")
    async def record_purchase(command: RecordPurchase) -> PurchaseRecorded:
        return PurchaseRecorded(purchase_id=command.purchase_id, status=command.status)

    @activity.defn(name="create_payment")
    async def create_payment(command: CreateAtProvider) -> CreatedAtProvider:
        attempts.append(activity.info().attempt)
        raise RuntimeError("the provider's API answers 503")

    price = Money(amount=1000, currency="XAF")
    purchase = PurchaseInput(
        purchase_id=uuid.uuid4().hex,
        payment=PaymentRequestSnapshot(user_id="u1", method=PaymentMethod.card,
                                       provider=ProviderName.sandbox, billing_address_id="a1"),
        sms_packs=1, sms_per_pack=50, storage_gb=0,
        lines=[InvoiceLine(description="SMS pack", unit_price=price, total=price)],
        total=price,
        timings=PaymentTimings(deadline=timedelta(minutes=30),
                               poll_initial=timedelta(seconds=10),
                               poll_max=timedelta(minutes=5), checkout_wait=CHECKOUT_WAIT),
    )
    # Its own test server: skipping time by hand (env.sleep) on the shared one left the
    # waits of later tests there unskipped.
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"))
    try:
        await _checkout_gives_up(env, settings, purchase, attempts,
                                 [record_purchase, create_payment])
    finally:
        await env.shutdown()


async def _checkout_gives_up(env: WorkflowEnvironment, settings: Settings,
                             purchase: PurchaseInput, attempts: list[int],
                             activities: list[Callable[..., Any]]) -> None:
    await ensure_search_attributes(env.client, settings)
    task_queue = f"checkout-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=task_queue,
                      workflows=[PurchaseWorkflow, PaymentWorkflow],
                      activities=activities,
                      workflow_runner=WORKFLOW_RUNNER):
        handle = await env.client.start_workflow(
            PurchaseWorkflow.run, purchase, id=f"purchase-{purchase.purchase_id}",
            task_queue=task_queue)
        update = await handle.start_update("checkout", result_type=PurchaseCreated,
                                           wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        answer = asyncio.create_task(update.result())
        # (the test server skips time only when told to while an Update is awaited)
        await env.sleep(CHECKOUT_WAIT - timedelta(seconds=5))
        assert not answer.done()
        await env.sleep(timedelta(seconds=10))
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await answer
        cause = failed.value.cause
        assert getattr(cause, "type", None) == BusinessError.conflict.value
        assert "not answering" in str(getattr(cause, "message", ""))
        # The payment is still being created in the background, not given up.
        assert len(attempts) > 1
        await handle.terminate("test over")
