"""appointments: the appointment process's table, and no two live appointments of a doctor
overlapping, decided by the database

Revision ID: 0121_appointments
Revises: 0120_agendas
Create Date: 2026-11-30 10:00:00.000000

Who gets a slot is decided by the database in the inserting transaction, never by a check
before the insert: a live appointment (`pending_payment`, `confirmed`) overlapping another
live one of the same doctor is refused.

- PostgreSQL: an exclusion constraint over (doctor_id =, tstzrange(start_at, end_at) &&),
  partial on the live statuses (btree_gist gives `=` on text a GiST operator class). A
  concurrent insert waits for the other transaction, then fails with exclusion_violation.
- SQLite: BEFORE INSERT / BEFORE UPDATE triggers that abort with the constraint's name.
  SQLite has one writer at a time, and a writing transaction reads the latest commit (in WAL
  a stale snapshot cannot write: SQLITE_BUSY_SNAPSHOT), so the check in the trigger and the
  write are one step. Rebuilding the table in a batch migration drops these triggers:
  create them again with SQLITE_TRIGGERS below.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0121_appointments'
down_revision: str | Sequence[str] | None = '0120_agendas'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "('pending_payment', 'confirmed')"
_OVERLAPPING = f"""SELECT 1 FROM appointments
        WHERE doctor_id = NEW.doctor_id AND status IN {LIVE}
          AND start_at < NEW.end_at AND end_at > NEW.start_at"""
_REFUSE = "RAISE(ABORT, 'appointments_no_overlap: the doctor has a live appointment then')"
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER appointments_no_overlap_insert
    BEFORE INSERT ON appointments
    WHEN NEW.status IN {LIVE}
    BEGIN
      SELECT {_REFUSE} WHERE EXISTS ({_OVERLAPPING});
    END""",
    f"""CREATE TRIGGER appointments_no_overlap_update
    BEFORE UPDATE OF doctor_id, status, start_at, end_at ON appointments
    WHEN NEW.status IN {LIVE}
    BEGIN
      SELECT {_REFUSE} WHERE EXISTS ({_OVERLAPPING} AND id <> OLD.id);
    END""",
)


def upgrade() -> None:
    op.create_table('appointments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('doctor_id', sa.String(length=32), nullable=False),
    sa.Column('sponsor_id', sa.String(length=32), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('start_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hold_expires_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_appointments_ordered')),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'],
                            name=op.f('fk_appointments_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'],
                            name=op.f('fk_appointments_patient_id_users')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['users.id'],
                            name=op.f('fk_appointments_sponsor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('reference', name=op.f('uq_appointments_reference'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_doctor_start', ['doctor_id', 'start_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_patient_id'), ['patient_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_status'), ['status'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute(f"""ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
            EXCLUDE USING gist (doctor_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)
            WHERE (status IN {LIVE})""")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap')
    else:
        op.execute('DROP TRIGGER IF EXISTS appointments_no_overlap_update')
        op.execute('DROP TRIGGER IF EXISTS appointments_no_overlap_insert')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_status'))
        batch_op.drop_index(batch_op.f('ix_appointments_patient_id'))
        batch_op.drop_index('ix_appointments_doctor_start')
    op.drop_table('appointments')
