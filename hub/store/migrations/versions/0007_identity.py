"""identity: unified managers and customers, evidence, decisions, review queue

Every manager and customer record gets a unified entity (identity_members);
the tables keep why (evidence), what people decided (decisions), what is left
to decide (review), what was refused (issues) and the survived records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:48:15.967151
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.store.types
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("a_connection", sa.String(length=128), nullable=False),
        sa.Column("a_source_id", sa.String(length=255), nullable=False),
        sa.Column("b_connection", sa.String(length=128), nullable=False),
        sa.Column("b_source_id", sa.String(length=255), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_decisions")),
    )
    with op.batch_alter_table("identity_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_identity_decisions_entity", ["entity"], unique=False)

    op.create_table(
        "identity_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("unified_id", sa.String(length=36), nullable=False),
        sa.Column("a_id", sa.String(length=36), nullable=False),
        sa.Column("b_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_evidence")),
    )
    with op.batch_alter_table("identity_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_evidence_entity_unified_id", ["entity", "unified_id"], unique=False
        )

    op.create_table(
        "identity_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("hub_id", sa.String(length=36), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("found_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_issues")),
    )
    with op.batch_alter_table("identity_issues", schema=None) as batch_op:
        batch_op.create_index("ix_identity_issues_entity_kind", ["entity", "kind"], unique=False)

    op.create_table(
        "identity_keys",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=24), nullable=False),
        sa.Column("hub_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("entity", "value", "hub_id", name=op.f("pk_identity_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.create_index("ix_identity_keys_entity_hub_id", ["entity", "hub_id"], unique=False)

    op.create_table(
        "identity_members",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("hub_id", sa.String(length=36), nullable=False),
        sa.Column("unified_id", sa.String(length=36), nullable=False),
        sa.Column("matched_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "hub_id", name=op.f("pk_identity_members")),
    )
    with op.batch_alter_table("identity_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_members_entity_unified_id", ["entity", "unified_id"], unique=False
        )

    op.create_table(
        "identity_review",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("a_id", sa.String(length=36), nullable=False),
        sa.Column("b_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("found_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "a_id", "b_id", name=op.f("pk_identity_review")),
    )
    op.create_table(
        "identity_state",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("watermark", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("matched_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("entity", name=op.f("pk_identity_state")),
    )
    op.create_table(
        "unified_customers",
        sa.Column("unified_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
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
            nullable=True,
        ),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resolved_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unified_id", name=op.f("pk_unified_customers")),
    )
    op.create_table(
        "unified_managers",
        sa.Column("unified_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("employee_number", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("supervisor_source_id", sa.String(), nullable=True),
        sa.Column("supervisor_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("hired_at", sa.Date(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resolved_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unified_id", name=op.f("pk_unified_managers")),
    )


def downgrade() -> None:
    op.drop_table("unified_managers")
    op.drop_table("unified_customers")
    op.drop_table("identity_state")
    op.drop_table("identity_review")
    with op.batch_alter_table("identity_members", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_members_entity_unified_id")

    op.drop_table("identity_members")
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_keys_entity_hub_id")

    op.drop_table("identity_keys")
    with op.batch_alter_table("identity_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_issues_entity_kind")

    op.drop_table("identity_issues")
    with op.batch_alter_table("identity_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_evidence_entity_unified_id")

    op.drop_table("identity_evidence")
    with op.batch_alter_table("identity_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_decisions_entity")

    op.drop_table("identity_decisions")
