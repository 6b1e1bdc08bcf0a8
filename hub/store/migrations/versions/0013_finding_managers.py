"""rule_findings.manager_id and rule_finding_manager_counts: findings kept with their manager

A finding belongs to the manager who owned its subject when the rules ran (a
manager finding: the manager; a customer's: its owner; an activity's: its
manager, else its customer's owner; a contact's: its owner, else its
customer's owner; a goal's: its manager), as the rules writer now records it
in the run's transaction. Runs stored before this revision are backfilled
from the CURRENT owners (what was owned at those runs is not recorded), on
the entity tables: a unified run's findings get the source records' ids,
which the dashboard's team filter reaches too (it includes every member of
a unified manager). The per-manager counts are computed for every stored run.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CUSTOMER_OWNER = "(SELECT c.owner_id FROM customers c WHERE c.id = {})"
_BACKFILL = f"""
UPDATE rule_findings SET manager_id = CASE subject_type
  WHEN 'manager' THEN subject_id
  WHEN 'customer' THEN {_CUSTOMER_OWNER.format("rule_findings.subject_id")}
  WHEN 'activity' THEN (SELECT coalesce(a.manager_id, {_CUSTOMER_OWNER.format("a.customer_id")})
                        FROM activities a WHERE a.id = rule_findings.subject_id)
  WHEN 'contact' THEN (SELECT coalesce(k.owner_id, {_CUSTOMER_OWNER.format("k.customer_id")})
                       FROM contacts k WHERE k.id = rule_findings.subject_id)
  WHEN 'goal' THEN (SELECT g.manager_id FROM goals g WHERE g.id = rule_findings.subject_id)
END
"""


def upgrade() -> None:
    with op.batch_alter_table("rule_findings") as batch:
        batch.add_column(sa.Column("manager_id", sa.String(length=36), nullable=True))
    op.execute(_BACKFILL)
    op.create_index(
        "ix_rule_findings_run_id_manager_id_rule_status",
        "rule_findings",
        ["run_id", "manager_id", "rule", "status", "id"],
    )
    op.create_table(
        "rule_finding_manager_counts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rule_runs.id"],
            name=op.f("fk_rule_finding_manager_counts_run_id_rule_runs"),
        ),
        sa.PrimaryKeyConstraint(
            "run_id",
            "manager_id",
            "rule",
            "status",
            "severity",
            name=op.f("pk_rule_finding_manager_counts"),
        ),
    )
    op.execute(
        "INSERT INTO rule_finding_manager_counts "
        "(run_id, manager_id, rule, status, severity, findings) "
        "SELECT run_id, manager_id, rule, status, severity, count(*) FROM rule_findings "
        "WHERE manager_id IS NOT NULL GROUP BY run_id, manager_id, rule, status, severity"
    )


def downgrade() -> None:
    op.drop_table("rule_finding_manager_counts")
    op.drop_index("ix_rule_findings_run_id_manager_id_rule_status", table_name="rule_findings")
    with op.batch_alter_table("rule_findings") as batch:
        batch.drop_column("manager_id")
