"""activities, contacts, goals: keyed by (source, source_id), `id` unique in its own index

A hub id is a hash, so a table keyed by it gets each new row's key written
to a random page of its primary key index: a bulk load of 1M activities
rewrote most of that index at every batch (6.5 GB written where the rows
are 0.5 GB). These tables are now keyed by (source, source_id), which a
sync writes in order, and `id` stays unique through `ux_<table>_id`, an
index a bulk load into an empty table drops and builds again at its end.
Managers and customers, which everything refers to by id, keep `id` as key.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("activities", "contacts", "goals")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_source_source_id", type_="unique")
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["source", "source_id"])
            batch.create_index(f"ux_{table}_id", ["id"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ux_{table}_id")
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["id"])
            batch.create_unique_constraint(f"uq_{table}_source_source_id", ["source", "source_id"])
