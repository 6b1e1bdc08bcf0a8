"""Versions, closes and what has been paid.

- Every `hub rules run` of a period is a new *version* of that period's
  results. The current version of an open period is its latest run; the
  current version of a closed period is the one its last close froze.
- `close` adds a row to `rule_closes` and nothing else: the frozen run's
  payables become payouts. Closing again after a re-run freezes the newer
  version, whose payables are then the corrections.
- Paid to date for (rule, manager, plan period, currency) is the sum of the
  payables of every frozen run: it is derived, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, text

from hub.errors import ConfigError
from hub.rules.errors import CloseRefused
from hub.rules.tables import rule_closes, rule_earnings, rule_payables, rule_runs
from hub.store.database import Store

_LOCK_KEY = int.from_bytes(hashlib.sha256(b"hub.rules.run").digest()[:7], "big")

PaidKey = tuple[str, str, str, str]
"""(rule, manager id, plan period, currency)."""


@contextmanager
def locked(store: Store) -> Iterator[Connection]:
    """A transaction for runs and closes: one at a time, one consistent
    snapshot, all or nothing.

    SQLite: a write transaction (BEGIN IMMEDIATE) holds the store's write
    lock, so nothing changes underneath. PostgreSQL: a session advisory lock
    first, then a REPEATABLE READ transaction whose snapshot is taken only
    once the lock is held — so a queued run sees the versions the run before
    it wrote, and a close can never slip in while a run settles."""
    if store.dialect != "postgresql":
        with store.begin() as conn:
            yield conn
        return
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
        conn.commit()
        try:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
        finally:
            try:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
            except Exception:
                conn.invalidate()  # closing the session releases its lock


def latest_run(conn: Connection, period: str) -> Row[Any] | None:
    return conn.execute(
        select(rule_runs).where(rule_runs.c.period == period).order_by(rule_runs.c.version.desc())
    ).first()


def last_close(conn: Connection, period: str) -> Row[Any] | None:
    return conn.execute(
        select(rule_closes, rule_runs.c.version)
        .join(rule_runs, rule_runs.c.id == rule_closes.c.run_id)
        .where(rule_closes.c.period == period)
        .order_by(rule_closes.c.sequence.desc())
    ).first()


def next_version(conn: Connection, period: str) -> int:
    current = conn.execute(
        select(func.max(rule_runs.c.version)).where(rule_runs.c.period == period)
    ).scalar()
    return (current or 0) + 1


def run_for(conn: Connection, period: str, version: int | None = None) -> Row[Any] | None:
    """The run a report shows: the given version, else the frozen one of a
    closed period, else the latest."""
    if version is not None:
        return conn.execute(
            select(rule_runs).where(rule_runs.c.period == period, rule_runs.c.version == version)
        ).first()
    closed = last_close(conn, period)
    if closed is not None:
        return conn.execute(select(rule_runs).where(rule_runs.c.id == closed.run_id)).first()
    return latest_run(conn, period)


def saw_unified(run: Row[Any]) -> bool:
    """Whether a run's rules saw unified managers and customers (not `--by-connection`)."""
    return (run.settings or {}).get("identity") == "unified"


def paid_to_date(
    conn: Connection, rules: Iterable[str], plan_periods: Iterable[str]
) -> dict[PaidKey, Decimal]:
    """Sum of frozen payables per (rule, manager, plan period, currency)."""
    rules, plan_periods = list(rules), list(plan_periods)
    if not rules or not plan_periods:
        return {}
    p = rule_payables
    statement = (
        select(p.c.rule, p.c.manager_id, p.c.plan_period, p.c.currency, func.sum(p.c.payable))
        .join(rule_closes, rule_closes.c.run_id == p.c.run_id)
        .where(p.c.rule.in_(rules), p.c.plan_period.in_(plan_periods), p.c.payable.is_not(None))
        .group_by(p.c.rule, p.c.manager_id, p.c.plan_period, p.c.currency)
    )
    return {(r, m, pp, c): total for r, m, pp, c, total in conn.execute(statement)}


