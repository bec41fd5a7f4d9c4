"""saved cards: a user's customer at a provider, and the card kept for a subscription

Revision ID: 0006_saved_cards
Revises: 0003_payments
Create Date: 2026-11-29 09:00:00.000000

Renewals charge the card of the first payment off-session (Stripe): the user's Stripe
Customer is created once (`payment_customers`), the PaymentMethod is kept on the
subscription.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0006_saved_cards'
down_revision: str | Sequence[str] | None = '0003_payments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_customers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_payment_customers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_customers')),
    sa.UniqueConstraint('user_id', 'provider', name=op.f('uq_payment_customers_user_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saved_payment_method_id', sa.String(length=200),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('saved_payment_method_id')
    op.drop_table('payment_customers')
