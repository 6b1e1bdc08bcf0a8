"""`measures`: attainment of every goal whose period contains the run's period.

A quarterly goal in a July run is measured quarter-to-date; a goal the hub
cannot measure (unknown metric, manager not synced, no feedback …) is
reported as not evaluated with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from hub.rules.attainment import measure_goals
from hub.rules.context import RuleContext
from hub.rules.metrics import METRICS
from hub.rules.results import Measurement
from hub.rules.spec import Kind, RuleParams, RuleSpec, Stage


class MeasuresParams(RuleParams):
    metrics: list[str] | None = Field(
        default=None,
        description=f"only goals of these metrics (default: all; built-in: {', '.join(METRICS)})",
    )


def evaluate(ctx: RuleContext, params: MeasuresParams) -> Iterator[Measurement]:
    ctx.plan_period(None)
    goals = ctx.query.goals(ctx.period)
    if params.metrics is not None:
        goals = [g for g in goals if g.metric in params.metrics]
    yield from measure_goals(ctx.query, goals, ctx.at)


SPEC = RuleSpec(
    id="measures",
    version="1",
    kind=Kind.incentive,
    stage=Stage.measure,
    params=MeasuresParams,
    reads=("goals", "activities", "customers", "managers"),
    evaluate=evaluate,
    summary="attainment per goal: sales, orders, completion, new customers, retention, "
    "satisfaction, contacts",
)
