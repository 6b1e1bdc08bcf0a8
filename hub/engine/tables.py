"""The engine's own tables: schedule ticks, per-connection follow-ups, live workers, and
the vendor budget workers share (`hub.engine.budget`).

They live in the store (not the broker) because they are what makes two
schedulers or a redelivered task harmless: a unique key decides, whatever
the broker did.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, String, Table, Text

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

shared_tokens = Table(
    "shared_tokens",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("sealed", Text),
    Column("expires_at", Float),
    Column("details", Text),
    Column("minting_until", Float),
)
"""One access token per credential (`key` is a digest of its identity), sealed with a key
derived from the credential (`hub.adapters.sealed`); `minting_until` is the mint lock.
No report, export or page reads this table."""

shared_budgets = Table(
    "shared_budgets",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("remaining", BigInteger),
    Column("remaining_until", Float),
    Column("exhausted_until", Float),
    Column("reason", Text),
)
"""Per client or org: its daily credits as all workers know them, and the row that
serialises taking its in-flight slots."""

shared_slots = Table(
    "shared_slots",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("holder", String(64), primary_key=True),
    Column("lease_until", Float, nullable=False),
)
"""In-flight slots taken, each a lease that ends by itself if its process died."""
