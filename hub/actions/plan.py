"""From findings to desired actions: which task, for whom, in which CRM.

Pure reading: planning writes nothing, neither to the store nor to any CRM.
The key of an action is a digest of (action, rule, subject, period), so the
same finding planned again is the same action; the subject is the unified
customer once identity resolution has grouped its records, so findings on two
records of one customer make one task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.actions.settings import ActionSettings
from hub.identity.tables import identity_members
from hub.rules import ledger
from hub.rules.tables import rule_findings, rule_runs
from hub.store.tables import entity_tables


@dataclass(frozen=True)
class PlannedAction:
    key: str
    action: str
    rule: str
    period: str
    subject_type: str
    subject_id: str
    subject_ref: str
    connection: str | None
    customer_source_id: str | None
    owner_source_id: str | None
    title: str
    description: str
    due_date: dt.date
    priority: str
    triggers: bool
    skip_reason: str | None = None
    """Set when no connection can take the action (it is planned as skipped)."""


def action_key(action: str, rule: str, subject_id: str, period: str) -> str:
    text = "\x1f".join((action, rule, subject_id, period))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def latest_period(conn: Connection) -> str | None:
    """The period of the most recent rule run."""
    row = conn.execute(
        select(rule_runs.c.period).order_by(rule_runs.c.evaluated_at.desc()).limit(1)
    ).first()
    return row.period if row else None


def plan(
    conn: Connection,
    period: str,
    actions: dict[str, ActionSettings],
    *,
    zone: dt.tzinfo,
    can_write: Callable[[str], bool],
) -> list[PlannedAction]:
    """The actions the latest results of `period` call for. `can_write(connection)`
    says whether a connection's adapter writes actions."""
    run = ledger.latest_run(conn, period)
    if run is None:
        return []
    due_base = dt.datetime.now(zone).date()  # tasks are due counting from today
    out: list[PlannedAction] = []
    for name, settings in actions.items():
        if not settings.enabled:
            continue
        f = rule_findings
        where = [
            f.c.run_id == run.id,
            or_(f.c.rule == settings.rule, f.c.rule_id == settings.rule),
            f.c.status.in_(settings.statuses),
            f.c.subject_type == "customer",
        ]
        if settings.severities:
            where.append(f.c.severity.in_(settings.severities))
        findings = conn.execute(select(f).where(*where).order_by(f.c.id)).all()
        members = _members(conn, [row.subject_id for row in findings])
        seen: set[str] = set()
        for finding in findings:
            planned = _planned(name, settings, period, finding, members, due_base, can_write)
            if planned.key not in seen:  # two records of one unified customer: one task
                seen.add(planned.key)
                out.append(planned)
    return out


def _planned(
    name: str,
    settings: ActionSettings,
    period: str,
    finding: Any,
    members: dict[str, list[Any]],
    due_base: dt.date,
    can_write: Callable[[str], bool],
) -> PlannedAction:
    due = due_base + dt.timedelta(days=settings.due_in_days)
    group = members.get(finding.subject_id, [])
    target, skip = _target(group, settings, can_write)
    shown = group[0] if group else None
    values = {
        "customer": (shown.name if shown is not None else finding.subject_ref),
        "customer_ref": finding.subject_ref,
        "owner": (target.owner_source_id if target is not None else None) or "-",
        "rule": finding.rule,
        "message": finding.message,
        "suggested_action": finding.suggested_action or "-",
        "period": period,
        "due_date": due.isoformat(),
        "severity": finding.severity,
    }
    lang = settings.language
    return PlannedAction(
        key=action_key(name, finding.rule, _unified_of(group, finding.subject_id), period),
        action=name,
        rule=finding.rule,
        period=period,
        subject_type=finding.subject_type,
        subject_id=finding.subject_id,
        subject_ref=finding.subject_ref,
        connection=target.source if target is not None else None,
        customer_source_id=target.source_id if target is not None else None,
        owner_source_id=target.owner_source_id if target is not None else None,
        title=getattr(settings.subject, lang).format_map(values),
        description=getattr(settings.description, lang).format_map(values),
        due_date=due,
        priority=settings.priority,
        triggers=settings.triggers,
        skip_reason=skip,
    )


def _target(
    group: list[Any], settings: ActionSettings, can_write: Callable[[str], bool]
) -> tuple[Any | None, str | None]:
    """The customer record (one member of the unified customer) to attach the task to."""
    live = [m for m in group if m.deleted_at is None]
    if not live:
        return None, "the customer is no longer in any source"
    order = settings.connections or [live[0].source]
    for connection in order:
        for member in live:
            if member.source == connection and can_write(connection):
                return member, None
    if settings.connections:
        wanted = ", ".join(settings.connections)
        return None, f"the customer is in no connection that writes actions among: {wanted}"
    return None, f"connection {live[0].source!r} cannot write actions"


def _unified_of(group: list[Any], subject_id: str) -> str:
    """The unified customer a subject belongs to (itself before identity resolution)."""
    for member in group:
        if member.id == subject_id and member.unified_id:
            return str(member.unified_id)
    return subject_id


def _members(conn: Connection, subject_ids: Iterable[str]) -> dict[str, list[Any]]:
    """Subject id -> its customer records: the record itself and, once identity
    resolution has grouped records of several connections, every member of its
    unified customer (the subject may be a hub id or a unified id)."""
    c = entity_tables["customers"]
    m = identity_members
    ids = list(dict.fromkeys(subject_ids))
    columns = [c.c.id, c.c.source, c.c.source_id, c.c.name, c.c.owner_source_id, c.c.deleted_at]
    found: dict[str, list[Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        unified = {
            row.key: row.unified_id
            for row in conn.execute(
                select(m.c.hub_id.label("key"), m.c.unified_id).where(
                    m.c.entity == "customers", m.c.hub_id.in_(chunk)
                )
            )
        }
        unified |= {i: i for i in chunk if i not in unified}  # a unified id names itself
        rows = conn.execute(
            select(*columns, m.c.unified_id)
            .select_from(c.outerjoin(m, (m.c.entity == "customers") & (m.c.hub_id == c.c.id)))
            .where(or_(c.c.id.in_(chunk), m.c.unified_id.in_(set(unified.values()))))
            .order_by(c.c.id)
        ).all()
        for subject in chunk:
            group = [r for r in rows if r.id == subject or r.unified_id == unified[subject]]
            if group:
                found[subject] = sorted(group, key=lambda r: r.id != subject)
    return found
