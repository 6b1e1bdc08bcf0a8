"""activities.occurred_at may be empty: an order whose source gives no date

A won deal without its closing date is kept with the date missing (never
invented from the creation time); rules leave it out of every period and
say so.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:05:00
"""

from collections.abc import Sequence

from alembic import op

import hub.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch_op:
        batch_op.alter_column(
            "occurred_at",
            existing_type=hub.store.types.UTCDateTime(timezone=True),
            nullable=True,
        )


def downgrade() -> None:
    # Undated orders cannot go back into a table that demands a date.
    op.execute("DELETE FROM activities WHERE occurred_at IS NULL")
    with op.batch_alter_table("activities") as batch_op:
        batch_op.alter_column(
            "occurred_at",
            existing_type=hub.store.types.UTCDateTime(timezone=True),
            nullable=False,
        )
