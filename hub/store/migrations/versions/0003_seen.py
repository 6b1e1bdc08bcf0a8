"""seen: which source ids each stream's reads saw, with source-row digests

Entity rows no longer carry the generation that last saw them (stamping it
rewrote every wide row on every complete read); the narrow `seen` table
keeps it instead, with a digest of each source row, so an adapter can skip
mapping rows that did not change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("managers", "customers", "activities", "goals")


def upgrade() -> None:
    op.create_table(
        "seen",
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("connection", "stream", "source_id", name=op.f("pk_seen")),
        sqlite_with_rowid=False,
    )
    for table in TABLES:
        # what the old per-row stamps knew, so the next complete read sweeps correctly
        op.execute(
            f"INSERT INTO seen (connection, stream, source_id, generation) "
            f"SELECT source, stream, source_id, sync_gen FROM {table} WHERE deleted_at IS NULL"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("sync_gen")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("sync_gen", sa.Integer(), nullable=False, server_default="0")
            )
    op.drop_table("seen")
