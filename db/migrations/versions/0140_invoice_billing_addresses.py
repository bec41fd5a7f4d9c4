"""invoices keep their billing address whole: from_profile and created_at too

Revision ID: 0140_invoice_billing_addresses
Revises: 0003_payments
Create Date: 2026-12-01 08:00:00.000000

Invoices issued before kept the address without `from_profile` and `created_at` (they read
`false` and nothing): they are completed from the billing address they name. Data only.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0140_invoice_billing_addresses'
down_revision: str | Sequence[str] | None = '0003_payments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

invoices = sa.table('invoices', sa.column('id', sa.String), sa.column('billing_address', sa.JSON))
addresses = sa.table('billing_addresses', sa.column('id', sa.String),
                     sa.column('from_profile', sa.Boolean),
                     sa.column('created_at', db.base.UTCDateTime()))


def upgrade() -> None:
    bind = op.get_bind()
    for invoice_id, kept in bind.execute(sa.select(invoices.c.id, invoices.c.billing_address)):
        if not kept or 'from_profile' in kept:
            continue
        found = bind.execute(sa.select(addresses.c.from_profile, addresses.c.created_at)
                             .where(addresses.c.id == kept.get('id'))).first()
        if found is None:
            continue
        created = found.created_at.isoformat().replace('+00:00', 'Z')
        bind.execute(sa.update(invoices).where(invoices.c.id == invoice_id).values(
            billing_address={**kept, 'from_profile': bool(found.from_profile),
                             'created_at': created}))


def downgrade() -> None:
    pass  # the completed addresses are still right
