"""The drug catalogue (BDPM, ANSM): reference data loaded by the record migration.

Search goes through `drug_tokens`: the normalized words of each product's name and active
substances, with a precomputed rank, matched by prefix range on an index. That works the
same on SQLite and PostgreSQL and never scans the table (no `LIKE '%q%'`).
"""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

# Byte order on PostgreSQL, so that `token >= 'pa' AND token < 'pb'` is exactly "starts
# with pa" whatever the database's locale (SQLite compares bytes already).
TokenText = String(200).with_variant(String(200, collation="C"), "postgresql")


class DrugProduct(Base):
    __tablename__ = "drugs"
    __table_args__ = {"info": {"reference_data": True}}

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # the CIS code
    name: Mapped[str] = mapped_column(String(400))
    form: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str | None] = mapped_column(String(200))
    routes: Mapped[str] = mapped_column(String(300))  # ";"-separated
    substances: Mapped[str] = mapped_column(String(2000))  # "|"-separated
    commercialised: Mapped[bool] = mapped_column(Boolean)
    holder: Mapped[str | None] = mapped_column(String(300))


class DrugToken(Base):
    __tablename__ = "drug_tokens"
    __table_args__ = (
        Index("ix_drug_tokens_token_rank", "token", "rank", "drug_id"),
        {"info": {"reference_data": True}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(TokenText)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id", ondelete="CASCADE"))
    # Lower is better: how the token matches (name start, name word, substance), whether
    # the product is on the market, then the name's length. See db/data/catalogue.py.
    rank: Mapped[int] = mapped_column(Integer)
