"""record fills: the fill process's row, its grant, and who wrote each record entry

Revision ID: 0220_record_fills
Revises: 0240_sponsorships
Create Date: 2026-12-01 10:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base
from db.models.prices import quote_columns
from db.one_at_a_time import live_condition

revision: str = '0220_record_fills'
down_revision: str | Sequence[str] | None = '0240_sponsorships'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENTRIES = ('record_antecedents', 'record_allergies', 'record_treatments')


def upgrade() -> None:
    op.create_table('record_fills',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('completion_note', sa.Text(), nullable=True),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    *quote_columns(),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_record_fills_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'],
                            name=op.f('fk_record_fills_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_fills')),
    sa.UniqueConstraint('reference', name=op.f('uq_record_fills_reference'))
    )
    op.create_index('ix_record_fills_doctor_created', 'record_fills',
                    ['doctor_id', 'created_at', 'id'])
    op.create_index('ix_record_fills_patient_created', 'record_fills',
                    ['patient_id', 'created_at', 'id'])
    live = live_condition(['pending_payment', 'in_progress'])
    op.create_index('uq_record_fills_live_per_pair', 'record_fills',
                    ['patient_id', 'doctor_id'], unique=True, sqlite_where=live,
                    postgresql_where=live)
    op.create_table('record_fill_grants',
    sa.Column('fill_id', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('granted_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['fill_id'], ['record_fills.id'],
                            name=op.f('fk_record_fill_grants_fill_id_record_fills')),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_record_fill_grants_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'],
                            name=op.f('fk_record_fill_grants_patient_id_users')),
    sa.PrimaryKeyConstraint('fill_id', name=op.f('pk_record_fill_grants'))
    )
    op.create_index('ix_record_fill_grants_patient_doctor', 'record_fill_grants',
                    ['patient_id', 'doctor_id'])
    for table in _ENTRIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('author_id', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('record_fill_id', sa.String(length=32),
                                          nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_author_id_users'), 'users',
                                        ['author_id'], ['id'])
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_record_fill_id_record_fills'),
                                        'record_fills', ['record_fill_id'], ['id'])
            batch_op.create_index(batch_op.f(f'ix_{table}_record_fill_id'),
                                  ['record_fill_id'], unique=False)


def downgrade() -> None:
    for table in _ENTRIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_record_fill_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_record_fill_id_record_fills'),
                                     type_='foreignkey')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_author_id_users'),
                                     type_='foreignkey')
            batch_op.drop_column('record_fill_id')
            batch_op.drop_column('author_id')
    op.drop_index('ix_record_fill_grants_patient_doctor', table_name='record_fill_grants')
    op.drop_table('record_fill_grants')
    op.drop_index('uq_record_fills_live_per_pair', table_name='record_fills')
    op.drop_index('ix_record_fills_patient_created', table_name='record_fills')
    op.drop_index('ix_record_fills_doctor_created', table_name='record_fills')
    op.drop_table('record_fills')
