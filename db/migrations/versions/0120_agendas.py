"""agendas: the doctor's public profile, weekly availability rules, closed periods

Revision ID: 0120_agendas
Revises: 0002_accounts
Create Date: 2026-11-30 09:00:00.000000

A doctor's page (bio, languages, office address) beside their directory entry, and their
agenda: wall-clock availability rules in the doctor's timezone and closed periods in UTC.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0120_agendas'
down_revision: str | Sequence[str] | None = '0002_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('doctor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bio', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('office_address', sa.String(length=300), nullable=True))

    op.create_table('availability_rules',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_availability_rules_doctor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_rules'))
    )
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_rules_doctor_id'), ['doctor_id'],
                              unique=False)

    op.create_table('closed_periods',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('start_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_closed_periods_doctor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_periods'))
    )
    with op.batch_alter_table('closed_periods', schema=None) as batch_op:
        batch_op.create_index('ix_closed_periods_doctor_start', ['doctor_id', 'start_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('closed_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_closed_periods_doctor_start')
    op.drop_table('closed_periods')
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_rules_doctor_id'))
    op.drop_table('availability_rules')
    with op.batch_alter_table('doctor_profiles', schema=None) as batch_op:
        batch_op.drop_column('office_address')
        batch_op.drop_column('languages')
        batch_op.drop_column('bio')
