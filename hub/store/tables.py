"""The store's tables.

Entity tables are derived from the canonical models, column for column, plus
the bookkeeping every synced row needs. System tables hold what the sync
promises rest on: links (source id -> hub id), per-stream state, run
history, rejects and leases.

A migration test compares this metadata with the migrated database, so a
model change without a migration fails the suite.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from enum import Enum

from pydantic import AwareDatetime
from pydantic.fields import FieldInfo
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from hub.model import ENTITIES, Record, base_type, reference_fields
from hub.store.metadata import HUB_ID, metadata
from hub.store.types import ExactDecimal, UTCDateTime, json_type

BOOKKEEPING = ("stream", "first_synced_at", "synced_at")

REFERENCED = frozenset(
    target for model in ENTITIES.values() for _, _, target in reference_fields(model)
)
"""Entities other records refer to by hub id (managers, customers). Their
tables are keyed by `id`; the others' (activities, contacts, goals: the ones
that grow to millions of rows) by (source, source_id), with `id` unique in
an index of its own, which a bulk load into an empty table drops and builds
again sorted: a hub id is a hash, so inserting it row by row writes a random
page of the index per row, which made a first load of 1M rows write 6.5 GB."""


def id_index_name(entity: str) -> str | None:
    """The unique index on `id` of a table keyed by (source, source_id)."""
    return None if entity in REFERENCED else f"ux_{entity}_id"


def _optional(field: FieldInfo) -> bool:
    """A column is nullable exactly when the model field admits None."""
    annotation = field.annotation
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(annotation)


def column_type(field: FieldInfo) -> TypeEngine[typing.Any]:
    base = base_type(field.annotation)
    if typing.get_origin(base) in (dict, list) or base in (dict, list):
        return json_type()
    if base is AwareDatetime:
        return UTCDateTime()
    if isinstance(base, type):
        if issubclass(base, bool):
            return Boolean()
        if issubclass(base, Enum | str):
            return String()
        if issubclass(base, int):
            return Integer()
        if issubclass(base, Decimal):
            return ExactDecimal()
        if issubclass(base, dt.datetime):
            return UTCDateTime()
        if issubclass(base, dt.date):
            return Date()
    raise TypeError(f"no column type for {field.annotation!r}")


_KEY_FIELDS = {"id", "source", "source_id"}


def _entity_table(model: type[Record]) -> Table:
    name = model.entity
    ref_ids = {hub_field for _, hub_field, _ in reference_fields(model)}
    by_id = name in REFERENCED
    columns: list[Column[typing.Any]] = [
        Column("id", HUB_ID, primary_key=by_id, nullable=False),
        Column("source", String(128), nullable=False, primary_key=not by_id),
        Column("source_id", String(255), nullable=False, primary_key=not by_id),
    ]
    for field_name, field in model.model_fields.items():
        if field_name in _KEY_FIELDS:
            continue
        if field_name in ref_ids:
            columns.append(Column(field_name, HUB_ID, index=True))
            continue
        columns.append(Column(field_name, column_type(field), nullable=_optional(field)))
    columns += [
        Column("stream", String(128), nullable=False),
        Column("first_synced_at", UTCDateTime, nullable=False),
        Column("synced_at", UTCDateTime, nullable=False),
    ]
    keys = (
        [UniqueConstraint("source", "source_id")]
        if by_id
        else [Index(id_index_name(name), "id", unique=True)]
    )
    return Table(
        name, metadata, *columns, *keys, Index(f"ix_{name}_source_stream", "source", "stream")
    )


entity_tables: dict[str, Table] = {name: _entity_table(m) for name, m in ENTITIES.items()}

Index("ix_activities_occurred_at", entity_tables["activities"].c.occurred_at)
Index("ix_goals_period", entity_tables["goals"].c.period_start, entity_tables["goals"].c.period_end)
_customers = entity_tables["customers"]
Index(  # the dashboard's customers page: live customers counted, listed and filtered by tier
    "ix_customers_tier_live",
    _customers.c.tier,
    sqlite_where=_customers.c.deleted_at.is_(None),
    postgresql_where=_customers.c.deleted_at.is_(None),
)
# the customers page's search: a source id or a credit code as typed (names: hub.store.search)
Index("ix_customers_source_id", _customers.c.source_id)
Index("ix_customers_credit_code", _customers.c.credit_code)

links = Table(
    "links",
    metadata,
    Column("connection", String(128), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("source_id", String(255), primary_key=True),
    Column("hub_id", HUB_ID, nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
)

seen = Table(
    "seen",
    metadata,
    Column("connection", String(128), primary_key=True),
    Column("stream", String(128), primary_key=True),
    Column("source_id", String(255), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("digest", String(64)),
    sqlite_with_rowid=False,  # the key is the row: one B-tree, look-ups read nothing else
)
"""The source ids each stream's reads saw, by generation, with a digest of
the source row: a complete read tombstones the live rows it did not see, and
an adapter can skip mapping rows whose digest did not change."""

sync_state = Table(
    "sync_state",
    metadata,
    Column("connection", String(128), primary_key=True),
    Column("stream", String(128), primary_key=True),
    Column("state", json_type()),
    Column("generation", Integer, nullable=False, default=0),
    Column("run_id", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("exit_code", Integer),
    Column("options", json_type(), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("hub_version", String(32), nullable=False),
    Column("error", Text),
)

run_streams = Table(
    "run_streams",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("connection", String(128), primary_key=True),
    Column("stream", String(128), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("read", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("unresolved", Integer, nullable=False, default=0),
    Column("batches", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("worker", String(255)),  # the engine worker that ran it (None: the run's own process)
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(128), nullable=False),
    Column("stream", String(128), nullable=False),
    Column("reject_key", String(512), nullable=False),
    Column("source_id", String(255)),
    Column("location", String(512)),
    Column("reason", Text, nullable=False),
    Column("raw", json_type(), nullable=False),
    Column("first_run_id", Integer, nullable=False),
    Column("last_run_id", Integer, nullable=False),
    Column("sync_gen", Integer, nullable=False),
    Column("times_seen", Integer, nullable=False, default=1),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_run_id", Integer),
    Column("resolution", String(32)),
)
Index(
    "uq_rejects_open",
    rejects.c.connection,
    rejects.c.stream,
    rejects.c.reject_key,
    unique=True,
    sqlite_where=rejects.c.resolved_at.is_(None),
    postgresql_where=rejects.c.resolved_at.is_(None),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("run_id", Integer),
    Column("holder", String(255), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

import hub.actions.tables  # noqa: E402  (the actions outbox too)
import hub.engine.tables  # noqa: E402  (so do the engine's)
import hub.identity.tables  # noqa: E402  (identity shares this metadata)
import hub.rules.tables  # noqa: E402  (rule results share this metadata)
import hub.web.tables  # noqa: E402, F401  (the dashboard's users and inquiries)


def _unified_table(entity: str) -> Table:
    """The survived record of each unified entity with more than one member
    (a single record is its own unified record); `sources` says which
    connection each field came from."""
    skip = {"id", "source", "source_id", *BOOKKEEPING}
    source = entity_tables[entity]
    columns: list[Column[typing.Any]] = [Column("unified_id", HUB_ID, primary_key=True)]
    columns += [Column(c.name, c.type, nullable=True) for c in source.columns if c.name not in skip]
    columns += [
        Column("members", Integer, nullable=False),
        Column("sources", json_type(), nullable=False),
        Column("resolved_at", UTCDateTime, nullable=False),
    ]
    return Table(f"unified_{entity}", metadata, *columns)


unified_tables: dict[str, Table] = {e: _unified_table(e) for e in ("managers", "customers")}
