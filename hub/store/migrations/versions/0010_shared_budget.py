"""engine: the vendor budget workers share through the store (tokens, slots, credits)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_tokens",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("minting_until", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_tokens")),
    )
    op.create_table(
        "shared_budgets",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=True),
        sa.Column("remaining_until", sa.Float(), nullable=True),
        sa.Column("exhausted_until", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_budgets")),
    )
    op.create_table(
        "shared_slots",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", "holder", name=op.f("pk_shared_slots")),
    )


def downgrade() -> None:
    op.drop_table("shared_slots")
    op.drop_table("shared_budgets")
    op.drop_table("shared_tokens")
