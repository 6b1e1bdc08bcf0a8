"""`low_value`: RFM scoring, and a reassessment suggestion for the lowest.

Per customer, over orders in the last `window_days` (aggregated in SQL):
R = days since the last order, F = number of orders, M = their value in the
base currency. Each axis is scored 1 … 5 (or `buckets`):

- `quantiles`: by rank among all scored customers, equal values sharing the
  lower score (so two customers with no orders never score differently);
  recent, frequent and large is high;
- `thresholds`: 1 + the number of business thresholds met (R: at most that
  many days; F, M: at least that much) — steadier for B2B books with few
  large customers.

A customer whose R + F + M is at most `low_score` is flagged with a
suggestion to reassess it (public pool 公海, or a low-touch owner). A
customer whose value cannot be known (an order without an amount or in a
currency without a rate) is not evaluated.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import func, select

from hub.rules.builtin.common import ComplianceParams
from hub.rules.context import RuleContext
from hub.rules.money import round_money
from hub.rules.results import Finding, Severity, Status
from hub.rules.spec import Kind, RuleSpec, Stage


class LowValueParams(ComplianceParams):
    severity: Severity = Severity.low
    window_days: int = Field(default=365, ge=30)
    method: Literal["quantiles", "thresholds"] = "quantiles"
    buckets: int = Field(default=5, ge=2, le=10, description="quantiles: scores per axis")
    min_customers: int = Field(default=20, ge=2, description="quantiles need at least this many")
    recency_days: list[int] = Field(default_factory=lambda: [30, 90, 180, 365])
    frequency: list[int] = Field(default_factory=lambda: [2, 4, 8, 12])
    monetary: list[Decimal] = Field(
        default_factory=lambda: [
            Decimal(10_000),
            Decimal(50_000),
            Decimal(200_000),
            Decimal(1_000_000),
        ]
    )
    low_score: int = Field(default=5, ge=3, description="R + F + M at or below this is low value")

    @model_validator(mode="after")
    def _ascending(self) -> LowValueParams:
        for name in ("recency_days", "frequency", "monetary"):
            values = getattr(self, name)
            if any(b <= a for a, b in itertools.pairwise(values)):
                raise ValueError(f"{name}: thresholds must increase")
        return self


class _Customer:
    __slots__ = ("f", "id", "last", "m", "missing", "owner", "ref", "totals")

    def __init__(self, row: Any) -> None:
        self.id = row.id
        self.ref = f"{row.source}:{row.source_id}"
        self.owner = row.owner_source_id
        self.last: dt.datetime | None = None
        self.f = 0
        self.totals: dict[str, Decimal] = {}
        self.missing = 0
        self.m: Decimal | None = None


def evaluate(ctx: RuleContext, params: LowValueParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    a = q.table("activities")
    since = ctx.at - dt.timedelta(days=params.window_days)
    orders = q.per_customer(
        {
            "last_at": func.max(a.c.occurred_at),
            "orders": func.count(),
            "total": func.sum(a.c.amount),
            "with_amount": func.count(a.c.amount),
        },
        [
            a.c.kind == "order",
            q.not_cancelled(a),
            q.scanned(a.c.occurred_at) >= since,
            q.scanned(a.c.occurred_at) < ctx.at,
        ],
        also_by=[a.c.currency],
    )
    statement = (
        select(
            c.c.id,
            c.c.source,
            c.c.source_id,
            c.c.owner_source_id,
            orders.c.currency,
            orders.c.last_at,
            func.coalesce(orders.c.orders, 0).label("orders"),
            orders.c.total,
            func.coalesce(orders.c.with_amount, 0).label("with_amount"),
        )
        .select_from(c.outerjoin(orders, orders.c.customer_id == c.c.id))
        .where(q.live(c))
    )
    customers: dict[str, _Customer] = {}
    for row in q.rows(statement):
        entry = customers.get(row.id)
        if entry is None:
            entry = customers[row.id] = _Customer(row)
        entry.f += row.orders
        entry.missing += row.orders - row.with_amount
        if row.last_at is not None and (entry.last is None or row.last_at > entry.last):
            entry.last = row.last_at
        if row.with_amount:
            entry.totals[row.currency] = row.total
    scored: list[_Customer] = []
    for entry in sorted(customers.values(), key=lambda e: e.ref):
        if entry.missing:
            continue
        entry.m, _cause = ctx.converter.to_base(entry.totals)
        if entry.m is not None:
            scored.append(entry)
    too_few = params.method == "quantiles" and len(scored) < params.min_customers
    score = _quantile_scorer(scored, params.buckets) if params.method == "quantiles" else None
    for entry in sorted(customers.values(), key=lambda e: e.ref):
        days = None if entry.last is None else (ctx.at - entry.last).days
        evidence: dict[str, Any] = {
            "recency_days": days,
            "frequency": entry.f,
            "monetary": None if entry.m is None else str(round_money(entry.m)),
            "owner": entry.owner,
        }
        finding = Finding("customer", entry.id, Status.passed, "", entry.ref, evidence=evidence)
        if entry.missing or entry.m is None:
            finding.status = Status.not_evaluated
            finding.message = (
                f"{entry.missing} order(s) without an amount"
                if entry.missing
                else "an order is in a currency without an exchange rate"
            )
            yield finding
            continue
        if too_few:
            finding.status = Status.not_evaluated
            finding.message = (
                f"only {len(scored)} customers can be scored; quantiles need "
                f'{params.min_customers} (use method = "thresholds")'
            )
            yield finding
            continue
        if score is not None:
            r, f, m = score(entry, days)
        else:
            r = 1 + sum(1 for t in params.recency_days if days is not None and days <= t)
            f = 1 + sum(1 for t in params.frequency if entry.f >= t)
            m = 1 + sum(1 for t in params.monetary if entry.m >= t)
        total = r + f + m
        evidence["rfm"] = f"{r}-{f}-{m}"
        if total <= params.low_score:
            finding.status = Status.violation
            finding.message = f"low value: RFM {r}-{f}-{m} (score {total} ≤ {params.low_score})"
            finding.suggested_action = (
                "reassess: move to the public pool (公海) or reassign to a low-touch owner"
            )
        else:
            finding.message = f"RFM {r}-{f}-{m} (score {total})"
        yield finding


def _quantile_scorer(scored: list[_Customer], buckets: int) -> Any:
    """Scores by rank; equal values share the lower score."""
    n = len(scored)
    never = float("inf")
    recency = sorted((c.last.timestamp() if c.last else -never) for c in scored)  # older first
    frequency = sorted(c.f for c in scored)
    monetary = sorted(c.m for c in scored if c.m is not None)

    def bucket(below: int) -> int:
        return 1 + (below * buckets) // n if n else 1

    def score(entry: _Customer, days: int | None) -> tuple[int, int, int]:
        stamp = entry.last.timestamp() if entry.last else -never
        r = bucket(bisect.bisect_left(recency, stamp))
        f = bucket(bisect.bisect_left(frequency, entry.f))
        m = bucket(bisect.bisect_left(monetary, entry.m))
        return r, f, m

    return score


SPEC = RuleSpec(
    id="low_value",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=LowValueParams,
    reads=("customers", "activities"),
    evaluate=evaluate,
    summary="RFM value scoring (quantiles or thresholds) with a reassessment suggestion",
)
