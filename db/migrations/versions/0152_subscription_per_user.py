"""one live subscription per user: a partial unique index

Revision ID: 0152_subscription_per_user
Revises: 0006_saved_cards
Create Date: 2026-12-01 08:20:00.000000

Two subscriptions asked at the same instant both started. The database now keeps one
live subscription (pending_payment, active, past_due or canceled) per user; the API
inserts its row before the process starts. Subscriptions doubled before this revision are
closed first: per user the latest one (the one the API showed) stays, the others become
expired.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0152_subscription_per_user'
down_revision: str | Sequence[str] | None = '0006_saved_cards'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ('pending_payment', 'active', 'past_due', 'canceled')
LIVE = sa.text("status IN ('pending_payment', 'active', 'past_due', 'canceled')")


def upgrade() -> None:
    subscriptions = sa.table('subscriptions', sa.column('id'), sa.column('user_id'),
                             sa.column('status'), sa.column('created_at'))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(subscriptions.c.id, subscriptions.c.user_id)
        .where(subscriptions.c.status.in_(STATUSES))
        .order_by(subscriptions.c.created_at.desc(), subscriptions.c.id.desc())).all()
    seen: set[str] = set()
    closed = []
    for subscription_id, user_id in rows:
        if user_id in seen:
            closed.append(subscription_id)
        seen.add(user_id)
    if closed:
        connection.execute(subscriptions.update().where(subscriptions.c.id.in_(closed))
                           .values(status='expired'))
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('uq_subscriptions_live_per_user', ['user_id'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('uq_subscriptions_live_per_user')
