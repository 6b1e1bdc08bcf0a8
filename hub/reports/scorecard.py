"""The scorecard report: per manager, each KPI's attainment and the weighted score."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from hub.reports.output import Report, Section, number, percent
from hub.reports.source import ReportSource
from hub.rules.tables import rule_measures


def build(source: ReportSource) -> Report:
    m = rule_measures
    columns = [c for c in m.c if c.name != "trace"]  # traces are the statement's: not read here
    rows = source.conn.execute(
        select(*columns).where(m.c.run_id == source.run.id).order_by(m.c.rule, m.c.id)
    ).all()
    scores: dict[str, Any] = {}
    kpis: dict[str, dict[str, Any]] = defaultdict(dict)
    goals = []
    metrics: list[str] = []
    for row in rows:
        if row.metric == "scorecard":
            scores[row.manager_id] = row
            continue
        if row.metric not in metrics:
            metrics.append(row.metric)
        kpis[row.manager_id or f"team:{row.team}"][row.metric] = row
        who = source.person(row.manager_id) if row.manager_id else None
        goals.append(
            {
                "rule": row.rule,
                "manager_id": row.manager_id,
                "manager": who.ref if who else None,
                "name": who.name if who else None,
                "team": row.team or (who.team if who else None),
                "metric": row.metric,
                "goal_period": row.period,
                "actual": row.actual,
                "target": row.target,
                "unit": row.unit,
                "attainment": row.attainment,
                "weight": row.weight,
                "status": row.status,
                "cause": row.cause,
            }
        )
    managers = sorted(
        set(scores) | {k for k in kpis if not k.startswith("team:")},
        key=lambda i: source.person(i).ref,
    )
    cards = []
    for manager_id in managers:
        who = source.person(manager_id)
        card = scores.get(manager_id)
        entry: dict[str, Any] = {
            "manager_id": manager_id,
            "manager": who.ref,
            "name": who.name,
            "team": who.team,
            "score": card.attainment if card is not None else None,
            "status": card.status if card is not None else "no scorecard",
            "cause": card.cause if card is not None else None,
        }
        for metric in metrics:
            kpi = kpis[manager_id].get(metric)
            entry[metric] = kpi.attainment if kpi is not None else None
        cards.append(entry)
    cards.sort(key=lambda c: (c["score"] is None, -(c["score"] or 0), c["manager"]))
    display = {"score": percent, **{metric: percent for metric in metrics}}
    return Report(
        kind="scorecard",
        meta=source.meta(),
        sections=[
            Section(
                "scorecards",
                ["manager", "name", "team", "score", *metrics, "status", "cause"],
                cards,
                title="Scorecards (attainment per KPI, weighted score)",
                display=display,
            ),
            Section(
                "goals",
                [
                    "manager",
                    "name",
                    "metric",
                    "goal_period",
                    "actual",
                    "target",
                    "unit",
                    "attainment",
                    "weight",
                    "status",
                    "cause",
                ],
                goals,
                title="Goals measured",
                display={
                    "actual": number,
                    "target": number,
                    "weight": number,
                    "attainment": percent,
                },
            ),
        ],
        notes=source.notes(),
    )
