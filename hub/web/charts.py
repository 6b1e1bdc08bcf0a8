"""ECharts options for the dashboard's charts, built from the pages' data.

The browser only hands each option to `echarts.init(...).setOption(...)`
(static/app.js): what a chart shows is decided here, next to the data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.web.i18n import Locale

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]


def _pct(value: Any) -> float | None:
    return None if value is None else round(float(Decimal(value)) * 100, 1)


def _base(**extra: Any) -> dict[str, Any]:
    return {"color": PALETTE, "animation": False, "tooltip": {"trigger": "axis"}, **extra}


def ranked(cards: list[dict[str, Any]], t: Locale, top: int = 40) -> dict[str, Any]:
    """Managers by score, best first; a line at 100 %."""
    shown = [c for c in cards if c["score"] is not None][:top]
    names = [f"{c['name'] or c['manager']}" for c in shown][::-1]
    values = [
        {
            "value": _pct(c["score"]),
            "itemStyle": {
                "color": "#16a34a"
                if c["score"] >= 1
                else "#f59e0b"
                if c["score"] >= Decimal("0.6")
                else "#dc2626"
            },
        }
        for c in shown
    ][::-1]
    return _base(
        grid={"left": 90, "right": 30, "top": 20, "bottom": 30},
        xAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        yAxis={"type": "category", "data": names},
        series=[
            {
                "type": "bar",
                "name": t.t("score"),
                "barMaxWidth": 28,
                "data": values,
                "markLine": {
                    "symbol": "none",
                    "data": [{"xAxis": 100}],
                    "lineStyle": {"color": "#64748b", "type": "dashed"},
                },
            }
        ],
    )


def trend(data: dict[str, Any], t: Locale) -> dict[str, Any]:
    return _base(
        legend={"top": 0},
        grid={"left": 50, "right": 20, "top": 40, "bottom": 30},
        xAxis={"type": "category", "data": data["periods"]},
        yAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {
                "type": "line",
                "name": team,
                "data": [_pct(v) for v in values],
                "smooth": True,
                "connectNulls": True,
            }
            for team, values in sorted(data["teams"].items())
        ],
    )


def _level(share: Any) -> str:
    """Green at or above goal, amber from 60 %, red below."""
    if share is None:
        return "#94a3b8"
    share = Decimal(share)
    return "#16a34a" if share >= 1 else "#f59e0b" if share >= Decimal("0.6") else "#dc2626"


def _bar(share: Any) -> dict[str, Any]:
    return {"value": _pct(share), "itemStyle": {"color": _level(share)}}


def kpis(goals: list[dict[str, Any]], t: Locale) -> dict[str, Any]:
    return _base(
        grid={"left": 110, "right": 30, "top": 20, "bottom": 30},
        xAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        yAxis={"type": "category", "data": [t.t(g["metric"]) for g in goals]},
        series=[
            {
                "type": "bar",
                "name": t.t("attainment"),
                "barMaxWidth": 36,
                "data": [_bar(g["attainment"]) for g in goals],
                "markLine": {
                    "symbol": "none",
                    "data": [{"xAxis": 100}],
                    "lineStyle": {"color": "#64748b", "type": "dashed"},
                },
            }
        ],
    )


def monthly(data: dict[str, Any], t: Locale) -> dict[str, Any]:
    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    return _base(
        legend={"top": 0},
        grid={"left": 80, "right": 20, "top": 40, "bottom": 30},
        xAxis={"type": "category", "data": data["months"]},
        yAxis={"type": "value"},
        series=[
            {
                "type": "bar",
                "name": f"{t.t('actual')} ({data['currency']})",
                "data": [num(v) for v in data["actual"]],
            },
            {
                "type": "line",
                "name": f"{t.t('goal')} ({data['currency']})",
                "data": [num(v) for v in data["target"]],
                "step": "middle",
            },
        ],
    )


def tiers(rows: list[dict[str, Any]], t: Locale) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "animation": False,
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["40%", "70%"],
                "name": t.t("tier"),
                "data": [{"name": r["tier"], "value": r["count"]} for r in rows],
            }
        ],
    }


def weekly(timeline: dict[str, Any], t: Locale) -> dict[str, Any]:
    return _base(
        legend={"top": 0},
        grid={"left": 40, "right": 20, "top": 40, "bottom": 30},
        xAxis={"type": "category", "data": timeline["weeks"]},
        yAxis={"type": "value", "minInterval": 1},
        series=[
            {"type": "bar", "stack": "all", "name": kind, "data": values}
            for kind, values in sorted(timeline["series"].items())
        ],
    )


def per_rule(summary: list[dict[str, Any]], t: Locale) -> dict[str, Any]:
    colors = {"violation": "#dc2626", "warning": "#f59e0b", "not_evaluated": "#94a3b8"}
    return _base(
        legend={"top": 0},
        grid={"left": 120, "right": 20, "top": 40, "bottom": 30},
        xAxis={"type": "value", "minInterval": 1},
        yAxis={"type": "category", "data": [r["rule"] for r in summary]},
        series=[
            {
                "type": "bar",
                "stack": "all",
                "name": status,
                "data": [r[status] for r in summary],
                "itemStyle": {"color": color},
            }
            for status, color in colors.items()
        ],
    )


def runs(history: list[dict[str, Any]], t: Locale) -> dict[str, Any]:
    ordered = list(reversed(history))
    labels = [f"#{r['id']}" for r in ordered]

    def total(run: dict[str, Any], key: str) -> int:
        return sum(int(s.get(key) or 0) for s in run["streams"])

    return _base(
        legend={"top": 0},
        grid={"left": 60, "right": 20, "top": 40, "bottom": 30},
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "minInterval": 1},
        series=[
            {
                "type": "bar",
                "stack": "all",
                "name": t.t(key),
                "data": [total(r, key) for r in ordered],
            }
            for key in ("inserted", "updated", "deleted", "rejected")
        ],
    )
