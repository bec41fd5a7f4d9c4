"""Invoices issued before they kept their billing address whole get `from_profile` and
`created_at` from the address they name (migration 0140_invoice_billing_addresses), on
SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, select

from db.engine import SessionMaker
from db.models import BillingAddress, Invoice, Payment
from domain.accounts import Role
from domain.billing import BillingAddress as BillingAddressView
from tests.support.users import make_user

pytestmark = pytest.mark.db

MIGRATION = (Path(__file__).resolve().parents[2] / "db" / "migrations" / "versions"
             / "0140_invoice_billing_addresses.py")


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("invoice_billing_addresses", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _upgrade(connection: Connection) -> None:
    with Operations.context(MigrationContext.configure(connection)):
        _migration().upgrade()


async def test_an_invoice_issued_before_keeps_its_whole_address(sessions: SessionMaker,
                                                                settings) -> None:
    user = await make_user(sessions, settings, Role.patient)
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=user.id, line1="12 rue de la Joie", city="Douala",
                                 country="CM", from_profile=True)
        session.add(address)
        await session.flush()
        payment = Payment(user_id=user.id, status="succeeded", method="card",
                          provider="sandbox", amount=1500, currency="XAF",
                          description="Pack", billing_address_id=address.id)
        session.add(payment)
        await session.flush()
        old = {"id": address.id, "line1": address.line1, "city": address.city,
               "country": address.country, "postal_code": None}
        session.add(Invoice(number="ES-2026-900001", user_id=user.id, payment_id=payment.id,
                            status="paid", total=1500, currency="XAF",
                            billing_address=old))
    async with sessions() as session:
        connection = await session.connection()
        await connection.run_sync(_upgrade)
        await session.commit()
    async with sessions() as session:
        kept = await session.scalar(select(Invoice.billing_address).where(
            Invoice.payment_id == payment.id))
        row = await session.get(BillingAddress, address.id)
    assert row is not None and kept is not None
    assert BillingAddressView.model_validate(kept) == BillingAddressView(
        id=row.id, line1=row.line1, city=row.city, country=row.country, postal_code=None,
        from_profile=True, created_at=row.created_at)
