"""A run's findings counted per (rule, status, severity), once, when the run is written.

Results never change after their run (`hub.rules.tables`), so the counts
cannot go stale: a re-run is a new run with counts of its own, and closing a
period only points at a run. Reports of a whole run (the dashboard's
per-rule summary, 550,000 findings in a large store's quarter) read these
rows instead of counting the findings on each request.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, func, insert, select

from hub.rules.tables import rule_finding_counts, rule_findings


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


def per_rule(
    conn: Connection,
    run_id: int,
    *,
    rules: list[str] | None = None,
    severities: list[str] | None = None,
) -> dict[str, Counter[str]]:
    """Findings per rule and status of a whole run, narrowed like the findings are."""
    c = rule_finding_counts
    where = [c.c.run_id == run_id]
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
