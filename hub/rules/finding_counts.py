"""A run's findings counted per (rule, status, severity), once, when the run is written.

Results never change after their run (`hub.rules.tables`), so the counts
cannot go stale: a re-run is a new run with counts of its own, and closing a
period only points at a run. Reports of a whole run (the dashboard's
per-rule summary, 550,000 findings in a large store's quarter) read these
rows instead of counting the findings on each request. The same counts per
manager (`rule_finding_manager_counts`, the manager who owned the subject at
the run) make a lead's or a manager's summary a sum over a few rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, insert, select

from hub.rules.tables import rule_finding_counts, rule_finding_manager_counts, rule_findings


def record(conn: Connection, run_id: int) -> None:
    """Count the run's findings, in the transaction that wrote them."""
    f = rule_findings
    conn.execute(
        insert(rule_finding_counts).from_select(
            ["run_id", "rule", "status", "severity", "findings"],
            select(f.c.run_id, f.c.rule, f.c.status, f.c.severity, func.count())
            .where(f.c.run_id == run_id)
            .group_by(f.c.run_id, f.c.rule, f.c.status, f.c.severity),
        )
    )
    keys = [f.c.run_id, f.c.manager_id, f.c.rule, f.c.status, f.c.severity]
    conn.execute(
        insert(rule_finding_manager_counts).from_select(
            ["run_id", "manager_id", "rule", "status", "severity", "findings"],
            select(*keys, func.count())
            .where(f.c.run_id == run_id, f.c.manager_id.is_not(None))
            .group_by(*keys),
        )
    )


def per_rule(
    conn: Connection,
    run_id: int,
    *,
    rules: list[str] | None = None,
    severities: list[str] | None = None,
    managers: Any = None,
) -> dict[str, Counter[str]]:
    """Findings per rule and status of a whole run, narrowed like the findings are;
    `managers` (a select of manager ids): only the findings that are theirs."""
    c: Any = rule_finding_counts if managers is None else rule_finding_manager_counts
    where = [c.c.run_id == run_id]
    if managers is not None:
        where.append(c.c.manager_id.in_(managers))
    if rules:
        where.append(c.c.rule.in_(rules))
    if severities:
        where.append(c.c.severity.in_(severities))
    summary: dict[str, Counter[str]] = {}
    for rule, status, count in conn.execute(
        select(c.c.rule, c.c.status, func.sum(c.c.findings))
        .where(*where)
        .group_by(c.c.rule, c.c.status)
    ):
        summary.setdefault(rule, Counter())[status] = int(count)
    return summary
