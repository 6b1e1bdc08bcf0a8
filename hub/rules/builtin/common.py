"""What the built-in rules share: parameter bases, gates, caps, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.rules.config import RuleRef
from hub.rules.context import RuleContext
from hub.rules.money import percent
from hub.rules.results import Measurement, Severity, Trace
from hub.rules.spec import RuleParams

PlanKind = Literal["month", "quarter", "half", "year"]


class Gate(BaseModel):
    """Pay nothing unless the manager's attainment on a metric reaches a minimum."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    min_attainment: Decimal = Field(ge=0)
    measures: RuleRef = Field(default="measures", description="the measures rule to read")


class IncentiveParams(RuleParams):
    plan_period: PlanKind | None = Field(
        default=None,
        description="period the component accumulates over (e.g. quarter for monthly runs "
        "against quarterly plans); default: the run's period",
    )
    teams: list[str] | None = Field(default=None, description="only managers of these teams")
    gate: Gate | None = None
    cap: Decimal | None = Field(default=None, ge=0, description="most this component pays")


class ComplianceParams(RuleParams):
    severity: Severity = Field(default=Severity.medium, description="severity of violations")


def ref(row: Any) -> str:
    """How people find a record: `connection:source_id`."""
    return f"{row.source}:{row.source_id}"


def local(moment: dt.datetime | None, ctx: RuleContext) -> str | None:
    """A moment as local time in the company zone, to the minute."""
    if moment is None:
        return None
    return moment.astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M")


def day(moment: dt.datetime | None, ctx: RuleContext) -> str | None:
    """The local date of a moment in the company zone (for day-based rules)."""
    if moment is None:
        return None
    return moment.astimezone(ctx.zone).date().isoformat()


def managers(ctx: RuleContext, teams: list[str] | None = None) -> dict[str, Any]:
    """Live managers (optionally of some teams): hub id -> row."""
    m = ctx.query.table("managers")
    statement = select(m.c.id, m.c.source, m.c.source_id, m.c.team, m.c.active).where(
        ctx.query.live(m)
    )
    if teams:
        statement = statement.where(m.c.team.in_(teams))
    return {row.id: row for row in ctx.query.rows(statement)}


def attainment_index(
    ctx: RuleContext, rule: str, metric: str, period: str
) -> dict[str, Measurement]:
    """Manager id -> measurement of `metric` in `period` from a measures rule."""
    return {
        m.manager_id: m
        for m in ctx.measures(rule=rule, metric=metric)
        if m.period == period and m.manager_id is not None
    }


class GateCheck:
    """Looks up gate attainments once per run of a rule."""

    def __init__(self, ctx: RuleContext, gate: Gate | None, period: str) -> None:
        self.gate = gate
        self.index = attainment_index(ctx, gate.measures, gate.metric, period) if gate else {}
        self.period = period

    def check(self, manager_id: str, trace: Trace) -> tuple[bool, str | None]:
        """(passed, cause if it cannot be evaluated)."""
        if self.gate is None:
            return True, None
        found = self.index.get(manager_id)
        if found is None:
            return False, f"gate: no {self.gate.metric} goal for {self.period}"
        if found.attainment is None:
            return False, f"gate: {self.gate.metric} not evaluated ({found.cause})"
        passed = found.attainment >= self.gate.min_attainment
        trace.add(
            f"gate: {self.gate.metric} attainment",
            found.attainment,
            f"{percent(found.attainment)} {'≥' if passed else '<'} "
            f"{percent(self.gate.min_attainment)}: {'open' if passed else 'closed, pays 0'}",
        )
        return passed, None


def apply_cap(amount: Decimal, cap: Decimal | None, trace: Trace, what: str = "cap") -> Decimal:
    if cap is None:
        return amount
    if amount > cap:
        trace.add(what, cap, f"{amount:,.2f} capped at {cap:,.2f}")
        return cap
    trace.add(what, cap, "not reached")
    return amount
