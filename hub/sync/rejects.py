"""The rejects table: records that could not be stored, with the reason.

A reject is keyed by (connection, stream, source id or location). Seeing the
same bad record again updates its open reject instead of adding a copy.
A reject is resolved when its record later lands, when a complete read no
longer contains it, or when a replay stores it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    desc,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from hub import secrets
from hub.adapters.contract import Reject
from hub.masking import mask_record, mask_text
from hub.store.database import dialect_insert
from hub.store.tables import rejects


def masked(reject: Reject) -> Reject:
    """The reject as it may be stored and shown: raw record and reason masked."""
    return Reject(
        reason=mask_text(secrets.redact(reject.reason)),
        raw=mask_record(reject.raw),
        source_id=reject.source_id,
        location=reject.location,
    )


def record(
    conn: Connection,
    connection: str,
    stream: str,
    items: Sequence[Reject],
    run_id: int,
    generation: int,
    now: dt.datetime,
) -> None:
    """Store (already masked) rejects; a repeat updates the open one."""
    if not items:
        return
    insert = dialect_insert(conn, rejects)
    upsert = insert.on_conflict_do_update(
        index_elements=["connection", "stream", "reject_key"],
        index_where=rejects.c.resolved_at.is_(None),
        set_={
            "reason": insert.excluded.reason,
            "raw": insert.excluded.raw,
            "location": insert.excluded.location,
            "last_run_id": insert.excluded.last_run_id,
            "sync_gen": insert.excluded.sync_gen,
            "last_seen_at": insert.excluded.last_seen_at,
            "times_seen": rejects.c.times_seen + 1,
        },
    )
    rows = [
        {
            "connection": connection,
            "stream": stream,
            "reject_key": (item.source_id or item.location or item.reason)[:512],
            "source_id": item.source_id,
            "location": item.location,
            "reason": item.reason,
            "raw": dict(item.raw),
            "first_run_id": run_id,
            "last_run_id": run_id,
            "sync_gen": generation,
            "times_seen": 1,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for item in items
    ]
    conn.execute(upsert, rows)


def _open(connection: str, stream: str) -> Any:
    return and_(
        rejects.c.connection == connection,
        rejects.c.stream == stream,
        rejects.c.resolved_at.is_(None),
    )


def count_open(conn: Connection, connection: str, stream: str) -> int:
    return conn.execute(
        select(func.count()).select_from(rejects).where(_open(connection, stream))
    ).scalar_one()


def resolve_landed(
    conn: Connection,
    connection: str,
    stream: str,
    source_ids: Sequence[str],
    run_id: int,
    now: dt.datetime,
) -> int:
    """Open rejects whose record has now been stored (a whole batch's ids as one
    parameter: a JSON array on SQLite, an array on PostgreSQL, rather than an
    IN list of thousands compiled for every batch)."""
    if not source_ids:
        return 0
    if conn.dialect.name == "sqlite":
        ids = bindparam("ids", json.dumps(list(source_ids), ensure_ascii=False))
        landed = rejects.c.source_id.in_(
            select(literal_column("value")).select_from(func.json_each(ids))
        )
    else:
        ids = bindparam("ids", list(source_ids), type_=ARRAY(String))
        landed = rejects.c.source_id == func.any(ids)
    return conn.execute(
        update(rejects)
        .where(_open(connection, stream), landed)
        .values(resolved_at=now, resolved_run_id=run_id, resolution="stored")
    ).rowcount


def resolve_unseen(
    conn: Connection, connection: str, stream: str, generation: int, run_id: int, now: dt.datetime
) -> int:
    """After a complete read: open rejects it did not produce again are gone
    from the source or fixed there."""
    return conn.execute(
        update(rejects)
        .where(_open(connection, stream), rejects.c.sync_gen < generation)
        .values(resolved_at=now, resolved_run_id=run_id, resolution="not in source")
    ).rowcount


def listing(
    conn: Connection,
    *,
    connection: str | None = None,
    stream: str | None = None,
    include_resolved: bool = False,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    query = select(rejects).order_by(desc(rejects.c.last_seen_at), rejects.c.id)
    if connection:
        query = query.where(rejects.c.connection == connection)
    if stream:
        query = query.where(rejects.c.stream == stream)
    if not include_resolved:
        query = query.where(rejects.c.resolved_at.is_(None))
    if limit:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def open_streams(conn: Connection) -> list[tuple[str, str, int]]:
    """(connection, stream, open rejects) for every stream with open rejects."""
    rows = conn.execute(
        select(rejects.c.connection, rejects.c.stream, func.count())
        .where(rejects.c.resolved_at.is_(None))
        .group_by(rejects.c.connection, rejects.c.stream)
        .order_by(rejects.c.connection, rejects.c.stream)
    )
    return [(r[0], r[1], r[2]) for r in rows]
