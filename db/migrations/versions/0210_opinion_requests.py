"""opinion requests: the opinion process's table, its frozen attachments and its thread

Revision ID: 0210_opinion_requests
Revises: 0110_care_foundation
Create Date: 2026-12-01 10:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0210_opinion_requests'
down_revision: str | Sequence[str] | None = '0110_care_foundation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('opinion_requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('symptoms', sa.Text(), nullable=True),
    sa.Column('illness_history', sa.Text(), nullable=True),
    sa.Column('vitals', sa.JSON(), nullable=False),
    sa.Column('price_amount', sa.BigInteger(), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('list_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('list_price_currency', sa.String(length=3), nullable=True),
    sa.Column('price_rate', sa.String(length=48), nullable=True),
    sa.Column('price_rate_source', sa.String(length=100), nullable=True),
    _at('quoted_at'),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    sa.Column('refund_status', sa.String(length=24), nullable=True),
    sa.Column('consultation_id', sa.String(length=32), nullable=True),
    _at('submitted_at'), _at('paid_at'), _at('due_at'), _at('answered_at'),
    _at('follow_up_until'), _at('created_at', False), _at('updated_at', False),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_opinion_requests_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'],
                            name=op.f('fk_opinion_requests_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_opinion_requests_reference'))
    )
    with op.batch_alter_table('opinion_requests', schema=None) as batch_op:
        batch_op.create_index('ix_opinion_requests_patient_created',
                              ['patient_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_opinion_requests_doctor_status',
                              ['doctor_id', 'status', 'created_at'], unique=False)

    op.create_table('opinion_attachments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    _at('created_at', False),
    sa.Column('frozen', sa.JSON(), nullable=True),
    _at('frozen_at'),
    sa.ForeignKeyConstraint(['request_id'], ['opinion_requests.id'],
                            name=op.f('fk_opinion_attachments_request_id_opinion_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_attachments')),
    sa.UniqueConstraint('request_id', 'kind', 'item_id',
                        name=op.f('uq_opinion_attachments_request_id'))
    )
    with op.batch_alter_table('opinion_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opinion_attachments_request_id'), ['request_id'],
                              unique=False)

    op.create_table('opinion_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('author_role', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    _at('created_at', False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                            name=op.f('fk_opinion_messages_author_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['opinion_requests.id'],
                            name=op.f('fk_opinion_messages_request_id_opinion_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_messages'))
    )
    with op.batch_alter_table('opinion_messages', schema=None) as batch_op:
        batch_op.create_index('ix_opinion_messages_request_created',
                              ['request_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_table('opinion_messages')
    op.drop_table('opinion_attachments')
    op.drop_table('opinion_requests')
