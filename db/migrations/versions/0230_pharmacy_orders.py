"""pharmacy orders: the order, its items (one live order per item), the pro-forma lines

Revision ID: 0230_pharmacy_orders
Revises: 0110_care_foundation
Create Date: 2026-12-01 10:27:06.058206
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0230_pharmacy_orders"
down_revision: str | Sequence[str] | None = "0110_care_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pharmacy_orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("patient_id", sa.String(length=32), nullable=False),
        sa.Column("pharmacy_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_until", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quoted_by", sa.String(length=32), nullable=True),
        sa.Column("quoted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ordered_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("price_amount", sa.BigInteger(), nullable=True),
        sa.Column("price_currency", sa.String(length=3), nullable=True),
        sa.Column("list_price_amount", sa.BigInteger(), nullable=True),
        sa.Column("price_rate", sa.String(length=48), nullable=True),
        sa.Column("price_rate_source", sa.String(length=100), nullable=True),
        sa.Column("validated_by", sa.String(length=32), nullable=True),
        sa.Column("validated_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stock_reserved_until", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.Column("expiry_reason", sa.String(length=20), nullable=True),
        sa.Column("payment_id", sa.String(length=32), nullable=True),
        sa.Column("paid_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pickup_code_hash", sa.String(length=64), nullable=True),
        sa.Column("pickup_generation", sa.Integer(), nullable=False),
        sa.Column("wrong_code_attempts", sa.Integer(), nullable=False),
        sa.Column("collected_by", sa.String(length=32), nullable=True),
        sa.Column("collected_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_pharmacy_orders_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["pharmacies.id"],
            name=op.f("fk_pharmacy_orders_pharmacy_id_pharmacies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_orders")),
        sa.UniqueConstraint("reference", name=op.f("uq_pharmacy_orders_reference")),
    )
    with op.batch_alter_table("pharmacy_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pharmacy_orders_patient_created", ["patient_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_pharmacy_orders_pharmacy_status",
            ["pharmacy_id", "status", "created_at"],
            unique=False,
        )

    op.create_table(
        "pharmacy_order_items",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("prescription_item_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["pharmacy_orders.id"],
            name=op.f("fk_pharmacy_order_items_order_id_pharmacy_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prescription_item_id"],
            ["prescription_items.id"],
            name=op.f("fk_pharmacy_order_items_prescription_item_id_prescription_items"),
        ),
        sa.PrimaryKeyConstraint(
            "order_id", "prescription_item_id", name=op.f("pk_pharmacy_order_items")
        ),
    )
    with op.batch_alter_table("pharmacy_order_items", schema=None) as batch_op:
        batch_op.create_index(
            "uq_pharmacy_order_items_live_item",
            ["prescription_item_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('live')"),
            postgresql_where=sa.text("state IN ('live')"),
        )

    op.create_table(
        "pharmacy_proforma_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prescription_item_id", sa.String(length=32), nullable=False),
        sa.Column("product", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("substitution", sa.Boolean(), nullable=False),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["pharmacy_orders.id"],
            name=op.f("fk_pharmacy_proforma_lines_order_id_pharmacy_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prescription_item_id"],
            ["prescription_items.id"],
            name=op.f("fk_pharmacy_proforma_lines_prescription_item_id_prescription_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_proforma_lines")),
    )
    with op.batch_alter_table("pharmacy_proforma_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pharmacy_proforma_lines_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pharmacy_proforma_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pharmacy_proforma_lines_order_id"))

    op.drop_table("pharmacy_proforma_lines")
    with op.batch_alter_table("pharmacy_order_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pharmacy_order_items_live_item",
            sqlite_where=sa.text("state IN ('live')"),
            postgresql_where=sa.text("state IN ('live')"),
        )

    op.drop_table("pharmacy_order_items")
    with op.batch_alter_table("pharmacy_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_pharmacy_orders_pharmacy_status")
        batch_op.drop_index("ix_pharmacy_orders_patient_created")

    op.drop_table("pharmacy_orders")
