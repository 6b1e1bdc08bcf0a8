"""Testing rules: a store filled with canonical records, and the engine on top.

`RuleTestbed` writes managers, customers, activities and goals straight into
a real store (SQLite or PostgreSQL, like a sync would, links and references
included), writes a hub.toml with your `[rules]`, and runs the engine::

    def test_key_accounts_get_visits(tmp_path):
        bed = RuleTestbed(tmp_path)
        bed.add(manager("M1"), customer("C1", owner="M1", tier="A"))
        bed.add(activity("A1", "visit", "C1", "M1", "2026-08-03 10:00"))
        bed.configure({"visits": {"rule": "acme.visits", "min_visits": 1}})
        bed.run("2026-Q3")
        assert bed.findings("visits")[0]["status"] == "pass"

Times given as text are local times in the testbed's time zone.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hub.adapters.contract import Tombstone
from hub.config import HubConfig, load_config
from hub.model import ENTITIES, Activity, ActivityKind, Contact, Customer, Goal, Manager, Record
from hub.periods import parse_period
from hub.plugins import Registry, load_registry
from hub.rules import ledger
from hub.rules.engine import RuleEngine, RunReport
from hub.rules.tables import (
    rule_awards,
    rule_earnings,
    rule_findings,
    rule_measures,
    rule_payables,
    rule_runs,
)
from hub.store.database import Store
from hub.store.records import RecordWriter, resolve_references
from hub.store.tables import entity_tables

SOURCE = "crm"
ZONE = ZoneInfo("Asia/Shanghai")


def when(text: str | dt.datetime | None, zone: ZoneInfo = ZONE) -> dt.datetime | None:
    """`2026-09-30 23:30` in the company zone (or an aware datetime as is)."""
    if text is None or isinstance(text, dt.datetime):
        return text
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def manager(source_id: str, **fields: Any) -> Manager:
    fields.setdefault("name", f"经理{source_id}")
    return Manager(source=fields.pop("source", SOURCE), source_id=source_id, **fields)


def customer(source_id: str, owner: str | None = None, **fields: Any) -> Customer:
    fields.setdefault("name", f"客户{source_id}有限公司")
    if "created_at" in fields:
        fields["created_at"] = when(fields["created_at"])
    return Customer(
        source=fields.pop("source", SOURCE), source_id=source_id, owner_source_id=owner, **fields
    )


def contact(source_id: str, customer: str | None, **fields: Any) -> Contact:
    """A person at customer `customer` (its source id)."""
    fields.setdefault("name", f"联系人{source_id}")
    return Contact(
        source=fields.pop("source", SOURCE),
        source_id=source_id,
        customer_source_id=customer,
        **fields,
    )


def activity(
    source_id: str,
    kind: str | ActivityKind,
    customer: str | None,
    manager: str | None,
    occurred_at: str | dt.datetime,
    **fields: Any,
) -> Activity:
    for key in ("logged_at", "due_at", "completed_at", "first_response_at", "resolved_at"):
        if key in fields:
            fields[key] = when(fields[key])
    if "updated_at" in fields:
        fields["updated_at"] = when(fields["updated_at"])
    if isinstance(fields.get("amount"), int | str):
        fields["amount"] = Decimal(str(fields["amount"]))
    return Activity(
        source=fields.pop("source", SOURCE),
        source_id=source_id,
        kind=ActivityKind(kind),
        customer_source_id=customer,
        manager_source_id=manager,
        occurred_at=when(occurred_at),
        **fields,
    )


def order(
    source_id: str,
    customer: str | None,
    manager: str | None,
    amount: str | int | Decimal,
    occurred_at: str,
    currency: str = "CNY",
    **fields: Any,
) -> Activity:
    return activity(
        source_id, "order", customer, manager, occurred_at,
        amount=Decimal(str(amount)), currency=currency, **fields,
    )  # fmt: skip


def goal(
    manager_source_id: str,
    metric: str,
    period: str,
    target: str | int | Decimal,
    **fields: Any,
) -> Goal:
    p = parse_period(period)
    return Goal(
        source=fields.pop("source", SOURCE),
        source_id=f"{manager_source_id}|{metric}|{p.label}",
        manager_source_id=manager_source_id,
        metric=metric,
        period_start=p.start,
        period_end=p.end,
        period_label=p.label,
        target=Decimal(str(target)),
        **fields,
    )


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Enough TOML for hub.toml files in tests, lists of inline tables included."""
    lines, tables = [], []
    for key, value in data.items():
        name = key if key.replace("_", "").replace("-", "").isalnum() else f'"{key}"'
        if isinstance(value, dict):
            tables.append((f"{prefix}{name}", value))
        else:
            lines.append(f"{name} = {_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for table_name, table in tables:
        out += f"\n[{table_name}]\n" + to_toml(table, f"{table_name}.")
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)


