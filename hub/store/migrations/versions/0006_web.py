"""web: dashboard users, inquiries on statement lines and their audit trail

Also an index on findings by subject within a run (the dashboard shows one
team's or one manager's findings out of a run's hundreds of thousands), and
one on live customers by tier (counted, listed and filtered on its customers
page).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_users")),
        sa.UniqueConstraint("username", name=op.f("uq_web_users_username")),
    )
    op.create_table(
        "web_inquiries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("line", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_inquiries")),
    )
    op.create_index("ix_web_inquiries_manager_id_period", "web_inquiries", ["manager_id", "period"])
    op.create_table(
        "web_inquiry_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["web_inquiries.id"],
            name=op.f("fk_web_inquiry_events_inquiry_id_web_inquiries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_inquiry_events")),
    )
    op.create_index(op.f("ix_web_inquiry_events_inquiry_id"), "web_inquiry_events", ["inquiry_id"])
    op.create_index(
        "ix_rule_findings_subject_id_run_id_rule_status",
        "rule_findings",
        ["subject_id", "run_id", "rule", "status"],
    )


    op.create_index(
        "ix_customers_tier_live",
        "customers",
        ["tier"],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_tier_live", table_name="customers")
    op.drop_index("ix_rule_findings_subject_id_run_id_rule_status", table_name="rule_findings")
    op.drop_table("web_inquiry_events")
    op.drop_table("web_inquiries")
    op.drop_table("web_users")
