"""`commission`: a rate table on sales (or payments), and `target_incentive`:
accelerator / decelerator bands on attainment.

Commission is computed on the plan period's cumulative total to date, never
per order: the engine then pays earned to date − paid to date, so monthly
runs against a quarterly table true up by themselves.

`basis = "attainment"` reads the tier bounds as shares of the manager's
target (upto = 1.0 is the target): the rate is then chosen by attainment and
applied to the amount.

Target incentive: payout = target incentive × Σ band slices of attainment ×
multiplier (marginal), e.g. bands 1.0× to 100 %, 1.5× to 130 %, 2.0× above:
130 % attainment on a 100k target incentive pays 100k + 30 % × 100k × 1.5 =
145k. A decelerator band 0.5× below 50 % makes 40 % attainment pay 20k.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.rules.attainment import measured
from hub.rules.builtin.common import (
    GateCheck,
    IncentiveParams,
    apply_cap,
    attainment_index,
    managers,
)
from hub.rules.config import RuleRef
from hub.rules.context import RuleContext
from hub.rules.metrics import METRICS
from hub.rules.money import percent
from hub.rules.results import NOT_EVALUATED, Earning, num
from hub.rules.spec import Kind, RuleSpec, Stage
from hub.rules.tiers import Boundary, Semantics, Tier, apply_tiers, check_tiers


class CommissionParams(IncentiveParams):
    metric: Literal["sales_amount", "payment_amount"] = Field(
        default="sales_amount", description="what commission is paid on"
    )
    basis: Literal["amount", "attainment"] = Field(
        default="amount", description="tier bounds are amounts, or shares of the target"
    )
    semantics: Semantics = Field(description="marginal | retroactive | linear (no default)")
    boundary: Boundary = Boundary.next
    tiers: list[Tier] = Field(min_length=1)
    measures: RuleRef | None = Field(
        default=None, description="measures rule with the targets (basis = attainment)"
    )
    component: str = "commission"

    @model_validator(mode="after")
    def _check(self) -> CommissionParams:
        check_tiers([t.upto for t in self.tiers])
        if self.basis == "attainment" and self.measures is None:
            self.measures = "measures"
        return self


def commission(ctx: RuleContext, params: CommissionParams) -> Iterator[Earning]:
    plan = ctx.plan_period(params.plan_period)
    start, end = ctx.window(plan)
    values = measured(ctx.query, METRICS[params.metric], start, end, "manager")
    scope = managers(ctx, params.teams)
    gate = GateCheck(ctx, params.gate, plan.label)
    targets = (
        attainment_index(ctx, params.measures, params.metric, plan.label)
        if params.basis == "attainment" and params.measures
        else {}
    )
    points = [(t.upto, t.rate) for t in params.tiers]
    for manager_id in sorted(set(values) & set(scope)):
        value = values[manager_id]
        earning = Earning(
            manager_id=manager_id,
            component=params.component,
            plan_period=plan.label,
            currency=ctx.base_currency,
            amount=None,
        )
        trace = earning.trace
        trace.extend(value.trace)
        if value.value is None:
            earning.status, earning.cause = NOT_EVALUATED, value.cause
            yield earning
            continue
        base = earning.base = value.value
        scale = Decimal(1)
        if params.basis == "attainment":
            goal = targets.get(manager_id)
            if goal is None or goal.target is None:
                cause = goal.cause if goal else f"no {params.metric} goal for {plan}"
                earning.status, earning.cause = NOT_EVALUATED, cause
                yield earning
                continue
            scale = goal.target
            earning.attainment = goal.attainment
            trace.add("target (tier bounds are shares of it)", scale)
        passed, cause = gate.check(manager_id, trace)
        if cause:
            earning.status, earning.cause = NOT_EVALUATED, cause
            yield earning
            continue
        if not passed:
            earning.amount, earning.tier = Decimal(0), "gate closed"
            yield earning
            continue
        amount, tier, rate = apply_tiers(
            points,
            params.semantics,
            params.boundary,
            base,
            trace,
            scale=scale,
            unit=ctx.base_currency,
        )
        amount = apply_cap(amount, params.cap, trace)
        effective = amount / base if base else rate
        trace.add("commission", amount, f"effective rate {effective:.6f} on {num(base, True)}")
        earning.amount, earning.tier, earning.rate = amount, tier, effective
        yield earning


COMMISSION_SPEC = RuleSpec(
    id="commission",
    version="1",
    kind=Kind.incentive,
    stage=Stage.reward,
    params=CommissionParams,
    reads=("activities", "customers", "managers", "measures"),
    evaluate=commission,
    summary="rate table on sales or payments: marginal | retroactive | linear, gate, cap",
)


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upto: Decimal | None = Field(default=None, description="attainment, e.g. 1.0 = 100 %")
    multiplier: Decimal = Field(ge=0)


class TargetIncentiveParams(IncentiveParams):
    metric: str = Field(default="sales_amount", description="goal metric whose attainment pays")
    measures: RuleRef = Field(default="measures", description="the measures rule to read")
    target_incentive: Decimal = Field(gt=0, description="pay at 100 % attainment, base currency")
    semantics: Semantics = Field(description="marginal (usual) | retroactive | linear")
    boundary: Boundary = Boundary.next
    bands: list[Band] = Field(min_length=1)
    attainment_cap: Decimal | None = Field(
        default=None, gt=0, description="attainment counted at most (e.g. 2.0)"
    )
    component: str = "target_incentive"

    @model_validator(mode="after")
    def _check(self) -> TargetIncentiveParams:
        check_tiers([b.upto for b in self.bands])
        return self


def target_incentive(ctx: RuleContext, params: TargetIncentiveParams) -> Iterator[Earning]:
    plan = ctx.plan_period(params.plan_period)
    scope = managers(ctx, params.teams)
    gate = GateCheck(ctx, params.gate, plan.label)
    attained = attainment_index(ctx, params.measures, params.metric, plan.label)
    points = [(b.upto, b.multiplier) for b in params.bands]
    for manager_id in sorted(set(attained) & set(scope)):
        m = attained[manager_id]
        earning = Earning(
            manager_id=manager_id,
            component=params.component,
            plan_period=plan.label,
            currency=ctx.base_currency,
            amount=None,
            base=params.target_incentive,
            attainment=m.attainment,
        )
        trace = earning.trace
        trace.extend(m.trace)
        if m.attainment is None:
            earning.status, earning.cause = NOT_EVALUATED, m.cause
            yield earning
            continue
        passed, cause = gate.check(manager_id, trace)
        if cause:
            earning.status, earning.cause = NOT_EVALUATED, cause
            yield earning
            continue
        if not passed:
            earning.amount, earning.tier = Decimal(0), "gate closed"
            yield earning
            continue
        attainment = m.attainment
        if params.attainment_cap is not None and attainment > params.attainment_cap:
            trace.add(
                "attainment counted", params.attainment_cap, f"capped from {percent(attainment)}"
            )
            attainment = params.attainment_cap
        factor, tier, _ = apply_tiers(points, params.semantics, params.boundary, attainment, trace)
        trace.add(
            "payout factor", factor, f"bands applied {params.semantics} to {percent(attainment)}"
        )
        amount = params.target_incentive * factor
        trace.add(
            "target incentive × factor",
            amount,
            f"{num(params.target_incentive, True)} × {num(factor)}",
        )
        amount = apply_cap(amount, params.cap, trace)
        earning.amount, earning.tier, earning.rate = amount, tier, factor
        yield earning


TARGET_INCENTIVE_SPEC = RuleSpec(
    id="target_incentive",
    version="1",
    kind=Kind.incentive,
    stage=Stage.reward,
    params=TargetIncentiveParams,
    reads=("managers", "measures"),
    evaluate=target_incentive,
    summary="target incentive × accelerator/decelerator bands on attainment, gate, cap",
)
