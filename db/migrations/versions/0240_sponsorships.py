"""sponsorships: a consultation paid by a sponsor for a beneficiary, and who sponsored an
appointment in the beneficiary's "my requests"

Revision ID: 0240_sponsorships
Revises: 0121_appointments
Create Date: 2026-12-01 10:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base
from db.models.prices import quote_columns

revision: str = '0240_sponsorships'
down_revision: str | Sequence[str] | None = '0121_appointments'
branch_labels: str | Sequence[str] | None = None
# request_index
depends_on: str | Sequence[str] | None = '0110_care_foundation'


def upgrade() -> None:
    op.create_table('sponsorships',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('sponsor_id', sa.String(length=32), nullable=False),
    sa.Column('beneficiary_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('appointment_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    sa.Column('refund_status', sa.String(length=16), nullable=True),
    *quote_columns(),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sponsor_id'], ['users.id'],
                            name=op.f('fk_sponsorships_sponsor_id_users')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['users.id'],
                            name=op.f('fk_sponsorships_beneficiary_id_users')),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_sponsorships_doctor_id_users')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                            name=op.f('fk_sponsorships_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sponsorships')),
    sa.UniqueConstraint('reference', name=op.f('uq_sponsorships_reference')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_sponsorships_appointment_id')),
    )
    with op.batch_alter_table('sponsorships', schema=None) as batch_op:
        batch_op.create_index('ix_sponsorships_sponsor_created',
                              ['sponsor_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sponsorships_beneficiary_id'), ['beneficiary_id'],
                              unique=False)
    # A plain ADD COLUMN (no batch rebuild): request_index keeps its indexes as they are.
    op.add_column('request_index', sa.Column('sponsored_by', sa.String(length=80),
                                             nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('request_index', schema=None) as batch_op:
        batch_op.drop_column('sponsored_by')
    op.drop_table('sponsorships')
