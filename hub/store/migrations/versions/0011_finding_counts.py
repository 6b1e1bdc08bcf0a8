"""rule_finding_counts: a run's findings counted per (rule, status, severity)

Written by the engine in the run's transaction; here, counted once for the
runs already stored. The dashboard's per-rule summary of a whole run reads
these few rows instead of counting the run's findings on every request.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_finding_counts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rule_runs.id"], name=op.f("fk_rule_finding_counts_run_id_rule_runs")
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "rule", "status", "severity", name=op.f("pk_rule_finding_counts")
        ),
    )
    op.execute(
        "INSERT INTO rule_finding_counts (run_id, rule, status, severity, findings) "
        "SELECT run_id, rule, status, severity, count(*) FROM rule_findings "
        "GROUP BY run_id, rule, status, severity"
    )


def downgrade() -> None:
    op.drop_table("rule_finding_counts")