class Ledger:
    """Read-only view of what closed periods froze, for settle rules (clawbacks)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def frozen_earnings(
        self, rule: str, component: str | None = None
    ) -> dict[tuple[str, str], Any]:
        """(manager id, plan period) -> the last frozen earning line of `rule`
        (the one paid last, so its rate is the rate originally paid)."""
        e = rule_earnings
        statement = (
            select(
                e.c.manager_id,
                e.c.plan_period,
                e.c.amount,
                e.c.base,
                e.c.rate,
                e.c.currency,
                rule_runs.c.period,
                rule_runs.c.version,
            )
            .join(rule_runs, rule_runs.c.id == e.c.run_id)
            .join(rule_closes, rule_closes.c.run_id == e.c.run_id)
            .where(e.c.rule == rule, e.c.status == "ok")
            .order_by(rule_runs.c.period_end, rule_closes.c.id)
        )
        if component is not None:
            statement = statement.where(e.c.component == component)
        out: dict[tuple[str, str], Any] = {}
        for row in self.conn.execute(statement):
            out[(row.manager_id, row.plan_period)] = row
        return out


def _stale_payables(conn: Connection, run_id: int) -> int:
    """Payables of a run whose paid-to-date is no longer what the closes say:
    freezing them would pay (or recover) the same money twice."""
    p = rule_payables
    rows = conn.execute(
        select(p.c.rule, p.c.manager_id, p.c.plan_period, p.c.currency, p.c.paid_to_date).where(
            p.c.run_id == run_id, p.c.payable.is_not(None)
        )
    ).all()
    if not rows:
        return 0
    paid = paid_to_date(conn, {r.rule for r in rows}, {r.plan_period for r in rows})
    zero = Decimal(0)
    return sum(
        1
        for r in rows
        if paid.get((r.rule, r.manager_id, r.plan_period, r.currency), zero) != r.paid_to_date
    )


def close(conn: Connection, period: str, *, force: bool, now: dt.datetime) -> dict[str, Any]:
    """Freeze the latest version of `period`. Returns what happened."""
    latest = latest_run(conn, period)
    if latest is None:
        raise ConfigError(f"no results for {period}: run `hub rules run --period {period}` first")
    previous = last_close(conn, period)
    if previous is not None and previous.run_id == latest.id:
        return {
            "period": period,
            "closed": False,
            "version": latest.version,
            "message": f"{period} is already closed at version {latest.version}; nothing newer "
            "to freeze",
        }
    p = rule_payables
    unevaluated = conn.execute(
        select(func.count()).where(p.c.run_id == latest.id, p.c.status != "ok")
    ).scalar_one()
    if unevaluated and not force:
        raise CloseRefused(
            f"{period} version {latest.version}: {unevaluated} payable(s) could not be evaluated "
            "(see `hub report incentives`); fix the data and run again, or close with --force "
            "to pay nothing on them"
        )
    stale = _stale_payables(conn, latest.id)
    if stale:
        raise CloseRefused(
            f"{period} version {latest.version} was computed before another close changed what "
            f"was already paid ({stale} payable(s) differ now): run "
            f"`hub rules run --period {period}` again, then close"
        )
    sequence = (previous.sequence + 1) if previous is not None else 1
    conn.execute(
        insert(rule_closes).values(
            period=period, sequence=sequence, run_id=latest.id, closed_at=now, forced=force
        )
    )
    totals: dict[str, Decimal] = {}
    for currency, total in conn.execute(
        select(p.c.currency, func.sum(p.c.payable))
        .where(p.c.run_id == latest.id, p.c.payable.is_not(None))
        .group_by(p.c.currency)
    ):
        totals[currency] = total
    kind = "adjustment close" if previous is not None else "close"
    return {
        "period": period,
        "closed": True,
        "version": latest.version,
        "sequence": sequence,
        "kind": kind,
        "payable": {c: str(v) for c, v in totals.items()},
        "not_evaluated": unevaluated,
        "message": f"{period} closed at version {latest.version} ({kind} #{sequence})",
    }


def periods(conn: Connection) -> list[dict[str, Any]]:
    """Every period with results: versions, latest run, closes."""
    runs = conn.execute(
        select(
            rule_runs.c.period,
            func.max(rule_runs.c.version),
            func.max(rule_runs.c.finished_at),
            func.min(rule_runs.c.period_start),
        ).group_by(rule_runs.c.period)
    ).all()
    closes: dict[str, list[Any]] = {}
    for row in conn.execute(
        select(rule_closes, rule_runs.c.version)
        .join(rule_runs, rule_runs.c.id == rule_closes.c.run_id)
        .order_by(rule_closes.c.sequence)
    ):
        closes.setdefault(row.period, []).append(row)
    out = []
    for period, latest, finished, _start in sorted(runs, key=lambda r: (r[3], r[0])):
        frozen = closes.get(period, [])
        out.append(
            {
                "period": period,
                "latest_version": latest,
                "last_run_at": finished,
                "closed": bool(frozen),
                "frozen_version": frozen[-1].version if frozen else None,
                "closes": [
                    {"sequence": c.sequence, "version": c.version, "closed_at": c.closed_at}
                    for c in frozen
                ],
            }
        )
    return out
