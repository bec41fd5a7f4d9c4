"""Billing addresses, payments, plans, subscriptions, purchases, entitlements, invoices."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)

from api.cursors import keyset, page
from api.deps import ActivePatient, ActiveUser, SessionDep, SettingsDep, TemporalClient
from api.one_at_a_time import insert_or_conflict
from api.paid_processes import start_paid_process
from api.payments import (
    checked_amount,
    checked_request,
    payer,
    payment_timings,
    subscription_timings,
)
from api.problems import Problem
from api.processes import process_exists
from api.workflow_errors import problem_from_temporal
from core.security import decode_access_token
from core.settings import Settings
from db.base import utcnow
from db.models import BillingAddress as BillingAddressRow
from db.models import Invoice as InvoiceRow
from db.models import Payment as PaymentRow
from db.models import Plan as PlanRow
from db.models import Subscription as SubscriptionRow
from db.models import User
from db.models.billing import LIVE_SUBSCRIPTION_PER_USER
from db.queries.billing_addresses import billing_address_view
from db.queries.entitlements import current_subscription, load_entitlements, plan_entitlements
from db.queries.payments import payment_view
from domain.billing import (
    BillingAddress,
    BillingAddressIn,
    CancelResult,
    Invoice,
    InvoiceStatus,
    Plan,
    PlanChangeIn,
    PlanChangeResult,
    PlanTerms,
    PurchaseCreated,
    PurchaseIn,
    PurchaseInput,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionInput,
    SubscriptionStatus,
    SubscriptionView,
    purchase_lines,
    purchase_workflow_id,
)
from domain.entitlements import Entitlements
from domain.ids import new_id, subscription_workflow_id
from domain.money import Currency, Money
from domain.pagination import Page
from domain.payments import (
    InvoiceLine,
    PaymentView,
)
from workflows.purchase import PurchaseWorkflow
from workflows.subscription import SubscriptionWorkflow

router = APIRouter(prefix="/api/v1", tags=["billing"])

ESAME_PATIENT_ID = SearchAttributeKey.for_keyword("EsamePatientId")
ESAME_STATUS = SearchAttributeKey.for_keyword("EsameStatus")


# --- billing addresses ------------------------------------------------------------------------

@router.post("/me/billing-addresses", status_code=201, response_model=BillingAddress)
async def add_billing_address(
    body: BillingAddressIn, user: ActiveUser, session: SessionDep
) -> BillingAddress:
    """Add a billing address, typed in or copied from the profile."""
    if body.use_profile:
        if not (user.address_line and user.city and user.country):
            raise Problem(422, "Your profile has no complete address (address_line, city, "
                          "country): type the billing address instead.",
                          errors=[{"location": "body",
                                   "field": "use_profile", "message": "profile address missing",
                                   "type": "profile_address"}])
        row = BillingAddressRow(user_id=user.id, line1=user.address_line, city=user.city,
                                country=user.country, postal_code=None, from_profile=True)
    else:
        assert body.line1 and body.city and body.country
        row = BillingAddressRow(user_id=user.id, line1=body.line1, city=body.city,
                                country=body.country, postal_code=body.postal_code)
    session.add(row)
    await session.commit()
    return billing_address_view(row)


@router.get("/me/billing-addresses", response_model=Page[BillingAddress])
async def list_billing_addresses(
    user: ActiveUser, session: SessionDep, limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Page[BillingAddress]:
    """The caller's billing addresses, newest first."""
    rows, next_cursor = await _page(session, BillingAddressRow, user.id, limit, cursor)
    return Page(items=[billing_address_view(r) for r in rows], next_cursor=next_cursor)


async def _page(session: AsyncSession, model, user_id: str, limit: int,  # type: ignore[no-untyped-def]
                cursor: str | None, created=None):
    created_col = created if created is not None else model.created_at
    query = select(model).where(model.user_id == user_id)
    return page(
        list((await session.scalars(keyset(query, created_col, model.id, cursor, limit))).all()),
        limit, lambda row: (getattr(row, created_col.key), row.id))



