"""engine: who ran each stream, schedule ticks, follow-ups, live workers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run_streams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=255), nullable=True))
    op.create_table(
        "schedule_ticks",
        sa.Column("entry", sa.String(length=128), nullable=False),
        sa.Column("tick_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("entry", "tick_at", name=op.f("pk_schedule_ticks")),
    )
    op.create_table(
        "run_followups",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.Column("finished_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_followups_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "connection", name=op.f("pk_run_followups")),
    )
    op.create_table(
        "engine_workers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_engine_workers")),
    )


def downgrade() -> None:
    op.drop_table("engine_workers")
    op.drop_table("run_followups")
    op.drop_table("schedule_ticks")
    with op.batch_alter_table("run_streams", schema=None) as batch_op:
        batch_op.drop_column("worker")
