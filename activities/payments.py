"""The side effects of PaymentWorkflow: the provider calls and the payment's read model."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.defn import implements
from db.base import utcnow
from db.engine import SessionMaker
from db.models import (
    BillingAddress,
    Invoice,
    InvoiceCounter,
    Payment,
    PaymentCustomer,
    Subscription,
    User,
)
from db.queries.counters import next_number
from db.queries.payments import payment_view
from domain.billing import InvoiceStatus, invoice_number
from domain.errors import BusinessError
from domain.links import WebLinks
from domain.money import Money
from domain.payments import (
    CANCEL_PAYMENT,
    CHECK_PAYMENT_STATUS,
    CHECK_REFUND_STATUS,
    CREATE_PAYMENT,
    FINAL_STATUSES,
    ISSUE_INVOICE,
    RECORD_PAYMENT_STATUS,
    RECORD_REFUND_FAILED,
    REFUND_PAYMENT,
    SAVE_CARD,
    CancelAtProvider,
    CanceledAtProvider,
    CardSaved,
    CheckAtProvider,
    CheckRefundAtProvider,
    CreateAtProvider,
    CreatedAtProvider,
    InvoiceIssued,
    IssueInvoice,
    PaymentMethod,
    PaymentRecorded,
    PaymentStatus,
    ProviderName,
    ProviderStatus,
    RecordPaymentStatus,
    RecordRefundFailed,
    RefundAtProvider,
    RefundAtProviderStatus,
    RefundedAtProvider,
    RefundFailedRecorded,
    RefundStatus,
    SaveCard,
    SavedCard,
)
from providers.payments import (
    ChargeRequest,
    PaymentProviders,
    ProviderError,
    RefundOrder,
    SavesCards,
)


def idempotency_key(payment_id: str, action: str = "create") -> str:
    return f"esame-payment-{payment_id}-{action}"


def customer_idempotency_key(user_id: str) -> str:
    return f"esame-user-{user_id}-customer"


class PaymentActivities:
    def __init__(self, sessions: SessionMaker, providers: PaymentProviders,
                 public_base_url: str, invoice_prefix: str, links: WebLinks) -> None:
        self._sessions = sessions
        self._providers = providers
        self._base = public_base_url.rstrip("/")
        self._links = links
        self._invoice_prefix = invoice_prefix

    @implements(CREATE_PAYMENT)
    async def create_payment(self, command: CreateAtProvider) -> CreatedAtProvider:
        """Create the payment at the provider (the same key on retry, so the same charge),
        then record it as pending with what the payer needs (one write)."""
        p = command.payment
        provider = self._providers.get(p.provider)
        customer_id: str | None = None
        off_session_method: str | None = None
        save_card = False
        if isinstance(provider, SavesCards) and p.method is PaymentMethod.card:
            if p.saved_card is not None:
                customer_id = p.saved_card.customer_id
                off_session_method = p.saved_card.payment_method_id
            elif p.save_card:
                customer_id = await self._customer(provider, p.user_id, p.provider)
                save_card = True
        try:
            created = await provider.create(ChargeRequest(
                payment_id=p.payment_id, idempotency_key=idempotency_key(p.payment_id),
                amount=p.amount, method=p.method, operator=p.operator, phone=p.phone,
                description=p.description,
                # The payer comes back to the payment's page, which shows how it went.
                return_url=self._links.pay(p.payment_id),
                notify_url=f"{self._base}/api/v1/webhooks/{p.provider.value}",
                customer_id=customer_id, save_card=save_card,
                off_session_payment_method=off_session_method,
            ))
        except ProviderError as err:
            async with self._sessions() as session, session.begin():
                row = await self._row(session, command)
                row.failure_reason = str(err)[:300]
            raise ApplicationError(str(err), type=BusinessError.payment_declined.value,
                                   non_retryable=True) from err
        async with self._sessions() as session, session.begin():
            row = await self._row(session, command)
            row.provider_reference = created.provider_reference
            row.checkout_url = created.checkout_url
            row.instructions = created.instructions
            row.client_secret = created.client_secret
            await session.flush()
            return CreatedAtProvider(view=payment_view(row, self._links),
                                     provider_reference=created.provider_reference,
                                     status=created.status)

    async def _customer(self, provider: SavesCards, user_id: str,
                        provider_name: ProviderName) -> str:
        """The user's customer at the provider, created once (the key comes from the user id,
        so two payments racing create one customer at the provider)."""
        known = select(PaymentCustomer.customer_id).where(
            PaymentCustomer.user_id == user_id, PaymentCustomer.provider == provider_name.value)
        async with self._sessions() as session:
            found = await session.scalar(known)
            email = None if found else await session.scalar(
                select(User.email).where(User.id == user_id))
        if found:
            return str(found)
        customer_id = await provider.create_customer(user_id, email,
                                                     customer_idempotency_key(user_id))
        try:
            async with self._sessions() as session, session.begin():
                session.add(PaymentCustomer(user_id=user_id, provider=provider_name.value,
                                            customer_id=customer_id))
        except IntegrityError:
            # Kept a moment ago by a concurrent payment: the one stored wins.
            async with self._sessions() as session:
                return str(await session.scalar(known))
        return customer_id

    @implements(SAVE_CARD)
    async def save_card(self, command: SaveCard) -> CardSaved:
        """Keep the card of a succeeded payment for the subscription's renewals (nothing when
        the provider kept none)."""
        provider = self._providers.get(command.provider)
        async with self._sessions() as session:
            reference = await session.scalar(
                select(Payment.provider_reference).where(Payment.id == command.payment_id))
        if not isinstance(provider, SavesCards) or reference is None:
            return CardSaved()
        found = await provider.saved_card(reference)
        if found is None:
            return CardSaved()
        customer_id, method_id = found
        async with self._sessions() as session, session.begin():
            await session.execute(update(Subscription).where(
                Subscription.id == command.subscription_id).values(
                saved_payment_method_id=method_id))
        return CardSaved(card=SavedCard(customer_id=customer_id, payment_method_id=method_id))

    async def _row(self, session: AsyncSession, command: CreateAtProvider) -> Payment:
        p = command.payment
        row = await session.get(Payment, p.payment_id)
        if row is None:
            row = Payment(
                id=p.payment_id, user_id=p.user_id, status=PaymentStatus.pending.value,
                method=p.method.value, provider=p.provider.value,
                operator=p.operator.value if p.operator else None, phone=p.phone,
                amount=p.amount.amount, currency=p.amount.currency,
                description=p.description,
                lines=[line.model_dump(mode="json") for line in p.lines],
                purpose=p.purpose, billing_address_id=p.billing_address_id,
                created_at=utcnow(),
            )
            session.add(row)
        return row

    @implements(CHECK_PAYMENT_STATUS)
    async def check_payment_status(self, command: CheckAtProvider) -> ProviderStatus:
        async with self._sessions() as session:
            reference = await session.scalar(
                select(Payment.provider_reference).where(Payment.id == command.payment_id))
        found = await self._providers.get(command.provider).status(command.payment_id,
                                                                  reference)
        return ProviderStatus(status=found.status, provider_reference=found.provider_reference)

    @implements(CANCEL_PAYMENT)
    async def cancel_payment(self, command: CancelAtProvider) -> CanceledAtProvider:
        async with self._sessions() as session:
            reference = await session.scalar(
                select(Payment.provider_reference).where(Payment.id == command.payment_id))
        await self._providers.get(command.provider).cancel(command.payment_id, reference)
        return CanceledAtProvider(payment_id=command.payment_id)

    @implements(RECORD_PAYMENT_STATUS)
    async def record_payment_status(self, command: RecordPaymentStatus) -> PaymentRecorded:
        async with self._sessions() as session, session.begin():
            row = await session.get(Payment, command.payment_id)
            if row is None:
                raise ApplicationError(f"no payment {command.payment_id}",
                                       type=BusinessError.not_found.value, non_retryable=True)
            current = PaymentStatus(row.status)
            allowed = current == command.status or current is PaymentStatus.pending or (
                current is PaymentStatus.succeeded and command.status is PaymentStatus.refunded
            )
            if allowed and current != command.status:
                row.status = command.status.value
                # (keep why the provider refused it at creation, when that is the reason)
                row.failure_reason = command.reason or row.failure_reason
                if command.status in FINAL_STATUSES and row.settled_at is None:
                    row.settled_at = utcnow()
                if command.status is PaymentStatus.refunded:
                    row.refund_status = RefundStatus.succeeded.value
                    await session.execute(update(Invoice).where(
                        Invoice.payment_id == row.id).values(status=InvoiceStatus.refunded))
            return PaymentRecorded(payment_id=row.id, status=PaymentStatus(row.status))

    @implements(ISSUE_INVOICE)
    async def issue_invoice(self, command: IssueInvoice) -> InvoiceIssued:
        """One invoice per payment, numbered without gaps within the year."""
        async with self._sessions() as session, session.begin():
            existing = await session.scalar(
                select(Invoice).where(Invoice.payment_id == command.payment_id))
            if existing is not None:
                return InvoiceIssued(invoice_id=existing.id, number=existing.number)
            payment = await session.get(Payment, command.payment_id)
            if payment is None or payment.status != PaymentStatus.succeeded:
                raise ApplicationError("only a succeeded payment is invoiced",
                                       type=BusinessError.conflict.value, non_retryable=True)
            now = utcnow()
            sequence = await next_number(session, InvoiceCounter, year=now.year)
            address = await session.get(BillingAddress, payment.billing_address_id)
            invoice = Invoice(
                number=invoice_number(self._invoice_prefix, now.year, sequence),
                user_id=payment.user_id, payment_id=payment.id,
                status=InvoiceStatus.paid.value, total=payment.amount,
                currency=payment.currency, lines=payment.lines, issued_at=now,
                billing_address={
                    "id": address.id, "line1": address.line1, "city": address.city,
                    "country": address.country, "postal_code": address.postal_code,
                } if address else {},
            )
            session.add(invoice)
            await session.flush()
            return InvoiceIssued(invoice_id=invoice.id, number=invoice.number)

    @implements(REFUND_PAYMENT)
    async def refund_payment(self, command: RefundAtProvider) -> RefundedAtProvider:
        """Ask the provider to pay the payment back (the same key on retry, so the same
        refund); the refund is then pending at the provider, or already final."""
        async with self._sessions() as session:
            row = await session.get(Payment, command.payment_id)
            if row is None:
                raise ApplicationError(f"no payment {command.payment_id}",
                                       type=BusinessError.not_found.value, non_retryable=True)
            order = RefundOrder(
                payment_id=row.id, provider_reference=row.provider_reference,
                amount=Money(amount=row.amount, currency=row.currency),
                idempotency_key=idempotency_key(row.id, "refund"), phone=row.phone,
                notify_url=f"{self._base}/api/v1/webhooks/{command.provider.value}",
                earlier_reference=row.refund_reference)

        async def remember(reference: str) -> None:
            await self._write_refund(command.payment_id, reference)

        try:
            outcome = await self._providers.get(command.provider).refund(order, remember)
        except ProviderError as err:
            raise ApplicationError(str(err), type=BusinessError.refund_failed.value,
                                   non_retryable=True) from err
        await self._write_refund(command.payment_id, outcome.reference)
        return RefundedAtProvider(payment_id=command.payment_id,
                                  refund_reference=outcome.reference, status=outcome.status,
                                  reason=outcome.reason)

    async def _write_refund(self, payment_id: str, reference: str | None) -> None:
        # The refund is asked for (pending) until the workflow records its outcome.
        async with self._sessions() as session, session.begin():
            values: dict[str, object] = {"refund_status": RefundStatus.pending.value}
            if reference is not None:
                values["refund_reference"] = reference
            await session.execute(update(Payment).where(
                Payment.id == payment_id, Payment.status == PaymentStatus.succeeded.value)
                .values(**values))

    @implements(CHECK_REFUND_STATUS)
    async def check_refund_status(self, command: CheckRefundAtProvider
                                  ) -> RefundAtProviderStatus:
        reference = command.refund_reference
        if reference is None:
            async with self._sessions() as session:
                reference = await session.scalar(select(Payment.refund_reference).where(
                    Payment.id == command.payment_id))
        found = await self._providers.get(command.provider).refund_status(
            command.payment_id, reference)
        return RefundAtProviderStatus(status=found.status, reason=found.reason)

    @implements(RECORD_REFUND_FAILED)
    async def record_refund_failed(self, command: RecordRefundFailed) -> RefundFailedRecorded:
        """The provider refused the refund (or never confirmed it): the payment stays
        succeeded, and the refund shows as failed with the provider's reason."""
        async with self._sessions() as session, session.begin():
            await session.execute(update(Payment).where(
                Payment.id == command.payment_id,
                Payment.status == PaymentStatus.succeeded.value).values(
                refund_status=RefundStatus.failed.value,
                refund_failure_reason=command.reason[:300]))
        return RefundFailedRecorded(payment_id=command.payment_id)
