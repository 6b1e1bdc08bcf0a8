"""The engine's own tables: schedule ticks, per-connection follow-ups, live workers.

They live in the store (not the broker) because they are what makes two
schedulers or a redelivered task harmless: a unique key decides, whatever
the broker did.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from hub.store.metadata import metadata
from hub.store.types import UTCDateTime

schedule_ticks = Table(
    "schedule_ticks",
    metadata,
    Column("entry", String(128), primary_key=True),
    Column("tick_at", UTCDateTime, primary_key=True),
    Column("fired_at", UTCDateTime, nullable=False),
    Column("holder", String(255), nullable=False),
    Column("run_id", Integer),
    Column("error", Text),
)
"""One row per (schedule entry, minute) that fired: the first scheduler to insert it runs it."""

run_followups = Table(
    "run_followups",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("connection", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("worker", String(255)),
    Column("finished_at", UTCDateTime),
    Column("error", Text),
)
"""A connection's follow-up task in an engine run (references, identity): done once."""

engine_workers = Table(
    "engine_workers",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("queue", String(128), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)
"""Workers that said they are alive, and when they last did (`hub workers`, the SQLite
single-host check)."""
