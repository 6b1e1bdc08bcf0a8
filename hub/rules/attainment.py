"""Attainment: a goal's target against the measured actual.

Goals are measured in batches: every goal with the same metric and window is
answered by one aggregate query for all managers (or teams) at once. The
window is the goal's own period in the company time zone, cut off at the
evaluation time, so a July run against a quarterly goal measures
quarter-to-date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hub.periods import Period
from hub.rules.metrics import METRICS, MetricDef
from hub.rules.money import Converter, round_ratio
from hub.rules.query import Query
from hub.rules.results import NOT_EVALUATED, Measurement, Trace, num

_CURRENCY_CODE = 3


def measured(
    q: Query, definition: MetricDef, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, Any]:
    """A measure's values for every manager (or team), computed once per run."""
    return q.remember(
        ("metric", definition.name, start, end, group),
        lambda: definition.compute(q, start, end, group),
    )


def goal_period(goal: Any) -> Period:
    return Period(goal.period_start, goal.period_end, goal.period_label)


def goal_currency(goal: Any) -> str | None:
    if goal.currency:
        return goal.currency
    unit = (goal.unit or "").strip()
    if len(unit) == _CURRENCY_CODE and unit.isalpha() and unit.isupper():
        return unit
    return None


def target_in_base(
    goal: Any, converter: Converter, trace: Trace
) -> tuple[Decimal | None, str | None]:
    """A money target in the base currency (a target without one is taken as base)."""
    currency = goal_currency(goal)
    if currency is None:
        trace.add("target", goal.target, f"no currency given: taken as {converter.base}")
        return goal.target, None
    trace.add("target", goal.target, currency)
    if currency == converter.base:
        return goal.target, None
    converted, cause = converter.to_base({currency: goal.target}, trace)
    return converted, cause


def attainment_of(
    actual: Decimal, target: Decimal, direction: str, trace: Trace
) -> tuple[Decimal | None, str | None]:
    """higher: actual ÷ target. lower (fewer is better): a reversed scale,
    2 − actual ÷ target, floored at 0, so hitting the target is 100 % and
    zero is 200 %; with a target of 0, zero is 100 % and anything else 0 %."""
    if direction == "lower":
        if target == 0:
            value = Decimal(1) if actual == 0 else Decimal(0)
            trace.add("attainment", value, "target 0: met only by 0")
            return value, None
        value = max(Decimal(0), 2 - actual / target)
        value = round_ratio(value)
        trace.add("attainment", value, f"lower is better: 2 − {num(actual)} ÷ {num(target)}")
        return value, None
    if target <= 0:
        return None, "the target is zero or negative"
    value = round_ratio(actual / target)
    trace.add("attainment", value, f"{num(actual)} ÷ {num(target)}")
    return value, None


def measure_goals(q: Query, goals: list[Any], at: dt.datetime) -> list[Measurement]:
    """One Measurement per goal, in the order given."""
    groups: dict[tuple[str, dt.date, dt.date, str], list[Any]] = defaultdict(list)
    for goal in goals:
        grouping = "manager" if goal.manager_source_id or goal.manager_id else "team"
        groups[(goal.metric, goal.period_start, goal.period_end, grouping)].append(goal)
    results: dict[str, Measurement] = {}
    for (metric, _, _, grouping), members in groups.items():
        definition = METRICS.get(metric)
        values: dict[Any, Any] = {}
        if definition is not None:
            start, end = q.window(goal_period(members[0]), at)
            values = measured(q, definition, start, end, grouping) if end > start else {}
        for goal in members:
            results[goal.id] = _measure_one(q, goal, definition, values, grouping)
    return [results[g.id] for g in goals]


def _measure_one(
    q: Query, goal: Any, definition: MetricDef | None, values: dict[Any, Any], grouping: str
) -> Measurement:
    result = Measurement(
        metric=goal.metric,
        period=goal.period_label,
        manager_id=goal.manager_id,
        team=goal.team if grouping == "team" else None,
        weight=goal.weight,
        unit=goal.unit,
        goal_id=goal.id,
    )
    trace = result.trace
    trace.add("goal", f"{goal.source}:{goal.source_id}", f"{goal.metric} {goal.period_label}")
    if definition is None:
        return _not_evaluated(
            result, f"no built-in measure for metric {goal.metric!r}; a rule plugin must measure it"
        )
    if grouping == "manager" and goal.manager_id is None:
        return _not_evaluated(
            result, f"the goal's manager {goal.manager_source_id!r} is not in the store"
        )
    key = goal.manager_id if grouping == "manager" else goal.team
    value = definition.value_for(values, key)
    trace.extend(value.trace)
    result.actual = value.value
    if value.value is None:
        return _not_evaluated(result, value.cause or "no value")
    if definition.money:
        target, cause = target_in_base(goal, q.converter, trace)
        result.unit = q.converter.base
    else:
        target, cause = goal.target, None
        trace.add("target", target, goal.unit or "")
    result.target = target
    if target is None:
        return _not_evaluated(result, cause or "no target")
    result.attainment, cause = attainment_of(value.value, target, definition.direction, trace)
    if result.attainment is None:
        return _not_evaluated(result, cause or "no attainment")
    return result


def _not_evaluated(result: Measurement, cause: str) -> Measurement:
    result.status = NOT_EVALUATED
    result.cause = cause
    result.trace.add("not evaluated", cause)
    return result
