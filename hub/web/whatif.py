"""The what-if estimator: "if I close ¥200,000 more this period, what do I earn?"

It runs the configured rules — the same engine, the same code as
`hub rules run` — inside one transaction that also holds one hypothetical
order for the manager, reads the manager's payables from that run, and rolls
everything back. Nothing is ever stored: not the order, not the run.

The engine takes its transaction from the store (`ledger.locked`); a
`_Scratch` store hands it a transaction that is always rolled back. On
SQLite that transaction holds the write lock while the rules run, so one
estimate runs at a time (`_one_at_a_time`).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, insert, select

from hub.config import HubConfig
from hub.periods import parse_period
from hub.plugins import get_registry
from hub.rules import ledger
from hub.rules.engine import RuleEngine
from hub.rules.tables import rule_payables
from hub.store.database import Store
from hub.store.tables import entity_tables
from hub.web.data import BadInput

MAX_AMOUNT = Decimal("1000000000")
_one_at_a_time = threading.Lock()


class _Scratch:
    """A store whose only transaction is rolled back; it adds the order first and
    reads the run's payables last."""

    def __init__(self, store: Store, order: dict[str, Any], period: str, manager_id: str) -> None:
        self._store = store
        self._order = order
        self._period = period
        self._manager_id = manager_id
        self.dialect = "scratch"  # not "postgresql": ledger.locked then asks begin()
        self.payables: list[dict[str, Any]] = []

    def upgrade(self) -> bool:
        return False

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self._store.engine.connect() as conn:
            conn.execution_options(hub_write=True)
            transaction = conn.begin()
            try:
                conn.execute(insert(entity_tables["activities"]).values(**self._order))
                yield conn
                run = ledger.latest_run(conn, self._period)
                p = rule_payables
                self.payables = [
                    dict(r._mapping)
                    for r in conn.execute(
                        select(p).where(p.c.run_id == run.id, p.c.manager_id == self._manager_id)
                    )
                ]
            finally:
                transaction.rollback()


def parse_amount(text: str) -> Decimal:
    cleaned = (text or "").replace(",", "").replace("¥", "").replace("，", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadInput(f"amount {text[:40]!r}: a number like 200000") from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise BadInput(f"amount {text[:40]!r}: more than 0 and at most {MAX_AMOUNT:,}")
    return value.quantize(Decimal("0.01"))


def estimate(
    config: HubConfig,
    store: Store,
    period: str,
    manager_id: str,
    amount: Decimal,
    current: list[dict[str, Any]],
) -> dict[str, Any]:
    """Payables now (`current`, from the stored run) and with `amount` more in orders."""
    p = parse_period(period)
    start, end = p.bounds(config.zone)
    now = dt.datetime.now(dt.UTC)
    when = min(max(now, start), end - dt.timedelta(seconds=1))
    order = {
        "id": str(uuid.uuid4()),
        "source": "what-if",
        "source_id": f"what-if-{uuid.uuid4().hex[:12]}",
        "extra": {},
        "kind": "order",
        "manager_id": manager_id,
        "occurred_at": when,
        "amount": amount,
        "currency": config.base_currency,
        "status": "completed",
        "stream": "what-if",
        "first_synced_at": now,
        "synced_at": now,
    }
    scratch = _Scratch(store, order, p.label, manager_id)
    engine = RuleEngine(config, get_registry(), scratch)  # type: ignore[arg-type]
    with _one_at_a_time:
        engine.run(p, None)
    before = {(r["rule"], r["plan_period"], r["currency"]): r for r in current}
    after = {(r["rule"], r["plan_period"], r["currency"]): r for r in scratch.payables}
    lines = []
    for key in sorted(set(before) | set(after)):
        old = before.get(key, {}).get("earned_to_date")
        new = after.get(key, {}).get("earned_to_date")
        lines.append(
            {
                "rule": key[0],
                "plan_period": key[1],
                "currency": key[2],
                "now": old,
                "then": new,
                "difference": (Decimal(new) - Decimal(old or 0)) if new is not None else None,
            }
        )
    totals: dict[str, Decimal] = {}
    for line in lines:
        if line["difference"] is not None:
            totals[line["currency"]] = totals.get(line["currency"], Decimal(0)) + line["difference"]
    return {"amount": amount, "currency": config.base_currency, "lines": lines, "totals": totals}
