"""payment refunds: status, reference and failure reason of a refund at the provider

Revision ID: 0005_payment_refunds
Revises: 0003_payments
Create Date: 2026-11-28 05:00:00.000000

Mobile Money refunds are not instantaneous: the refund's progress at the provider (and, for
Orange Money, the cash-in pay token kept before paying) lives beside the payment.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_payment_refunds'
down_revision: str | Sequence[str] | None = '0003_payments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('refund_reference', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('refund_failure_reason', sa.String(length=300),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_refund_status'), ['refund_status'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_refund_status'))
        batch_op.drop_column('refund_failure_reason')
        batch_op.drop_column('refund_reference')
        batch_op.drop_column('refund_status')
