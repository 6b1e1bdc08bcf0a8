"""Built-in measures: the value of a goal metric per manager (or team) over a window.

Every measure is computed for all managers at once: the activity measures of
a window all come from one aggregate pass (`window_summary`), the customer
measures from one aggregate per customer. Cancelled activities count for
nothing. Definitions (see docs/rules.md for the long form):

- `sales_amount`, `payment_amount`: live, not cancelled orders (payments) in
  the window, summed per currency in SQL and converted to the base currency.
  An order without an amount makes the total not evaluated; so does an order
  without a date (a won deal whose closing date is missing): it may belong to
  any window, and its date is never invented.
- `order_count`: those orders, counted.
- `order_completion_rate`: orders due in the window that were completed
  (a `completed_at`, or a completed status) ÷ orders due in the window.
- `new_customers`: customers whose first order falls in the window.
- `retention_rate`: (E − N) ÷ S with S customers active at the start, E
  active at the end, N new in the window; active = ordered within
  `active_customer_days` before.
- `satisfaction`: mean feedback score in the window.
- `contact_count`, `visit_count`, `complaint_count`: activities of those kinds.

Orders, payments and contacts are credited to the activity's manager, or to
the customer's owner when the activity names no manager. Customer measures
(new customers, retention) are credited to the customer's owner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from hub.rules.money import round_ratio
from hub.rules.query import MoneyTotal, Query
from hub.rules.results import Trace, num


@dataclass
class MetricValue:
    value: Decimal | None
    cause: str | None = None
    trace: Trace = field(default_factory=Trace)


Compute = Callable[[Query, dt.datetime, dt.datetime, str], dict[Any, MetricValue]]


@dataclass(frozen=True)
class MetricDef:
    name: str
    compute: Compute
    description: str
    money: bool = False
    direction: str = "higher"
    """`higher` is better, or `lower` (complaints)."""
    empty: Decimal | None = Decimal(0)
    """Value for a manager with nothing in the window; None: not evaluated."""
    empty_cause: str = ""

    def value_for(self, values: dict[Any, MetricValue], key: Any) -> MetricValue:
        found = values.get(key)
        if found is not None:
            return found
        if self.empty is None:
            return MetricValue(None, self.empty_cause)
        trace = Trace()
        trace.add(self.name, self.empty, "nothing in the window")
        return MetricValue(self.empty, None, trace)


@dataclass
class KindTotals:
    """One manager's (or team's) live, not cancelled activities of one kind in a window."""

    count: int = 0
    money: MoneyTotal = field(default_factory=MoneyTotal)
    score_sum: Decimal = Decimal(0)
    score_count: int = 0


def window_summary(
    q: Query, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, dict[str, KindTotals]]:
    """Every activity measure of a window from one pass: counts, money per
    currency and feedback scores per (credited key, kind). Computed once per
    run and window; orders, contacts and scores all read from it."""

    def compute() -> dict[Any, dict[str, KindTotals]]:
        a = q.table("activities")
        from_, key = q.credited(group)
        statement = (
            select(
                key,
                a.c.kind,
                a.c.currency,
                func.count(),
                func.count(a.c.amount),
                func.sum(a.c.amount),
                func.count(a.c.score),
                func.sum(a.c.score),
                func.min(case((a.c.amount.is_(None), a.c.source_id))),
            )
            .select_from(from_)
            .where(q.live(a), q.not_cancelled(a), q.in_window(a.c.occurred_at, start, end))
            .group_by(key, a.c.kind, a.c.currency)
        )
        out: dict[Any, dict[str, KindTotals]] = {}
        undated = (
            select(key, a.c.kind, func.count(), func.min(a.c.source_id))
            .select_from(from_)
            .where(q.live(a), q.not_cancelled(a), a.c.occurred_at.is_(None), a.c.kind == "order")
            .group_by(key, a.c.kind)
        )
        for k, kind, n, example in q.rows(undated):
            if k is None:
                continue
            # An order without a date may belong to this window or not: its money is
            # neither counted nor silently left out (the sum is not evaluated).
            money = out.setdefault(k, {}).setdefault(kind, KindTotals()).money
            money.undated += n
            money.example_undated = money.example_undated or example
        for k, kind, currency, n, n_amount, amount, n_score, score, missing in q.rows(statement):
            if k is None:
                continue
            totals = out.setdefault(k, {}).setdefault(kind, KindTotals())
            totals.count += n
            money = totals.money
            money.count += n
            if n_amount:
                money.by_currency[currency] = money.by_currency.get(currency, Decimal(0)) + amount
            if n > n_amount:
                money.missing_amount += n - n_amount
                money.example_missing = money.example_missing or missing
            if n_score:
                totals.score_count += n_score
                totals.score_sum += score
        return out

    return q.remember(("window summary", start, end, group), compute)


def _money(kind: str, what: str) -> Compute:
    def compute(
        q: Query, start: dt.datetime, end: dt.datetime, group: str
    ) -> dict[Any, MetricValue]:
        out = {}
        for k, kinds in window_summary(q, start, end, group).items():
            if kind not in kinds:
                continue
            trace = Trace()
            value, cause = q.to_base(kinds[kind].money, what, trace)
            if value is not None:
                trace.add(f"{what}: sum in {q.converter.base}", value)
            out[k] = MetricValue(value, cause, trace)
        return out

    return compute


def _count(kinds: Callable[[Query], list[str]], what: str) -> Compute:
    def compute(
        q: Query, start: dt.datetime, end: dt.datetime, group: str
    ) -> dict[Any, MetricValue]:
        wanted = kinds(q)
        out = {}
        for k, totals in window_summary(q, start, end, group).items():
            count = sum(totals[kind].count for kind in wanted if kind in totals)
            if count:
                trace = Trace()
                trace.add(what, count)
                out[k] = MetricValue(Decimal(count), None, trace)
        return out

    return compute


def order_completion_rate(
    q: Query, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, MetricValue]:
    a = q.table("activities")
    from_, key = q.credited(group)
    done = or_(
        and_(a.c.completed_at.is_not(None), a.c.completed_at < end),
        func.lower(func.trim(a.c.status)).in_(q.definitions.completed()),
    )
    statement = (
        select(key, func.count(), func.sum(case((done, 1), else_=0)))
        .select_from(from_)
        .where(
            a.c.kind == "order",
            q.live(a),
            q.not_cancelled(a),
            q.in_window(a.c.due_at, start, end),
        )
        .group_by(key)
    )
    out = {}
    for k, due, completed in q.conn.execute(statement):
        if k is None:
            continue
        trace = Trace()
        trace.add("orders due in the period", due)
        trace.add("of which completed", completed)
        rate = round_ratio(Decimal(completed) / Decimal(due))
        trace.add("completion rate", rate, f"{completed} ÷ {due}")
        out[k] = MetricValue(rate, None, trace)
    return out


def satisfaction(
    q: Query, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, MetricValue]:
    out = {}
    for k, kinds in window_summary(q, start, end, group).items():
        feedback = kinds.get("feedback")
        if feedback is None or not feedback.score_count:
            continue
        trace = Trace()
        trace.add("feedback scores", feedback.score_count)
        trace.add("sum of scores", feedback.score_sum)
        mean = round_ratio(feedback.score_sum / Decimal(feedback.score_count))
        trace.add("mean score", mean, f"{num(feedback.score_sum)} ÷ {feedback.score_count}")
        out[k] = MetricValue(mean, None, trace)
    return out


def _orders_before(q: Query, end: dt.datetime) -> list[Any]:
    a = q.table("activities")
    return [a.c.kind == "order", q.not_cancelled(a), q.scanned(a.c.occurred_at) < end]


def new_customers(
    q: Query, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, MetricValue]:
    a = q.table("activities")
    c = q.table("customers")
    first = q.per_customer({"first_at": func.min(a.c.occurred_at)}, _orders_before(q, end))
    from_, key = q.owner_key(group)
    statement = (
        select(key, func.count())
        .select_from(from_.join(first, first.c.customer_id == c.c.id))
        .where(q.live(c), first.c.first_at >= start)
        .group_by(key)
    )
    out = {}
    for k, count in q.conn.execute(statement):
        if k is None:
            continue
        trace = Trace()
        trace.add("customers with their first order in the period", count)
        out[k] = MetricValue(Decimal(count), None, trace)
    return out


def retention_rate(
    q: Query, start: dt.datetime, end: dt.datetime, group: str
) -> dict[Any, MetricValue]:
    a = q.table("activities")
    c = q.table("customers")
    days = dt.timedelta(days=q.definitions.active_customer_days)

    def active(before: dt.datetime) -> Any:
        return func.max(case((q.in_window(a.c.occurred_at, before - days, before), 1), else_=0))

    per = q.per_customer(
        {
            "first_at": func.min(a.c.occurred_at),
            "at_start": active(start),
            "at_end": active(end),
        },
        _orders_before(q, end),
    )
    from_, key = q.owner_key(group)
    new = case((and_(per.c.at_end == 1, per.c.first_at >= start), 1), else_=0)
    statement = (
        select(key, func.sum(per.c.at_start), func.sum(per.c.at_end), func.sum(new))
        .select_from(from_.join(per, per.c.customer_id == c.c.id))
        .where(q.live(c))
        .group_by(key)
    )
    out = {}
    for k, s, e, n in q.conn.execute(statement):
        if k is None:
            continue
        trace = Trace()
        trace.add("S: active customers at the start", s)
        trace.add("E: active customers at the end", e)
        trace.add("N: new customers in the period", n)
        if not s:
            out[k] = MetricValue(None, "no active customers at the start of the period", trace)
            continue
        rate = round_ratio(Decimal(e - n) / Decimal(s))
        trace.add("retention rate", rate, f"(E − N) ÷ S = ({e} − {n}) ÷ {s}")
        out[k] = MetricValue(rate, None, trace)
    return out


def _kinds(*kinds: str) -> Callable[[Query], list[str]]:
    return lambda q: list(kinds)


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef(
            "sales_amount",
            _money("order", "orders"),
            "orders in the base currency",
            money=True,
        ),
        MetricDef(
            "payment_amount",
            _money("payment", "payments"),
            "payments received in the base currency",
            money=True,
        ),
        MetricDef("order_count", _count(_kinds("order"), "orders"), "orders"),
        MetricDef(
            "order_completion_rate",
            order_completion_rate,
            "completed ÷ due orders",
            empty=None,
            empty_cause="no orders due in the period",
        ),
        MetricDef("new_customers", new_customers, "customers with a first order"),
        MetricDef(
            "retention_rate",
            retention_rate,
            "(E − N) ÷ S",
            empty=None,
            empty_cause="no active customers at the start of the period",
        ),
        MetricDef(
            "satisfaction",
            satisfaction,
            "mean feedback score",
            empty=None,
            empty_cause="no feedback scores in the period",
        ),
        MetricDef(
            "contact_count",
            _count(lambda q: q.contact_kinds(), "contacts"),
            "calls, visits, meetings, e-mails, messages",
        ),
        MetricDef("visit_count", _count(_kinds("visit"), "visits"), "visits"),
        MetricDef(
            "complaint_count",
            _count(_kinds("complaint"), "complaints"),
            "complaints received",
            direction="lower",
        ),
    )
}
