"""Provider webhooks: verify the signature, process each event once, signal the payment.

The sandbox checkout page goes through `process_webhook` too, exactly like a vendor's call.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import SessionDep, TemporalClient
from api.payments import PaymentProvidersDep
from api.problems import Problem
from db.models import Payment, ProviderEvent
from domain.ids import payment_workflow_id
from domain.payments import PROVIDER_EVENT, PaymentStatus, ProviderEventSignal, ProviderName
from providers.payments import InvalidWebhook, PaymentProviders

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookAck(BaseModel):
    status: str  # processed | duplicate | ignored
    event_id: str | None = None


async def process_webhook(
    provider_name: ProviderName, headers: Mapping[str, str], body: bytes,
    session: AsyncSession, temporal: Client, providers: PaymentProviders,
    query: Mapping[str, str] | None = None,
) -> WebhookAck:
    if provider_name not in providers:
        raise Problem(404, f"The {provider_name.value} provider is not configured.")
    async def stored_reference(payment_id: str) -> str | None:
        return await session.scalar(select(Payment.provider_reference).where(
            Payment.id == payment_id, Payment.provider == provider_name.value))

    try:
        event = await providers.get(provider_name).parse_webhook(headers, body, query or {},
                                                                 stored_reference)
    except InvalidWebhook as err:
        raise Problem(400, f"Webhook rejected: {err}") from err

    payment_id = event.payment_id
    if payment_id is None and event.provider_reference:
        payment_id = await session.scalar(select(Payment.id).where(
            Payment.provider == provider_name.value,
            Payment.provider_reference == event.provider_reference))
    if payment_id is None or event.status is None:
        return WebhookAck(status="ignored", event_id=event.event_id)

    # The (provider, event id) row is the "processed once" guard: committed only after the
    # signal went through, so a failed signal leaves the provider's retry to do it.
    try:
        async with session.begin_nested():
            session.add(ProviderEvent(provider=provider_name.value, event_id=event.event_id,
                                      payment_id=payment_id, status=event.status.value))
    except IntegrityError:
        await session.rollback()
        return WebhookAck(status="duplicate", event_id=event.event_id)

    if event.status in (PaymentStatus.succeeded, PaymentStatus.failed,
                        PaymentStatus.pending):
        try:
            await temporal.get_workflow_handle(payment_workflow_id(payment_id)).signal(
                PROVIDER_EVENT.name,
                ProviderEventSignal(provider=provider_name, event_id=event.event_id,
                                    status=event.status,
                                    provider_reference=event.provider_reference),
            )
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:  # closed: the poll got there first
                await session.rollback()
                raise Problem(503, "Could not deliver the event; retry later.") from err
    await session.commit()
    return WebhookAck(status="processed", event_id=event.event_id)


@router.post("/{provider}", response_model=WebhookAck,
             responses={400: {"description": "Bad signature"}})
# MTN MoMo calls back with PUT as well as POST.
@router.put("/{provider}", response_model=WebhookAck, include_in_schema=False)
async def receive_webhook(
    provider: ProviderName, request: Request, session: SessionDep, temporal: TemporalClient,
    providers: PaymentProvidersDep,
) -> WebhookAck:
    """A payment provider's event, signature checked (for providers)."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await process_webhook(provider, headers, body, session, temporal, providers,
                                 dict(request.query_params))
