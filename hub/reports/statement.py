"""The incentive statement: one manager, one period, every number explained.

It lists the manager's goals and attainment, then each earning line with
every step of its trace (base, tiers, rates, gates, caps), then earned to
date − paid to date = payable per rule, then awards. As CSV it is one table
of lines (section, item, step, value, note) so nothing is lost.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from hub.identity.tables import identity_members
from hub.periods import parse_period
from hub.reports.output import Report, Section, amount, number, percent, priced
from hub.reports.source import ReportSource
from hub.rules.tables import rule_awards, rule_earnings, rule_measures, rule_payables
from hub.store.tables import entity_tables


def build(source: ReportSource, manager_id: str) -> Report:
    conn, run_id = source.conn, source.run.id
    who = source.person(manager_id)
    m, e, p, a = rule_measures, rule_earnings, rule_payables, rule_awards
    lines: list[dict[str, Any]] = []
    goals = []
    for row in conn.execute(
        select(m).where(m.c.run_id == run_id, m.c.manager_id == manager_id).order_by(m.c.id)
    ):
        goals.append(
            {
                "rule": row.rule,
                "metric": row.metric,
                "period": row.period,
                "actual": row.actual,
                "target": row.target,
                "attainment": row.attainment,
                "weight": row.weight,
                "status": row.status,
                "cause": row.cause,
            }
        )
        _trace(lines, "measure", f"{row.rule}/{row.metric}", row.trace)
    earnings = []
    for row in conn.execute(
        select(e).where(e.c.run_id == run_id, e.c.manager_id == manager_id).order_by(e.c.id)
    ):
        item = f"{row.rule}/{row.component}" + (f" {row.ref}" if row.ref else "")
        earnings.append(
            {
                "item": item,
                "plan_period": row.plan_period,
                "base": row.base,
                "tier": row.tier,
                "rate": row.rate,
                "amount": row.amount,
                "currency": row.currency,
                "status": row.status,
                "cause": row.cause,
                "rule_version": f"{row.rule_id} {row.rule_version}",
            }
        )
        _trace(lines, "earning", item, row.trace)
        lines.append(
            {
                "section": "earning",
                "item": item,
                "step": "amount",
                "value": row.amount if row.status == "ok" else "not evaluated",
                "currency": row.currency if row.status == "ok" else None,
                "note": row.cause or f"{row.currency}, rounded to the cent",
            }
        )
    payables = []
    for row in conn.execute(
        select(p).where(p.c.run_id == run_id, p.c.manager_id == manager_id).order_by(p.c.rule)
    ):
        entry = {
            "rule": row.rule,
            "plan_period": row.plan_period,
            "earned_to_date": row.earned_to_date,
            "paid_to_date": row.paid_to_date,
            "payable": row.payable,
            "currency": row.currency,
            "status": "correction" if row.correction else row.status,
            "cause": row.cause,
        }
        payables.append(entry)
        lines.append(
            {
                "section": "payable",
                "item": f"{row.rule} {row.plan_period}",
                "step": "earned to date − paid to date",
                "value": row.payable,
                "currency": row.currency if row.payable is not None else None,
                "note": f"{amount(row.earned_to_date, row.currency)} − "
                f"{amount(row.paid_to_date, row.currency)} {row.currency}"
                if row.payable is not None
                else row.cause,
            }
        )
    awards = []
    for row in conn.execute(
        select(a).where(a.c.run_id == run_id, a.c.manager_id == manager_id).order_by(a.c.id)
    ):
        awards.append({"award": row.title, "reason": row.reason, "value": row.value})
        lines.append(
            {
                "section": "award",
                "item": row.title,
                "step": row.award,
                "value": row.value,
                "note": row.reason,
            }
        )
    behind = _behind(source, manager_id)
    meta = {"manager": who.ref, "name": who.name, "team": who.team, **source.meta()}
    notes = source.notes()
    if not (goals or earnings or payables or awards):
        notes.append(f"no results for {who.ref} in {source.run.period}")
    return Report(
        kind="statement",
        meta=meta,
        sections=[
            Section(
                "lines",
                ["section", "item", "step", "value", "note"],
                lines,
                title="How every number was reached",
                display={"value": priced},
            ),
            Section(
                "goals",
                ["rule", "metric", "period", "actual", "target", "attainment", "weight", "status"],
                goals,
                title="Goals",
                display={"actual": number, "target": number, "attainment": percent},
            ),
            Section(
                "earnings",
                [
                    "item",
                    "plan_period",
                    "base",
                    "tier",
                    "rate",
                    "amount",
                    "currency",
                    "status",
                    "cause",
                ],
                earnings,
                title="Earnings",
                display={"base": amount, "amount": amount},
            ),
            Section(
                "payables",
                [
                    "rule",
                    "plan_period",
                    "earned_to_date",
                    "paid_to_date",
                    "payable",
                    "currency",
                    "status",
                ],
                payables,
                title="Payable",
                display={"earned_to_date": amount, "paid_to_date": amount, "payable": amount},
            ),
            Section("awards", ["award", "reason", "value"], awards, title="Awards"),
            Section(
                "sources",
                ["record", "connection", "source_id", "occurred_at", "amount", "currency"],
                behind,
                title="Source records behind the numbers (the manager's records, then the "
                "period's orders credited to them)",
                display={"amount": priced},
            ),
        ],
        notes=notes,
    )


MAX_SOURCE_LINES = 1000


def _behind(source: ReportSource, manager_id: str) -> list[dict[str, Any]]:
    """The manager's records in every connection (one unified manager may be
    several), and the orders of the period credited to any of them."""
    conn, run = source.conn, source.run
    unified = source.unified
    mm, t, a, c = (
        identity_members,
        entity_tables["managers"],
        entity_tables["activities"],
        entity_tables["customers"],
    )
    ids = [manager_id]
    if unified:
        ids = list(
            conn.execute(
                select(mm.c.hub_id).where(mm.c.entity == "managers", mm.c.unified_id == manager_id)
            ).scalars()
        ) or [manager_id]
    out: list[dict[str, Any]] = [
        {"record": "manager", "connection": r.source, "source_id": r.source_id}
        for r in conn.execute(
            select(t.c.source, t.c.source_id).where(t.c.id.in_(ids)).order_by(t.c.source)
        )
    ]
    start, end = parse_period(run.period).bounds(ZoneInfo(run.timezone))
    end = min(end, run.evaluated_at)
    # credited to them: their own orders, or orders without a manager on customers they
    # own (coalesce(manager, owner), written so both sides are index look-ups by person:
    # as one expression it was evaluated on every order of the period, 4 s in a large store)
    owned = select(c.c.id).where(c.c.owner_id.in_(ids))
    credited = or_(
        a.c.manager_id.in_(ids), and_(a.c.manager_id.is_(None), a.c.customer_id.in_(owned))
    )
    orders = conn.execute(
        select(a.c.source, a.c.source_id, a.c.occurred_at, a.c.amount, a.c.currency)
        .where(
            a.c.kind == "order",
            a.c.deleted_at.is_(None),
            a.c.occurred_at >= start,
            a.c.occurred_at < end,
            credited,
        )
        .order_by(a.c.occurred_at, a.c.source, a.c.source_id)
        .limit(MAX_SOURCE_LINES)
    )
    out += [
        {"record": "order", "connection": r.source, "source_id": r.source_id,
         "occurred_at": r.occurred_at, "amount": r.amount, "currency": r.currency}
        for r in orders
    ]  # fmt: skip
    return out


def _trace(lines: list[dict[str, Any]], section: str, item: str, trace: list[Any]) -> None:
    for step in trace or []:
        lines.append(
            {
                "section": section,
                "item": item,
                "step": step.get("step"),
                "value": step.get("value"),
                "note": step.get("note", ""),
            }
        )
