"""Settle-stage rules: `total_cap` across components and `clawback`.

Total cap: per manager and plan period, the sum of the named components'
earnings to date is held to the cap by a negative `total_cap` line. If any
of those components could not be evaluated for the manager, the cap cannot
be either.

Clawback: an order whose commission was paid in a *closed* earlier plan
period, then cancelled or refunded (a cancelled status, or deleted in the
source) within `window_days` of the order, is reversed at the rate
originally paid — the paid commission ÷ its base in the last frozen version
of that period. The line belongs to the period in which the cancellation
happened (its `deleted_at`, else the source's `updated_at`). Cancellations
inside the current plan period need no clawback: the cumulative total drops
and earned − paid trues it up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import func, or_, select

from hub.periods import parse_period
from hub.rules.builtin.common import PlanKind, local, managers, ref
from hub.rules.config import RuleRef
from hub.rules.context import RuleContext
from hub.rules.money import round_money
from hub.rules.results import NOT_EVALUATED, OK, Earning, Trace, num
from hub.rules.spec import Kind, RuleParams, RuleSpec, Stage


class TotalCapParams(RuleParams):
    cap: Decimal = Field(ge=0, description="most a manager earns from the components together")
    components: list[RuleRef] = Field(
        default_factory=list, description="rules whose earnings count (default: all rewards)"
    )
    plan_period: PlanKind | None = None


def total_cap(ctx: RuleContext, params: TotalCapParams) -> Iterator[Earning]:
    plan = ctx.plan_period(params.plan_period)
    names = set(params.components)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    parts: dict[str, list[str]] = defaultdict(list)
    missing: dict[str, str] = {}
    for name, e in ctx.earnings():
        if (names and name not in names) or e.plan_period != plan.label:
            continue
        if e.status != OK or e.amount is None:
            missing.setdefault(e.manager_id, f"{name}: {e.cause}")
            continue
        amount = round_money(e.amount)
        totals[e.manager_id] += amount
        parts[e.manager_id].append(f"{name}/{e.component} {amount:,.2f}")
    for manager_id in sorted(set(totals) | set(missing)):
        line = Earning(
            manager_id=manager_id,
            component="total_cap",
            plan_period=plan.label,
            currency=ctx.base_currency,
            amount=None,
            base=totals.get(manager_id),
        )
        if manager_id in missing:
            line.status, line.cause = (
                NOT_EVALUATED,
                f"a component is not evaluated ({missing[manager_id]})",
            )
            yield line
            continue
        total = totals[manager_id]
        line.trace.add("components", total, " + ".join(parts[manager_id]))
        line.trace.add("total cap", params.cap)
        if total > params.cap:
            line.amount = params.cap - total
            line.tier = "capped"
            line.trace.add("reduction", line.amount, f"{params.cap:,.2f} − {total:,.2f}")
        else:
            line.amount = Decimal(0)
            line.tier = "not reached"
        yield line


TOTAL_CAP_SPEC = RuleSpec(
    id="total_cap",
    version="1",
    kind=Kind.incentive,
    stage=Stage.settle,
    params=TotalCapParams,
    reads=("earnings",),
    evaluate=total_cap,
    summary="cap on a manager's total earnings across components",
)


class ClawbackParams(RuleParams):
    commission: RuleRef = Field(default="commission", description="the commission rule reversed")
    component: str = Field(default="commission", description="its component name")
    window_days: int = Field(
        default=90, ge=0, description="cancellations this long after the order"
    )
    plan_period: PlanKind | None = None


def clawback(ctx: RuleContext, params: ClawbackParams) -> Iterator[Earning]:
    q = ctx.query
    a = q.table("activities")
    plan = ctx.plan_period(params.plan_period)
    start, end = ctx.window(plan)
    window = dt.timedelta(days=params.window_days)
    scope = managers(ctx)
    frozen = ctx.ledger.frozen_earnings(params.commission, params.component)
    paid_periods: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for (manager_id, label), row in frozen.items():
        paid_periods[manager_id].append((parse_period(label), row))
    from_, manager = q.credited("manager")
    cancelled_at = func.coalesce(a.c.deleted_at, a.c.updated_at)
    statement = (
        select(
            a.c.source,
            a.c.source_id,
            manager.label("manager_id"),
            a.c.amount,
            a.c.currency,
            a.c.occurred_at,
            cancelled_at.label("cancelled_at"),
            a.c.status,
            a.c.deleted_at,
        )
        .select_from(from_)
        .where(
            a.c.kind == "order",
            or_(a.c.deleted_at.is_not(None), q.cancelled(a)),
            a.c.occurred_at < start,
            a.c.occurred_at >= start - window,
            or_(cancelled_at.is_(None), q.in_window(cancelled_at, start, end)),
        )
        .order_by(a.c.occurred_at, a.c.source, a.c.source_id)
    )
    for row in q.rows(statement):
        if row.manager_id not in scope:
            continue
        order_day = row.occurred_at.astimezone(ctx.zone).date()
        paid = next((r for p, r in paid_periods[row.manager_id] if p.contains(order_day)), None)
        if paid is None:
            continue  # never paid in a closed period: nothing to reverse
        line = Earning(
            manager_id=row.manager_id,
            component="clawback",
            plan_period=plan.label,
            currency=ctx.base_currency,
            amount=None,
            ref=ref(row),
        )
        trace = line.trace
        how = "deleted in the source" if row.deleted_at else f"status {row.status!r}"
        trace.add("order", ref(row), f"placed {local(row.occurred_at, ctx)}, {how}")
        if row.cancelled_at is None:
            line.status, line.cause = NOT_EVALUATED, f"order {ref(row)}: no time of cancellation"
            yield line
            continue
        trace.add("cancelled", local(row.cancelled_at, ctx))
        if row.cancelled_at - row.occurred_at > window:
            trace.add("outside the window", params.window_days, "days: no clawback")
            line.amount, line.tier = Decimal(0), "outside window"
            yield line
            continue
        if row.amount is None:
            line.status, line.cause = NOT_EVALUATED, f"order {ref(row)} has no amount"
            yield line
            continue
        base, cause = ctx.converter.to_base({row.currency: row.amount}, trace)
        if base is None:
            line.status, line.cause = NOT_EVALUATED, cause
            yield line
            continue
        rate = _paid_rate(paid, trace)
        if rate is None:
            continue
        line.base, line.rate, line.tier = base, rate, f"paid in {paid.plan_period}"
        line.amount = -(base * rate)
        trace.add("clawback", line.amount, f"−{num(base, True)} × {rate:.6f}")
        yield line


def _paid_rate(paid: Any, trace: Trace) -> Decimal | None:
    if not paid.base:
        return None
    rate = paid.amount / paid.base
    trace.add(
        "rate originally paid",
        f"{rate:.6f}",
        f"{num(paid.amount, True)} ÷ {num(paid.base, True)} in {paid.period} "
        f"version {paid.version} (closed)",
    )
    return rate


CLAWBACK_SPEC = RuleSpec(
    id="clawback",
    version="1",
    kind=Kind.incentive,
    stage=Stage.settle,
    params=ClawbackParams,
    reads=("activities", "customers", "managers", "ledger"),
    evaluate=clawback,
    summary="reverse commission on orders cancelled or refunded within a window, at the "
    "rate originally paid",
)