class RuleTestbed:
    """A throwaway hub project: hub.toml, a store with records, the rules engine."""

    def __init__(
        self,
        root: Path,
        store_url: str | None = None,
        *,
        registry: Registry | None = None,
        timezone: str = "Asia/Shanghai",
        base_currency: str = "CNY",
        currency_rates: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.store_url = store_url or f"sqlite:///{root / 'hub.db'}"
        self.registry = registry or load_registry()
        self.settings: dict[str, Any] = {
            "store": self.store_url,
            "timezone": timezone,
            "base_currency": base_currency,
            "currency_rates": currency_rates or {"USD": "7.10"},
        }
        self.rules: dict[str, Any] = {}
        self.configure({})
        self.store = Store(self.store_url)
        self.store.upgrade()
        self._generation = 0

    @property
    def config_path(self) -> Path:
        return self.root / "hub.toml"

    @property
    def config(self) -> HubConfig:
        return load_config(self.config_path)

    def configure(self, rules: dict[str, Any], **settings: Any) -> None:
        """Write hub.toml with these `[rules]` (and top-level settings)."""
        self.rules = rules
        self.settings |= settings
        document = {**self.settings, "rules": rules}
        self.config_path.write_text(to_toml(document), encoding="utf-8")

    def add(self, *records: Record) -> None:
        """Insert or update records, as a sync of their source would."""
        self._generation += 1
        now = dt.datetime.now(dt.UTC)
        by_key: dict[tuple[str, str], list[Record]] = {}
        for record in records:
            by_key.setdefault((record.source, record.entity), []).append(record)
        with self.store.begin() as conn:
            for entity in ENTITIES:  # targets of references first
                for (source, kind), batch in by_key.items():
                    if kind != entity:
                        continue
                    writer = RecordWriter(self.store.dialect, source, entity, entity)
                    writer.upsert(conn, batch, self._generation, now)
            for source in {s for s, _ in by_key}:
                resolve_references(conn, source)

    def delete(
        self, entity: str, source_id: str, at: str | None = None, source: str = SOURCE
    ) -> None:
        """Tombstone a record, as a sync does when the source deletes it."""
        writer = RecordWriter(self.store.dialect, source, entity, entity)
        with self.store.begin() as conn:
            writer.tombstone(conn, [Tombstone(source_id, when(at))], dt.datetime.now(dt.UTC))

    def engine(self) -> RuleEngine:
        return RuleEngine(self.config, self.registry, self.store)

    def run(self, period: str, as_of: str | dt.datetime | None = None) -> RunReport:
        moment = when(as_of) if isinstance(as_of, str) else as_of
        return self.engine().run(parse_period(period), moment)

    def close(self, period: str, *, force: bool = False) -> dict[str, Any]:
        with ledger.locked(self.store) as conn:
            return ledger.close(
                conn, parse_period(period).label, force=force, now=dt.datetime.now(dt.UTC)
            )

    # -- reading results -----------------------------------------------------------------

    def run_id(self, period: str, version: int | None = None) -> int:
        with self.store.read() as conn:
            row = ledger.run_for(conn, parse_period(period).label, version)
        assert row is not None, f"no run for {period}"
        return row.id

    def _rows(self, table: Any, period: str, version: int | None, **match: Any) -> list[dict]:
        run_id = self.run_id(period, version)
        statement = select(table).where(table.c.run_id == run_id).order_by(table.c.id)
        for key, value in match.items():
            if value is not None:
                statement = statement.where(table.c[key] == value)
        with self.store.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(statement)]
        for row in rows:
            for key in ("manager_id", "subject_id"):
                if row.get(key):
                    row[key.replace("_id", "")] = self.source_id(row[key])
        return rows

    def source_id(self, hub_id: str) -> str:
        for entity in ("managers", "customers", "activities", "goals"):
            t = entity_tables[entity]
            with self.store.read() as conn:
                found = conn.execute(select(t.c.source_id).where(t.c.id == hub_id)).scalar()
            if found:
                return found
        return hub_id

    def findings(
        self, rule: str | None = None, period: str = "2026-Q3", version: int | None = None
    ) -> list[dict]:
        return self._rows(rule_findings, period, version, rule=rule)

    def finding(self, rule: str, subject: str, period: str = "2026-Q3") -> dict:
        found = [f for f in self.findings(rule, period) if f["subject"] == subject]
        assert len(found) == 1, f"{rule}: {len(found)} findings about {subject}"
        return found[0]

    def earnings(
        self, rule: str | None = None, period: str = "2026-Q3", version: int | None = None
    ) -> list[dict]:
        return self._rows(rule_earnings, period, version, rule=rule)

    def measures(
        self, rule: str | None = None, period: str = "2026-Q3", version: int | None = None
    ) -> list[dict]:
        return self._rows(rule_measures, period, version, rule=rule)

    def payables(
        self, rule: str | None = None, period: str = "2026-Q3", version: int | None = None
    ) -> list[dict]:
        return self._rows(rule_payables, period, version, rule=rule)

    def awards(
        self, rule: str | None = None, period: str = "2026-Q3", version: int | None = None
    ) -> list[dict]:
        return self._rows(rule_awards, period, version, rule=rule)

    def runs(self) -> list[dict]:
        with self.store.read() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(rule_runs).order_by(rule_runs.c.id))
            ]
