"""Where rule results live: runs, measures, findings, earnings, awards,
payables and period closes.

Every table is append-only. A run writes its rows in one transaction and
nothing ever updates or deletes them afterwards: a later run of the same
period is a new *version*, and closing a period only adds a `rule_closes` row
that points at the version it froze. Paid to date is the sum of the payables
of frozen versions, so it can be recomputed from these rows at any time.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hub.store.metadata import HUB_ID, metadata
from hub.store.types import ExactDecimal, UTCDateTime, json_type

RULE_NAME = String(128)
PERIOD_LABEL = String(32)


def _result_columns() -> list[Column]:
    """Columns every result row carries: which run, which rule, which version."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("rule_runs.id"), nullable=False),
        Column("rule", RULE_NAME, nullable=False),
        Column("rule_id", RULE_NAME, nullable=False),
        Column("rule_version", String(32), nullable=False),
    ]


rule_runs = Table(
    "rule_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", PERIOD_LABEL, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
    Column("evaluated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("rules", json_type(), nullable=False),
    Column("settings", json_type(), nullable=False),
    Column("counts", json_type(), nullable=False),
    Column("hub_version", String(32), nullable=False),
    UniqueConstraint("period", "version"),
)

rule_measures = Table(
    "rule_measures",
    metadata,
    *_result_columns(),
    Column("manager_id", HUB_ID),
    Column("team", String(128)),
    Column("metric", String(64), nullable=False),
    Column("period", PERIOD_LABEL, nullable=False),
    Column("goal_id", HUB_ID),
    Column("actual", ExactDecimal),
    Column("target", ExactDecimal),
    Column("attainment", ExactDecimal),
    Column("weight", ExactDecimal),
    Column("unit", String(32)),
    Column("status", String(16), nullable=False),
    Column("cause", Text),
    Column("trace", json_type(), nullable=False),
    Index("ix_rule_measures_run_id_manager_id", "run_id", "manager_id"),
)

rule_findings = Table(
    "rule_findings",
    metadata,
    *_result_columns(),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", HUB_ID, nullable=False),
    Column("subject_ref", String(400), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", json_type(), nullable=False),
    Column("suggested_action", Text),
    # who owned the subject when the rules ran (`hub.rules.finding_owners`); None: nobody
    Column("manager_id", HUB_ID),
    Index("ix_rule_findings_run_id_rule_status", "run_id", "rule", "status"),
    # one team's or one manager's findings of a run (the dashboard); with the id, its
    # first page's ids come from the index alone
    Index(
        "ix_rule_findings_run_id_manager_id_rule_status",
        "run_id",
        "manager_id",
        "rule",
        "status",
        "id",
    ),
    # one team's or one manager's findings (the dashboard); covers its per-rule summary
    Index(
        "ix_rule_findings_subject_id_run_id_rule_status", "subject_id", "run_id", "rule", "status"
    ),
)

rule_finding_counts = Table(
    "rule_finding_counts",
    metadata,
    # findings per (rule, status, severity) of a run, written with the run: the dashboard's
    # per-rule summary of a whole run without counting its hundreds of thousands of rows
    Column("run_id", Integer, ForeignKey("rule_runs.id"), primary_key=True),
    Column("rule", RULE_NAME, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("severity", String(16), primary_key=True),
    Column("findings", Integer, nullable=False),
)

rule_finding_manager_counts = Table(
    "rule_finding_manager_counts",
    metadata,
    # the same per manager (findings with one): a lead's summary sums the team's rows
    Column("run_id", Integer, ForeignKey("rule_runs.id"), primary_key=True),
    Column("manager_id", HUB_ID, primary_key=True),
    Column("rule", RULE_NAME, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("severity", String(16), primary_key=True),
    Column("findings", Integer, nullable=False),
)

rule_earnings = Table(
    "rule_earnings",
    metadata,
    *_result_columns(),
    Column("manager_id", HUB_ID, nullable=False),
    Column("plan_period", PERIOD_LABEL, nullable=False),
    Column("component", String(64), nullable=False),
    Column("base", ExactDecimal),
    Column("rate", String(40)),
    Column("tier", String(64)),
    Column("attainment", ExactDecimal),
    Column("amount", ExactDecimal),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("cause", Text),
    Column("ref", String(255)),
    Column("trace", json_type(), nullable=False),
    Index("ix_rule_earnings_run_id_manager_id", "run_id", "manager_id"),
)

rule_awards = Table(
    "rule_awards",
    metadata,
    *_result_columns(),
    Column("manager_id", HUB_ID, nullable=False),
    Column("award", String(64), nullable=False),
    Column("title", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("rank", Integer),
    Column("value", ExactDecimal),
    Column("currency", String(3)),
    Column("trace", json_type(), nullable=False),
    Index("ix_rule_awards_run_id", "run_id"),
)

rule_payables = Table(
    "rule_payables",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("rule_runs.id"), nullable=False),
    Column("rule", RULE_NAME, nullable=False),
    Column("manager_id", HUB_ID, nullable=False),
    Column("plan_period", PERIOD_LABEL, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("earned_to_date", ExactDecimal),
    Column("paid_to_date", ExactDecimal, nullable=False),
    Column("payable", ExactDecimal),
    Column("status", String(16), nullable=False),
    Column("cause", Text),
    Column("correction", Boolean, nullable=False),
    Column("corrects_run_id", Integer),
    Index("ix_rule_payables_run_id", "run_id"),
    Index("ix_rule_payables_rule_manager_id_plan_period", "rule", "manager_id", "plan_period"),
)

rule_closes = Table(
    "rule_closes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", PERIOD_LABEL, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("run_id", Integer, ForeignKey("rule_runs.id"), nullable=False, unique=True),
    Column("closed_at", UTCDateTime, nullable=False),
    Column("forced", Boolean, nullable=False),
    UniqueConstraint("period", "sequence"),
)

RESULT_TABLES = {
    "measures": rule_measures,
    "findings": rule_findings,
    "earnings": rule_earnings,
    "awards": rule_awards,
}
