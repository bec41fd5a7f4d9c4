"""The sandbox provider's ledger, kept in the application database for convenience: it is
the fake vendor's books, not our payment read model."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from db.engine import SessionMaker
from db.models import SandboxCharge as Row
from domain.money import Money
from domain.payments import SandboxCharge


def _view(row: Row) -> SandboxCharge:
    return SandboxCharge(payment_id=row.payment_id,
                         amount=Money(amount=row.amount, currency=row.currency),
                         status=row.status, create_calls=row.create_calls)


class DbSandboxLedger:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions

    async def open(self, idempotency_key: str, payment_id: str, amount: Money) -> SandboxCharge:
        try:
            async with self._sessions() as session, session.begin():
                row = Row(idempotency_key=idempotency_key, payment_id=payment_id,
                          amount=amount.amount, currency=amount.currency,
                          status="requires_action")
                session.add(row)
            return _view(row)
        except IntegrityError:
            # The same key again (a retried create): the same charge, as at a real provider.
            async with self._sessions() as session, session.begin():
                await session.execute(update(Row).where(Row.idempotency_key == idempotency_key)
                                      .values(create_calls=Row.create_calls + 1))
                existing = await session.scalar(
                    select(Row).where(Row.idempotency_key == idempotency_key))
                assert existing is not None
                return _view(existing)

    async def get(self, payment_id: str) -> SandboxCharge | None:
        async with self._sessions() as session:
            row = await session.scalar(select(Row).where(Row.payment_id == payment_id))
            return _view(row) if row else None

    async def settle(self, payment_id: str, status: str) -> SandboxCharge | None:
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(Row).where(Row.payment_id == payment_id))
            if row is None:
                return None
            if row.status == "requires_action" or (
                status == "refunded" and row.status == "succeeded"
            ):
                row.status = status
            return _view(row)
