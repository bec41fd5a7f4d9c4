"""vital shares: which vital-sign types a patient shares with which of their doctors

Revision ID: 0161_vital_shares
Revises: 0004_record
Create Date: 2026-12-01 09:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0161_vital_shares'
down_revision: str | Sequence[str] | None = '0004_record'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vital_shares',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_vital_shares_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'],
                            name=op.f('fk_vital_shares_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vital_shares')),
    sa.UniqueConstraint('patient_id', 'doctor_id', name=op.f('uq_vital_shares_patient_id'))
    )
    with op.batch_alter_table('vital_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vital_shares_doctor_id'), ['doctor_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_vital_shares_patient_id'), ['patient_id'],
                              unique=False)
    op.create_table('vital_share_types',
    sa.Column('share_id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['vital_shares.id'],
                            name=op.f('fk_vital_share_types_share_id_vital_shares'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('share_id', 'type', name=op.f('pk_vital_share_types'))
    )


def downgrade() -> None:
    op.drop_table('vital_share_types')
    with op.batch_alter_table('vital_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vital_shares_patient_id'))
        batch_op.drop_index(batch_op.f('ix_vital_shares_doctor_id'))
    op.drop_table('vital_shares')
