"""rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:23:27.789634
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("hub_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_runs")),
        sa.UniqueConstraint("period", "version", name=op.f("uq_rule_runs_period_version")),
    )
    op.create_table(
        "rule_awards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("award", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("value", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "trace",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_awards_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_awards")),
    )
    with op.batch_alter_table("rule_awards", schema=None) as batch_op:
        batch_op.create_index("ix_rule_awards_run_id", ["run_id"], unique=False)

    op.create_table(
        "rule_closes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_closes_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_closes")),
        sa.UniqueConstraint("period", "sequence", name=op.f("uq_rule_closes_period_sequence")),
        sa.UniqueConstraint("run_id", name=op.f("uq_rule_closes_run_id")),
    )
    op.create_table(
        "rule_earnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("plan_period", sa.String(length=32), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("base", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("rate", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("attainment", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("amount", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column(
            "trace",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_earnings_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_earnings")),
    )
    with op.batch_alter_table("rule_earnings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_earnings_run_id_manager_id", ["run_id", "manager_id"], unique=False
        )

    op.create_table(
        "rule_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("subject_ref", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("suggested_action", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_findings_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_findings")),
    )
    with op.batch_alter_table("rule_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_findings_run_id_rule_status", ["run_id", "rule", "status"], unique=False
        )

    op.create_table(
        "rule_measures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.String(length=36), nullable=True),
        sa.Column("actual", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("target", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("attainment", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("weight", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column(
            "trace",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_measures_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_measures")),
    )
    with op.batch_alter_table("rule_measures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_measures_run_id_manager_id", ["run_id", "manager_id"], unique=False
        )

    op.create_table(
        "rule_payables",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("plan_period", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "earned_to_date", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True
        ),
        sa.Column(
            "paid_to_date", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("payable", hub.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("corrects_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_payables_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_payables")),
    )
    with op.batch_alter_table("rule_payables", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_payables_rule_manager_id_plan_period",
            ["rule", "manager_id", "plan_period"],
            unique=False,
        )
        batch_op.create_index("ix_rule_payables_run_id", ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_payables", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_payables_run_id")
        batch_op.drop_index("ix_rule_payables_rule_manager_id_plan_period")

    op.drop_table("rule_payables")
    with op.batch_alter_table("rule_measures", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_measures_run_id_manager_id")

    op.drop_table("rule_measures")
    with op.batch_alter_table("rule_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_findings_run_id_rule_status")

    op.drop_table("rule_findings")
    with op.batch_alter_table("rule_earnings", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_earnings_run_id_manager_id")

    op.drop_table("rule_earnings")
    op.drop_table("rule_closes")
    with op.batch_alter_table("rule_awards", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_awards_run_id")

    op.drop_table("rule_awards")
    op.drop_table("rule_runs")