# --- payments ---------------------------------------------------------------------------------

@router.get("/payments/{payment_id}", response_model=PaymentView)
async def get_payment(payment_id: str, user: ActiveUser, session: SessionDep,
                      settings: SettingsDep) -> PaymentView:
    """One of the caller's payments."""
    row = await session.get(PaymentRow, payment_id)
    if row is None or row.user_id != user.id:
        raise Problem(404, "No such payment.")
    return payment_view(row, settings.web_links)


# --- plans ------------------------------------------------------------------------------------

def _plan(row: PlanRow, currency: str) -> Plan:
    prices = row.prices
    amount = prices.get(currency)
    if amount is None:  # a currency the plan has no price in: show the XAF price
        currency, amount = "XAF", prices["XAF"]
    return Plan(id=row.id, code=row.code, name=row.name,
                price=Money(amount=int(amount), currency=currency),
                period_days=row.period_days, entitlements=plan_entitlements(row))


def _terms(row: PlanRow, currency: str) -> PlanTerms:
    plan = _plan(row, currency)
    return PlanTerms(plan_id=row.id, code=row.code, name=row.name, price=plan.price,
                     period_days=row.period_days, sms_per_period=row.sms_per_period)


async def _optional_currency(request: Request, session: SessionDep,
                             settings: SettingsDep) -> str | None:
    """The profile currency of a signed-in caller; plans are public otherwise."""
    authorization = request.headers.get("authorization")
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    claims = decode_access_token(settings.secret_key, authorization[7:].strip())
    if not claims:
        return None
    return await session.scalar(select(User.currency).where(User.id == claims["sub"]))


@router.get("/plans", response_model=Page[Plan])
async def list_plans(
    session: SessionDep,
    profile_currency: Annotated[str | None, Depends(_optional_currency)],
    currency: Annotated[Currency | None, Query(
        description="Prices in this currency (one the plans are priced in), when not "
                    "signed in; XAF by default.")] = None,
) -> Page[Plan]:
    """The plans on offer, with their prices and entitlements.

    Priced in the caller's profile currency (signed in), else `currency`, else XAF."""
    rows = (await session.scalars(
        select(PlanRow).where(PlanRow.active.is_(True)).order_by(PlanRow.rank))).all()
    priced_in = sorted({c for row in rows for c in row.prices})
    if currency is not None and currency not in priced_in:
        message = f"plans are priced in {', '.join(priced_in)}"
        raise Problem(422, f"No plan is priced in {currency}: {message}.", errors=[
            {"location": "query", "field": "currency", "message": message,
             "type": "currency"}])
    chosen = profile_currency or currency or "XAF"
    return Page(items=[_plan(r, chosen) for r in rows])


async def _active_plan(session: AsyncSession, plan_id: str) -> PlanRow:
    row = await session.get(PlanRow, plan_id)
    if row is None or not row.active:
        raise Problem(422, "Unknown plan.", errors=[{"location": "body", "field": "plan_id",
                                                    "message": "no such plan",
                                                    "type": "not_found"}])
    return row


# --- subscriptions ----------------------------------------------------------------------------

_NO_SUBSCRIPTION: dict[int | str, dict[str, Any]] = {
    404: {"description": "The caller has no subscription."}}


def _search(user_id: str, status: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(ESAME_PATIENT_ID, user_id),
                                  SearchAttributePair(ESAME_STATUS, status)])


