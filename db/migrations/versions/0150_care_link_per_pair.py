"""one live care link per patient and doctor: a partial unique index

Revision ID: 0150_care_link_per_pair
Revises: 0002_accounts
Create Date: 2026-12-01 08:00:00.000000

Two requests of the same instant each created a pending link (and emailed the doctor
twice). The database now keeps one live link (pending or active) per patient and doctor.
Links doubled before this revision are closed first: per pair the active one (else the
oldest) stays, the others become expired, as an unanswered request would.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0150_care_link_per_pair'
down_revision: str | Sequence[str] | None = '0002_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('pending', 'active')")


def upgrade() -> None:
    links = sa.table('care_links', sa.column('id'), sa.column('patient_id'),
                     sa.column('doctor_id'), sa.column('status'), sa.column('created_at'))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(links.c.id, links.c.patient_id, links.c.doctor_id, links.c.status)
        .where(links.c.status.in_(['pending', 'active']))
        .order_by(links.c.created_at, links.c.id)).all()
    kept: dict[tuple[str, str], tuple[str, str]] = {}
    closed: list[str] = []
    for link_id, patient_id, doctor_id, status in rows:
        pair = (patient_id, doctor_id)
        if pair not in kept:
            kept[pair] = (link_id, status)
        elif status == 'active' and kept[pair][1] != 'active':
            closed.append(kept[pair][0])
            kept[pair] = (link_id, status)
        else:
            closed.append(link_id)
    if closed:
        connection.execute(links.update().where(links.c.id.in_(closed))
                           .values(status='expired'))
    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.create_index('uq_care_links_live_per_pair', ['patient_id', 'doctor_id'],
                              unique=True, sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.drop_index('uq_care_links_live_per_pair')
