"""professional verifications: an admin checks a doctor's or pharmacist's licence

Revision ID: 0151_professional_verifications
Revises: 0150_care_link_per_pair
Create Date: 2026-12-01 08:10:00.000000

Doctors and pharmacists registered before this revision were listed at once, unchecked:
each gets a pending verification (submitted when they registered), so that an admin
checks them too; the demo professionals are verified by `esame seed`.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0151_professional_verifications'
down_revision: str | Sequence[str] | None = '0150_care_link_per_pair'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('professional_verifications',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_professional_verifications_user_id_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'],
                            name=op.f('fk_professional_verifications_decided_by_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_professional_verifications'))
    )
    with op.batch_alter_table('professional_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_professional_verifications_status'), ['status'],
                              unique=False)
    # The same stored form of the time on either database: copied, not converted.
    op.execute("INSERT INTO professional_verifications (user_id, status, submitted_at) "
               "SELECT id, 'pending', created_at FROM users "
               "WHERE role IN ('doctor', 'pharmacist')")


def downgrade() -> None:
    with op.batch_alter_table('professional_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_professional_verifications_status'))
    op.drop_table('professional_verifications')
