"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:57:20.543371
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("customer_source_id", sa.String(), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("manager_source_id", sa.String(), nullable=True),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("logged_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("content", sa.String(), nullable=True),
        sa.Column("amount", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("score", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("first_response_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("sync_gen", sa.Integer(), nullable=False),
        sa.Column("first_synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_activities_source_source_id")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_manager_id"), ["manager_id"], unique=False)
        batch_op.create_index("ix_activities_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index("ix_activities_source_stream", ["source", "stream"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("owner_source_id", sa.String(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("credit_code", sa.String(), nullable=True),
        sa.Column("industry", sa.String(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("tier", sa.String(), nullable=True),
        sa.Column("segment", sa.String(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(), nullable=True),
        sa.Column("marketing_consent", sa.Boolean(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("sync_gen", sa.Integer(), nullable=False),
        sa.Column("first_synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_customers_source_source_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_customers_source_stream", ["source", "stream"], unique=False)

    op.create_table(
        "goals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("manager_source_id", sa.String(), nullable=True),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_label", sa.String(), nullable=False),
        sa.Column("target", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("weight", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("sync_gen", sa.Integer(), nullable=False),
        sa.Column("first_synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_goals_source_source_id")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_manager_id"), ["manager_id"], unique=False)
        batch_op.create_index("ix_goals_period", ["period_start", "period_end"], unique=False)
        batch_op.create_index("ix_goals_source_stream", ["source", "stream"], unique=False)

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "links",
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("hub_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection", "entity", "source_id", name=op.f("pk_links")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_links_hub_id"), ["hub_id"], unique=False)

    op.create_table(
        "managers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("employee_number", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("supervisor_source_id", sa.String(), nullable=True),
        sa.Column("supervisor_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("hired_at", sa.Date(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("sync_gen", sa.Integer(), nullable=False),
        sa.Column("first_synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managers")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_managers_source_source_id")),
    )
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.create_index("ix_managers_source_stream", ["source", "stream"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_managers_supervisor_id"), ["supervisor_id"], unique=False
        )

    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("reject_key", sa.String(length=512), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("sync_gen", sa.Integer(), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_run_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejects")),
    )
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.create_index(
            "uq_rejects_open",
            ["connection", "stream", "reject_key"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hub_version", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "sync_state",
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection", "stream", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "run_streams",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(length=128), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unresolved", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_streams_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "connection", "stream", name=op.f("pk_run_streams")),
    )


def downgrade() -> None:

    op.drop_table("run_streams")
    op.drop_table("sync_state")
    op.drop_table("runs")
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_rejects_open",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.drop_table("rejects")
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_managers_supervisor_id"))
        batch_op.drop_index("ix_managers_source_stream")

    op.drop_table("managers")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_hub_id"))

    op.drop_table("links")
    op.drop_table("leases")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index("ix_goals_source_stream")
        batch_op.drop_index("ix_goals_period")
        batch_op.drop_index(batch_op.f("ix_goals_manager_id"))

    op.drop_table("goals")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_source_stream")
        batch_op.drop_index(batch_op.f("ix_customers_owner_id"))

    op.drop_table("customers")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_source_stream")
        batch_op.drop_index("ix_activities_occurred_at")
        batch_op.drop_index(batch_op.f("ix_activities_manager_id"))
        batch_op.drop_index(batch_op.f("ix_activities_customer_id"))

    op.drop_table("activities")
