"""appointment process: the quote, the payment, the cancellation rule frozen at booking,
the video room and the consultation of an appointment

Revision ID: 0200_appointment_process
Revises: 0121_appointments
Create Date: 2026-12-01 10:30:00.000000

Columns are added (ALTER TABLE ADD COLUMN, no rebuild), so the SQLite no-overlap triggers
of 0121_appointments stay in place.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0200_appointment_process'
down_revision: str | Sequence[str] | None = '0121_appointments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('price_amount', sa.BigInteger(), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('list_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('list_price_currency', sa.String(length=3), nullable=True),
    sa.Column('price_rate', sa.String(length=48), nullable=True),
    sa.Column('price_rate_source', sa.String(length=100), nullable=True),
    sa.Column('quoted_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    sa.Column('refund_status', sa.String(length=20), nullable=True),
    sa.Column('sponsorship_id', sa.String(length=32), nullable=True),
    sa.Column('refundable_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('canceled_by', sa.String(length=20), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('ended_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('room', sa.String(length=64), nullable=True),
    sa.Column('doctor_joined_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consultation_id', sa.String(length=32), nullable=True),
)


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column('appointments', column.copy())
    op.create_index('ix_appointments_patient_start', 'appointments',
                    ['patient_id', 'start_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_appointments_patient_start', table_name='appointments')
    for column in reversed(_COLUMNS):
        op.drop_column('appointments', column.name)
