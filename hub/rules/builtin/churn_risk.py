"""`churn_risk`: customers drifting away with nobody trying to keep them.

Per customer with orders in the last `lookback_days`, from one aggregate:

- cadence: the average days between its orders, (last − first) ÷ (n − 1);
  at risk once the time since the last order exceeds `cadence_factor` ×
  cadence (the customer's own rhythm, not one global number);
- trend: orders in the last `trend_days` fewer than `trend_ratio` × those in
  the `trend_days` before.

At risk with a retention activity (a call, visit or meeting by default)
since the risk began is a pass; at risk without one is a violation. Too few
orders to know the customer's rhythm, and no trend either, cannot be
evaluated. Customers with no orders in the lookback are not subjects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from pydantic import Field
from sqlalchemy import case, func, select

from hub.model import ActivityKind
from hub.rules.builtin.common import ComplianceParams, day, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage


class ChurnRiskParams(ComplianceParams):
    lookback_days: int = Field(default=730, ge=30)
    min_orders: int = Field(default=3, ge=2, description="orders needed to know a cadence")
    cadence_factor: Decimal = Field(default=Decimal(2), gt=1)
    trend_days: int = Field(default=90, ge=7)
    trend_ratio: Decimal = Field(default=Decimal("0.5"), gt=0, lt=1)
    min_prior_orders: int = Field(default=2, ge=1, description="orders before, for a trend")
    retention_kinds: list[ActivityKind] = Field(
        default_factory=lambda: [ActivityKind.call, ActivityKind.visit, ActivityKind.meeting]
    )


def evaluate(ctx: RuleContext, params: ChurnRiskParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    a = q.table("activities")
    at = ctx.at
    trend = dt.timedelta(days=params.trend_days)

    def between(start: dt.datetime, end: dt.datetime) -> object:
        return func.sum(case((q.in_window(a.c.occurred_at, start, end), 1), else_=0))

    orders = q.per_customer(
        {
            "n": func.count(),
            "first_at": func.min(a.c.occurred_at),
            "last_at": func.max(a.c.occurred_at),
            "recent": between(at - trend, at),
            "prior": between(at - 2 * trend, at - trend),
        },
        [
            a.c.kind == "order",
            q.not_cancelled(a),
            q.scanned(a.c.occurred_at) >= at - dt.timedelta(days=params.lookback_days),
            q.scanned(a.c.occurred_at) < at,
        ],
    )
    kept = q.last_activity(params.retention_kinds, at)
    statement = (
        select(
            c.c.id,
            c.c.source,
            c.c.source_id,
            c.c.owner_source_id,
            orders.c.n,
            orders.c.first_at,
            orders.c.last_at,
            orders.c.recent,
            orders.c.prior,
            kept.c.last_at.label("retained_at"),
        )
        .select_from(
            c.join(orders, orders.c.customer_id == c.c.id).outerjoin(
                kept, kept.c.customer_id == c.c.id
            )
        )
        .where(q.live(c))
    )
    for row in q.rows(statement):
        evidence: dict[str, object] = {
            "orders": row.n,
            "last_order": day(row.last_at, ctx),
            "recent_orders": row.recent,
            "prior_orders": row.prior,
            "last_retention_activity": day(row.retained_at, ctx),
            "owner": row.owner_source_id,
        }
        finding = Finding("customer", row.id, Status.passed, "", ref(row), evidence=evidence)
        risks: list[tuple[dt.datetime, str]] = []
        has_cadence = row.n >= params.min_orders
        if has_cadence:
            cadence = (row.last_at - row.first_at) / (row.n - 1)
            evidence["cadence_days"] = round(cadence.total_seconds() / 86400, 1)
            limit = cadence * float(params.cadence_factor)
            if at - row.last_at > limit:
                days = (at - row.last_at).days
                risks.append(
                    (
                        row.last_at + limit,
                        f"no order for {days} days, usually every {evidence['cadence_days']} days",
                    )
                )
        has_trend = row.prior >= params.min_prior_orders
        if has_trend and row.recent < row.prior * float(params.trend_ratio):
            risks.append(
                (
                    at - trend,
                    f"{row.recent} orders in the last {params.trend_days} days after "
                    f"{row.prior} in the {params.trend_days} before",
                )
            )
        if not risks:
            if not (has_cadence or has_trend):
                finding.status = Status.not_evaluated
                finding.message = (
                    f"{row.n} order(s) in {params.lookback_days} days: too few to know the "
                    "customer's rhythm"
                )
            else:
                finding.message = "ordering as usual"
            yield finding
            continue
        since = min(moment for moment, _ in risks)
        reasons = "; ".join(reason for _, reason in risks)
        evidence["at_risk_since"] = day(since, ctx)
        if row.retained_at is not None and row.retained_at >= since:
            finding.message = (
                f"at risk ({reasons}); retention contact on {day(row.retained_at, ctx)}"
            )
        else:
            finding.status = Status.violation
            finding.message = f"at risk ({reasons}), no retention activity since {day(since, ctx)}"
            owner = f"owner {row.owner_source_id}" if row.owner_source_id else "an owner"
            finding.suggested_action = f"{owner}: call or visit to retain the customer"
        yield finding


SPEC = RuleSpec(
    id="churn_risk",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=ChurnRiskParams,
    reads=("customers", "activities"),
    evaluate=evaluate,
    summary="churn risk (own cadence or falling orders) with no retention activity since",
)
