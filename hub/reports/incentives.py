"""The incentives report: what each manager earned, was paid, and is owed.

One row per manager and rule: earned to date for the plan period, paid to
date (frozen by closes), and payable = earned − paid. Corrections (a run of a
closed period) are marked. Awards follow, then the earning lines.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.reports.output import Report, Section, amount
from hub.reports.source import ReportSource
from hub.rules.tables import rule_awards, rule_earnings, rule_payables


def build(source: ReportSource) -> Report:
    p, e, a = rule_payables, rule_earnings, rule_awards
    run_id = source.run.id
    payables = []
    for row in source.conn.execute(
        select(p).where(p.c.run_id == run_id).order_by(p.c.manager_id, p.c.rule, p.c.plan_period)
    ):
        who = source.person(row.manager_id)
        payables.append(
            {
                "manager": who.ref,
                "name": who.name,
                "team": who.team,
                "rule": row.rule,
                "plan_period": row.plan_period,
                "earned_to_date": row.earned_to_date,
                "paid_to_date": row.paid_to_date,
                "payable": row.payable,
                "currency": row.currency,
                "status": "correction" if row.correction else row.status,
                "cause": row.cause,
            }
        )
    payables.sort(key=lambda r: (r["manager"], r["rule"]))
    lines = []
    for row in source.conn.execute(select(e).where(e.c.run_id == run_id).order_by(e.c.id)):
        who = source.person(row.manager_id)
        lines.append(
            {
                "manager": who.ref,
                "name": who.name,
                "rule": row.rule,
                "component": row.component,
                "plan_period": row.plan_period,
                "base": row.base,
                "tier": row.tier,
                "rate": row.rate,
                "attainment": row.attainment,
                "amount": row.amount,
                "currency": row.currency,
                "status": row.status,
                "cause": row.cause,
                "ref": row.ref,
            }
        )
    lines.sort(key=lambda r: (r["manager"], r["rule"]))
    awards = []
    for row in source.conn.execute(select(a).where(a.c.run_id == run_id).order_by(a.c.id)):
        who = source.person(row.manager_id)
        awards.append(
            {
                "manager": who.ref,
                "name": who.name,
                "award": row.award,
                "title": row.title,
                "rank": row.rank,
                "reason": row.reason,
                "value": row.value,
                "currency": row.currency,
            }
        )
    money = {"earned_to_date": amount, "paid_to_date": amount, "payable": amount}
    return Report(
        kind="incentives",
        meta=source.meta(),
        sections=[
            Section(
                "payables",
                [
                    "manager",
                    "name",
                    "team",
                    "rule",
                    "plan_period",
                    "earned_to_date",
                    "paid_to_date",
                    "payable",
                    "currency",
                    "status",
                    "cause",
                ],
                payables,
                title="Payable = earned to date − paid to date",
                display=money,
            ),
            Section(
                "awards",
                ["manager", "name", "award", "title", "rank", "reason", "value", "currency"],
                awards,
                title="Awards",
                display={"value": amount},
            ),
            Section(
                "earnings",
                [
                    "manager",
                    "name",
                    "rule",
                    "component",
                    "base",
                    "tier",
                    "rate",
                    "amount",
                    "currency",
                    "status",
                    "cause",
                    "ref",
                ],
                lines,
                title="Earning lines (see `hub report statement` for how each was reached)",
                display={"base": amount, "amount": amount},
            ),
        ],
        notes=source.notes(),
    )
