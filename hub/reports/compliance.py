"""The compliance report: findings with their evidence, and a summary per rule.

By default only what needs attention is listed (violations, warnings, not
evaluated); `--all` lists passes too. Evidence was masked when it was stored;
subject names are masked here unless `--unmasked`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from hub.masking import mask_name
from hub.reports.output import Report, Section
from hub.reports.source import ReportSource
from hub.rules import finding_counts
from hub.rules.tables import rule_findings
from hub.store.tables import entity_tables

_SEVERITY = ["critical", "high", "medium", "low", "info"]
_STATUS = ["violation", "not_evaluated", "warning", "pass"]


def build(
    source: ReportSource,
    *,
    statuses: list[str] | None = None,
    rules: list[str] | None = None,
    limit: int | None = None,
    severities: list[str] | None = None,
    subjects: Any = None,
    managers: Any = None,
) -> Report:
    """`subjects`: a select of hub ids (managers, customers) to keep;
    `managers`: a select of manager ids whose findings to keep (a team's: the
    manager who owned the subject when the rules ran, `rule_findings.manager_id`);
    `severities` like `statuses`. All narrow the summary too."""
    f = rule_findings
    run_id = source.run.id
    where = [f.c.run_id == run_id]
    if rules:
        where.append(f.c.rule.in_(rules))
    if severities:
        where.append(f.c.severity.in_(severities))
    if subjects is not None:
        # By subject first: one team's findings are a small part of a run's, and SQLite
        # (no statistics) would otherwise walk the whole run through (run_id, rule,
        # status); `run_id + 0` keeps that index out of the plan.
        where[0] = (f.c.run_id + 0) == run_id
        where.append(f.c.subject_id.in_(subjects))
    if managers is not None:
        where.append(f.c.manager_id.in_(managers))
    summary: dict[str, Counter[str]] = {}
    if subjects is None:
        # a whole run or some managers' part of it: counted once when it was written
        summary = finding_counts.per_rule(
            source.conn, run_id, rules=rules, severities=severities, managers=managers
        )
    else:
        for rule, status, count in source.conn.execute(
            select(f.c.rule, f.c.status, func.count()).where(*where).group_by(f.c.rule, f.c.status)
        ):
            summary.setdefault(rule, Counter())[status] = count
    wanted = statuses or ["violation", "warning", "not_evaluated"]
    # (rule, status, id): the order of the (run_id, rule, status) index, so a --limit
    # (the dashboard's first page) reads only the rows it keeps, without a sort
    order = (f.c.rule, f.c.status, f.c.id)
    statement = select(f).where(*where, f.c.status.in_(wanted)).order_by(*order)
    if limit:
        # the ids first, then their rows: when a team's findings are found by subject and
        # sorted, the sort holds ids from the index, not tens of thousands of whole rows
        first = select(f.c.id).where(*where, f.c.status.in_(wanted)).order_by(*order)
        statement = select(f).where(f.c.id.in_(first.limit(limit))).order_by(*order)
    found = source.conn.execute(statement).all()
    names = _subject_names(source, found)
    rows: list[dict[str, Any]] = []
    for row in found:
        rows.append(
            {
                "rule": row.rule,
                "rule_version": row.rule_version,
                "status": row.status,
                "severity": row.severity,
                "subject_type": row.subject_type,
                "subject_id": row.subject_id,
                "subject": row.subject_ref,
                "name": names.get(row.subject_id),
                "message": row.message,
                "suggested_action": row.suggested_action,
                "evidence": row.evidence,
            }
        )
    rows.sort(
        key=lambda r: (
            _STATUS.index(r["status"]) if r["status"] in _STATUS else 9,
            _SEVERITY.index(r["severity"]) if r["severity"] in _SEVERITY else 9,
            r["rule"],
            r["subject"],
        )
    )
    totals = [
        {
            "rule": rule,
            "violation": counts.get("violation", 0),
            "warning": counts.get("warning", 0),
            "not_evaluated": counts.get("not_evaluated", 0),
            "pass": counts.get("pass", 0),
        }
        for rule, counts in sorted(summary.items())
    ]
    notes = source.notes()
    if limit and len(found) >= limit:
        notes.append(f"only the first {limit} findings are listed (--limit)")
    return Report(
        kind="compliance",
        meta=source.meta(),
        sections=[
            Section(
                "findings",
                [
                    "rule",
                    "status",
                    "severity",
                    "subject",
                    "name",
                    "message",
                    "suggested_action",
                    "evidence",
                ],
                rows,
                title=f"Findings ({', '.join(wanted)})",
                display={"evidence": _evidence},
            ),
            Section(
                "summary",
                ["rule", "violation", "warning", "not_evaluated", "pass"],
                totals,
                title="Per rule",
            ),
        ],
        notes=notes,
    )


def _evidence(value: Any) -> str:
    """Evidence in a terminal cell: `key=value; …`, nested lists one per line."""
    if isinstance(value, dict):
        return "; ".join(f"{k}={_evidence(v)}" for k, v in value.items() if v not in (None, "", []))
    if isinstance(value, list):
        return "\n  " + "\n  ".join(_evidence(v) for v in value) if value else ""
    return "" if value is None else str(value)


def _subject_names(source: ReportSource, rows: list[Any]) -> dict[str, str]:
    """Names of the customers and managers the findings are about (masked
    for people unless unmasked; company names are not personal data)."""
    names: dict[str, str] = {}
    ids = {r.subject_id for r in rows if r.subject_type == "customer"}
    c = entity_tables["customers"]
    for chunk in _chunks(sorted(ids), 500):
        for cid, name, kind in source.conn.execute(
            select(c.c.id, c.c.name, c.c.kind).where(c.c.id.in_(chunk))
        ):
            names[cid] = name if source.unmasked or kind != "person" else mask_name(name)
    for r in rows:
        if r.subject_type == "manager":
            names[r.subject_id] = source.person(r.subject_id).name
    return names


def _chunks(items: list[str], size: int) -> Any:
    for i in range(0, len(items), size):
        yield items[i : i + size]
