"""A throwaway hub project for end-to-end tests, and small read helpers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from hub.adapters.contract import Adapter, Batch, ReadContext, Reject, Stream, Tombstone
from hub.columns import conform, to_records
from hub.config import HubConfig, load_config
from hub.model import ENTITIES, Record
from hub.plugins import Registry, load_registry
from hub.store.database import Store
from hub.store.tables import entity_tables
from hub.sync.engine import SyncEngine, SyncOptions, SyncReport


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """Just enough TOML to write hub.toml files in tests."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in data.items():
        name = f'"{key}"' if not key.replace("_", "").replace("-", "").isalnum() else key
        if value is None:
            continue  # TOML has no null: a missing key means "default"
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{name}", value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((f"{prefix}{name}", value))
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for table_name, table in tables:
        out += f"\n[{table_name}]\n" + to_toml(table, f"{table_name}.")
    for array_name, items in arrays:
        for item in items:
            out += f"\n[[{array_name}]]\n" + to_toml(item, f"{array_name}.")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


@dataclass
class Project:
    """hub.toml and a store in a folder; syncs run in-process with real plugins."""

    root: Path
    store_url: str | None = None
    registry: Registry = field(default_factory=load_registry)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.store_url is None:
            self.store_url = f"sqlite:///{self.root / 'hub.db'}"

    @property
    def config_path(self) -> Path:
        return self.root / "hub.toml"

    def configure(self, connections: Mapping[str, Any], **settings: Any) -> HubConfig:
        document = {"store": self.store_url, **settings, "connections": dict(connections)}
        self.config_path.write_text(to_toml(document), encoding="utf-8")
        return self.config

    @property
    def config(self) -> HubConfig:
        return load_config(self.config_path)

    @property
    def store(self) -> Store:
        return Store(self.config.store_url())

    def sync(self, **options: Any) -> SyncReport:
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
        engine = SyncEngine(self.config, self.registry, self.store)
        return engine.run(SyncOptions(**options))

    def rows(self, entity: str, **kwargs: Any) -> list[dict[str, Any]]:
        """The entity's rows; see `snapshot` (`deleted_at` is a flag unless
        `include_bookkeeping=True`)."""
        return snapshot(self.store, entity, **kwargs)


def snapshot(
    store: Store, entity: str, *, include_bookkeeping: bool = False
) -> list[dict[str, Any]]:
    """Every row of an entity table as dicts, ordered by (source, source_id).

    Without bookkeeping the sync times and generation are left out and
    `deleted_at` becomes a flag, so two stores that went through different
    but equivalent runs compare equal."""
    table = entity_tables[entity]
    with store.read() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(select(table).order_by(table.c.source, table.c.source_id))
        ]
    if include_bookkeeping:
        return rows
    for row in rows:
        for key in ("synced_at", "first_synced_at"):
            row.pop(key)
        row["deleted_at"] = row["deleted_at"] is not None
    return rows


@dataclass
class ReadResult:
    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    deletes: list[Tombstone] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    state: dict[str, Any] | None = None

    def ids(self) -> set[str]:
        return {r.source_id for r in self.records}


def read_all(
    adapter: Adapter,
    stream: Stream,
    state: dict[str, Any] | None = None,
    ctx: ReadContext | None = None,
    *,
    stop_after: int | None = None,
) -> ReadResult:
    """Read a stream the way the engine does, keeping every batch."""
    ctx = ctx or ReadContext(started_at=dt.datetime.now(dt.UTC))
    result = ReadResult(state=state)
    for batch in adapter.read(stream, state, ctx):
        result.batches.append(batch)
        if isinstance(batch.records, pa.Table | pa.RecordBatch):
            # an Arrow batch, checked as the engine checks it, then as models
            table, bad = conform(stream.entity, batch.records, adapter.context.connection)
            result.records.extend(to_records(stream.entity, table))
            result.rejects.extend(bad)
        else:
            result.records.extend(batch.records)
        result.rejects.extend(batch.rejects)
        result.deletes.extend(batch.deletes)
        if batch.state is not None:
            result.state = batch.state
        if stop_after is not None and len(result.batches) >= stop_after:
            break
    return result


def model_for(stream: Stream) -> type[Record]:
    return ENTITIES[stream.entity]
