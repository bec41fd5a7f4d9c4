"""account settings: session versions and password reset links

Revision ID: 0160_account_settings
Revises: 0002_accounts
Create Date: 2026-12-01 09:00:00.000000

`users.session_version` is carried in every access token: a password change or reset
raises it and so ends the sessions opened before. `password_resets` holds one reset link
each (the status is its process's; only the token's hash is kept);
`password_reset_attempts` the new password's hash of each use of a link, until the process
applies it.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0160_account_settings'
down_revision: str | Sequence[str] | None = '0002_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('password_resets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_password_resets_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'],
                              unique=False)
    op.create_table('password_reset_attempts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reset_id', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reset_id'], ['password_resets.id'],
                            name=op.f('fk_password_reset_attempts_reset_id_password_resets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_attempts'))
    )
    with op.batch_alter_table('password_reset_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_attempts_reset_id'), ['reset_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_reset_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_attempts_reset_id'))
    op.drop_table('password_reset_attempts')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
