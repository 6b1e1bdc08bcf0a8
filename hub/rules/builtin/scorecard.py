"""`scorecard`: a weighted KPI score per manager, and `scorecard_bonus` paid on it.

score = Σ weightᵢ × min(attainmentᵢ, capᵢ) ÷ Σ weightᵢ over the manager's KPIs
for the plan period. Weights come from `kpis` in hub.toml, else from the
goals. Every configured KPI must be measurable: one missing KPI makes the
whole scorecard not evaluated rather than quietly re-weighting the others.

bonus = target_bonus × curve(score), nothing below `min_score`, then clamped
to [min_payout, cap]. The curve is piecewise linear through its points and
flat outside them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.rules.attainment import attainment_of, measure_goals
from hub.rules.builtin.common import (
    GateCheck,
    IncentiveParams,
    PlanKind,
    apply_cap,
    managers,
)
from hub.rules.config import RuleRef
from hub.rules.context import RuleContext
from hub.rules.metrics import METRICS
from hub.rules.money import percent, round_ratio
from hub.rules.results import NOT_EVALUATED, Earning, Measurement, Trace, num
from hub.rules.spec import Kind, RuleParams, RuleSpec, Stage
from hub.rules.tiers import CurvePoint, interpolate

SCORECARD = "scorecard"


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: Decimal | None = Field(default=None, ge=0, description="default: the goal's weight")
    cap: Decimal | None = Field(default=None, gt=0, description="default: per_kpi_cap")
    direction: Literal["higher", "lower"] | None = Field(
        default=None, description="lower: fewer is better (default: the metric's own)"
    )


class ScorecardParams(RuleParams):
    plan_period: PlanKind | None = None
    kpis: dict[str, Kpi] = Field(
        default_factory=dict,
        description="metric -> weight/cap/direction; empty: every goal of the manager, "
        "weighted by the goals' weights",
    )
    per_kpi_cap: Decimal = Field(
        default=Decimal("1.5"), gt=0, description="most any one KPI's attainment counts"
    )
    teams: list[str] | None = None


def scorecard(ctx: RuleContext, params: ScorecardParams) -> Iterator[Measurement]:
    plan = ctx.plan_period(params.plan_period)
    scope = managers(ctx, params.teams)
    goals = [
        g
        for g in ctx.query.goals(plan)
        if g.period_start == plan.start
        and g.period_end == plan.end
        and g.manager_id in scope
        and (not params.kpis or g.metric in params.kpis)
    ]
    measured = measure_goals(ctx.query, goals, ctx.at)
    by_manager: dict[str, list[tuple[Any, Measurement]]] = defaultdict(list)
    for goal, m in zip(goals, measured, strict=True):
        by_manager[goal.manager_id].append((goal, m))
    for manager_id in sorted(by_manager):
        yield _score(manager_id, by_manager[manager_id], params, plan.label)


def _score(
    manager_id: str,
    items: list[tuple[Any, Measurement]],
    params: ScorecardParams,
    period: str,
) -> Measurement:
    result = Measurement(
        metric=SCORECARD, period=period, manager_id=manager_id, target=Decimal(1), unit="score"
    )
    trace = result.trace
    metrics = list(params.kpis) or sorted({g.metric for g, _ in items})
    found: dict[str, list[tuple[Any, Measurement]]] = defaultdict(list)
    for goal, m in items:
        found[goal.metric].append((goal, m))
    weighted = Decimal(0)
    total_weight = Decimal(0)
    for metric in metrics:
        kpi = params.kpis.get(metric, Kpi())
        entries = found.get(metric, [])
        if not entries:
            return _missing(result, f"no {metric} goal for {period}")
        if len(entries) > 1:
            refs = ", ".join(f"{g.source}:{g.source_id}" for g, _ in entries)
            return _missing(result, f"{len(entries)} {metric} goals for {period} ({refs})")
        goal, m = entries[0]
        if m.actual is None or m.target is None:
            return _missing(result, f"{metric}: {m.cause}")
        natural = METRICS[metric].direction if metric in METRICS else "higher"
        direction = kpi.direction or natural
        kpi_trace = Trace()
        attainment, cause = attainment_of(m.actual, m.target, direction, kpi_trace)
        if attainment is None:
            return _missing(result, f"{metric}: {cause}")
        cap = kpi.cap or params.per_kpi_cap
        counted = min(attainment, cap)
        weight = kpi.weight if kpi.weight is not None else goal.weight
        if weight is None:
            return _missing(result, f"{metric}: no weight (set it on the goal or in kpis)")
        weighted += weight * counted
        total_weight += weight
        capped = f", capped at {percent(cap)}" if counted < attainment else ""
        trace.add(
            f"KPI {metric}",
            counted,
            f"actual {num(m.actual)} vs target {num(m.target)} ({direction} is better): "
            f"{percent(attainment)}{capped}; weight {num(weight)}",
        )
    if total_weight == 0:
        return _missing(result, "the KPI weights add up to zero")
    score = round_ratio(weighted / total_weight)
    trace.add(
        "score", score, f"Σ weight × attainment {num(weighted)} ÷ Σ weight {num(total_weight)}"
    )
    result.actual = result.attainment = score
    return result


def _missing(result: Measurement, cause: str) -> Measurement:
    result.status = NOT_EVALUATED
    result.cause = cause
    result.trace.add("not evaluated", cause)
    return result


SCORECARD_SPEC = RuleSpec(
    id="scorecard",
    version="1",
    kind=Kind.incentive,
    stage=Stage.measure,
    params=ScorecardParams,
    reads=("goals", "activities", "customers", "managers"),
    evaluate=scorecard,
    summary="weighted KPI scorecard per manager (weights, per-KPI cap, lower-is-better KPIs)",
)


class ScorecardBonusParams(IncentiveParams):
    scorecard: RuleRef = Field(default="scorecard", description="the scorecard rule to read")
    target_bonus: Decimal = Field(ge=0, description="bonus at a score of 100 %, base currency")
    curve: list[CurvePoint] = Field(
        default_factory=lambda: [
            CurvePoint(score=Decimal(0), factor=Decimal(0)),
            CurvePoint(score=Decimal(1), factor=Decimal(1)),
        ],
        min_length=1,
        description="points (score, factor), piecewise linear, flat outside",
    )
    min_score: Decimal | None = Field(default=None, ge=0, description="below it: no bonus")
    min_payout: Decimal = Field(default=Decimal(0), ge=0)
    component: str = "scorecard_bonus"

    @model_validator(mode="after")
    def _curve_rises(self) -> ScorecardBonusParams:
        scores = [p.score for p in self.curve]
        if any(b <= a for a, b in itertools.pairwise(scores)):
            raise ValueError("curve: scores must increase from point to point")
        if self.cap is not None and self.cap < self.min_payout:
            raise ValueError("cap is below min_payout")
        return self


def scorecard_bonus(ctx: RuleContext, params: ScorecardBonusParams) -> Iterator[Earning]:
    plan = ctx.plan_period(params.plan_period)
    scope = managers(ctx, params.teams)
    gate = GateCheck(ctx, params.gate, plan.label)
    cards = {
        m.manager_id: m
        for m in ctx.measures(rule=params.scorecard, metric=SCORECARD)
        if m.period == plan.label and m.manager_id in scope
    }
    for manager_id in sorted(cards):
        card = cards[manager_id]
        earning = Earning(
            manager_id=manager_id,
            component=params.component,
            plan_period=plan.label,
            currency=ctx.base_currency,
            amount=None,
            attainment=card.attainment,
        )
        trace = earning.trace
        trace.extend_from(card.trace, "scorecard: ")
        if card.attainment is None:
            earning.status, earning.cause = NOT_EVALUATED, f"scorecard: {card.cause}"
            yield earning
            continue
        passed, cause = gate.check(manager_id, trace)
        if cause:
            earning.status, earning.cause = NOT_EVALUATED, cause
            yield earning
            continue
        score = card.attainment
        if not passed or (params.min_score is not None and score < params.min_score):
            if passed:
                trace.add("minimum score", params.min_score, f"{percent(score)} is below it: 0")
            earning.amount, earning.tier = Decimal(0), "below threshold"
            yield earning
            continue
        factor = interpolate(params.curve, score)
        trace.add("payout factor from the curve", factor, f"at score {percent(score)}")
        amount = params.target_bonus * factor
        trace.add(
            "target bonus × factor", amount, f"{num(params.target_bonus, True)} × {num(factor)}"
        )
        if amount < params.min_payout:
            trace.add("minimum payout", params.min_payout, f"{amount:,.2f} raised to it")
            amount = params.min_payout
        amount = apply_cap(amount, params.cap, trace)
        earning.amount, earning.rate, earning.base = amount, factor, params.target_bonus
        earning.tier = "curve"
        yield earning


BONUS_SPEC = RuleSpec(
    id="scorecard_bonus",
    version="1",
    kind=Kind.incentive,
    stage=Stage.reward,
    params=ScorecardBonusParams,
    reads=("managers", "measures"),
    evaluate=scorecard_bonus,
    summary="bonus = target bonus × curve(scorecard), with threshold and clamps",
)