@router.post("/me/subscriptions", status_code=201, response_model=SubscriptionCreated)
async def subscribe(
    body: SubscriptionIn, user: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> SubscriptionCreated:
    """Subscribe to a plan: starts the subscription and its first payment.

    One live subscription per patient, decided by the database: the subscription's row
    goes in first, in its first status, and a second one of the same instant is refused
    (409) before any process or payment starts."""
    plan = await _active_plan(session, body.plan_id)
    snapshot = await checked_request(session, settings, user, body)
    terms = _terms(plan, user.currency or "")
    checked_amount(terms.price, user)
    await _release_orphan(session, temporal, user.id,
                          settings.durations.registration_commit_timeout)
    row = SubscriptionRow(
        id=new_id(), user_id=user.id, plan_id=plan.id,
        status=SubscriptionStatus.pending_payment.value, payment_method=snapshot.method.value,
        provider=snapshot.provider.value,
        operator=snapshot.operator.value if snapshot.operator else None,
        payer_phone=snapshot.phone, billing_address_id=snapshot.billing_address_id)
    await insert_or_conflict(
        session, row, rule=LIVE_SUBSCRIPTION_PER_USER,
        detail="You already have a subscription: change its plan or cancel it.")
    await session.commit()
    subscription_id = row.id
    start = WithStartWorkflowOperation(
        SubscriptionWorkflow.run,
        SubscriptionInput(subscription_id=subscription_id, payer=payer(user, snapshot),
                          plan=terms, timings=subscription_timings(settings)),
        id=subscription_workflow_id(subscription_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=settings.temporal.task_queue,
        static_summary=f"Subscription {plan.code} of patient {user.esame_id}",
        search_attributes=_search(user.id, "subscription_pending_payment"),
    )
    try:
        created: SubscriptionCreated = await temporal.execute_update_with_start_workflow(
            "checkout", start_workflow_operation=start, result_type=SubscriptionCreated)
    except WorkflowUpdateFailedError as err:
        raise problem_from_temporal(err) from err  # the process runs and records its end
    except Exception as err:
        if not await process_exists(temporal, subscription_workflow_id(subscription_id)):
            # No process took it (or none can be told of): the place is free again.
            await session.delete(row)
            await session.commit()
        raise problem_from_temporal(err) from err
    return created


async def _release_orphan(session: AsyncSession, temporal: TemporalClient, user_id: str,
                          commit_timeout: timedelta) -> None:
    """A subscription row left waiting for its process (the API died between its commit
    and the start) would hold the patient's place for good: past the commit timeout
    without a process, it is removed."""
    row = await current_subscription(session, user_id)
    if (row is None or row.status != SubscriptionStatus.pending_payment
            or utcnow() - row.created_at < commit_timeout
            or await process_exists(temporal, subscription_workflow_id(row.id)) is not False):
        return
    await session.delete(row)
    await session.commit()


async def _subscription_view(session: AsyncSession, row: SubscriptionRow,
                             currency: str) -> SubscriptionView:
    plan = await session.get(PlanRow, row.plan_id)
    assert plan is not None
    next_plan = await session.get(PlanRow, row.next_plan_id) if row.next_plan_id else None
    return SubscriptionView(
        id=row.id, status=SubscriptionStatus(row.status), plan=_plan(plan, currency),
        current_period_start=row.current_period_start,
        current_period_end=row.current_period_end, auto_renew=row.auto_renew,
        next_plan=_plan(next_plan, currency) if next_plan else None,
    )


async def _my_subscription(session: AsyncSession, user: User) -> SubscriptionRow:
    row = await current_subscription(session, user.id)
    if row is None:
        raise Problem(404, "You have no subscription.")
    return row


@router.get("/me/subscription", response_model=SubscriptionView, responses=_NO_SUBSCRIPTION)
async def my_subscription(user: ActiveUser, session: SessionDep) -> SubscriptionView:
    """The caller's current subscription."""
    row = await _my_subscription(session, user)
    return await _subscription_view(session, row, user.currency or "XAF")


@router.post("/me/subscription/cancel", response_model=SubscriptionView, responses=_NO_SUBSCRIPTION)
async def cancel_subscription(
    user: ActiveUser, session: SessionDep, temporal: TemporalClient
) -> SubscriptionView:
    """Cancel the subscription's renewal.

    No renewal: the plan stays until the end of the period already paid."""
    row = await _my_subscription(session, user)
    handle = temporal.get_workflow_handle(subscription_workflow_id(row.id))
    try:
        await handle.execute_update("cancel", result_type=CancelResult)
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This subscription is over.") from err
    await session.refresh(row)  # written by the workflow's activity meanwhile
    return await _subscription_view(session, row, user.currency or "XAF")


@router.post("/me/subscription/plan", response_model=SubscriptionView, responses=_NO_SUBSCRIPTION)
async def change_plan(
    body: PlanChangeIn, user: ActiveUser, session: SessionDep, temporal: TemporalClient
) -> SubscriptionView:
    """Change the subscription's plan from the next period on (the current one is paid)."""
    plan = await _active_plan(session, body.plan_id)
    row = await _my_subscription(session, user)
    handle = temporal.get_workflow_handle(subscription_workflow_id(row.id))
    try:
        await handle.execute_update("change_plan",
                                    _terms(plan, user.currency or ""),
                                    result_type=PlanChangeResult)
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This subscription is over.") from err
    await session.refresh(row)
    return await _subscription_view(session, row, user.currency or "XAF")


# --- purchases --------------------------------------------------------------------------------

def _unit_price(prices: dict[str, int], currency: str, what: str) -> Money:
    if currency not in prices:
        raise Problem(422, f"{what} is not sold in {currency}.")
    return Money(amount=prices[currency], currency=currency)


@router.post("/me/purchases", status_code=201, response_model=PurchaseCreated)
async def purchase(
    body: PurchaseIn, user: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> PurchaseCreated:
    """Buy SMS packs or storage: starts the purchase and its payment."""
    snapshot = await checked_request(session, settings, user, body)
    currency = user.currency or ""
    lines, total = _purchase_lines(settings, body, currency)
    checked_amount(total, user)
    purchase_id = new_id()
    return await start_paid_process(
        temporal, PurchaseWorkflow.run,
        PurchaseInput(purchase_id=purchase_id, payment=snapshot, sms_packs=body.sms_packs,
                      sms_per_pack=settings.payments.sms_pack_size, storage_gb=body.storage_gb,
                      lines=lines, total=total, timings=payment_timings(settings)),
        workflow_id=purchase_workflow_id(purchase_id), settings=settings,
        summary=f"Purchase by patient {user.esame_id}: {body.sms_packs} SMS packs, "
                f"{body.storage_gb} GB",
        search_attributes=_search(user.id, "purchase_pending_payment"),
        result_type=PurchaseCreated)


def _purchase_lines(settings: Settings, body: PurchaseIn,
                    currency: str) -> tuple[list[InvoiceLine], Money]:
    p = settings.payments
    if currency not in p.sms_pack_prices or currency not in p.storage_gb_prices:
        raise Problem(422, f"Purchases are not sold in {currency or 'your currency'}.")
    return purchase_lines(body.sms_packs, p.sms_pack_size,
                          _unit_price(p.sms_pack_prices, currency, "SMS"),
                          body.storage_gb, _unit_price(p.storage_gb_prices, currency, "Storage"))


# --- entitlements and invoices ----------------------------------------------------------------

@router.get("/me/entitlements", response_model=Entitlements)
async def my_entitlements(
    user: ActiveUser, session: SessionDep, settings: SettingsDep
) -> Entitlements:
    """What the caller's plan and purchases give: features, SMS and storage."""
    return await load_entitlements(
        session, user.id, free_storage_bytes=settings.limits.storage_default_quota_bytes)


@router.get("/me/invoices", response_model=Page[Invoice])
async def my_invoices(
    user: ActiveUser, session: SessionDep, limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Page[Invoice]:
    """The caller's invoices, newest first."""
    rows, next_cursor = await _page(session, InvoiceRow, user.id, limit, cursor,
                                    created=InvoiceRow.issued_at)
    return Page(items=[
        Invoice(id=r.id, number=r.number, status=InvoiceStatus(r.status),
                total=Money(amount=r.total, currency=r.currency),
                lines=[InvoiceLine.model_validate(line) for line in r.lines],
                issued_at=r.issued_at, payment_id=r.payment_id,
                billing_address=BillingAddress.model_validate(r.billing_address)
                if r.billing_address else None)
        for r in rows
    ], next_cursor=next_cursor)
