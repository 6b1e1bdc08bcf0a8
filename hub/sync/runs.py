"""Run history: one row per `hub sync`, one per (run, connection, stream).

Stream counters are updated inside each batch's transaction, so after a crash
the history says exactly what was committed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import Connection, desc, select, update

from hub import __version__, secrets
from hub.store.database import dialect_insert
from hub.store.tables import run_streams, runs

COUNTERS = ("read", "inserted", "updated", "unchanged", "deleted", "rejected", "batches")


def start(conn: Connection, options: dict[str, Any], now: dt.datetime) -> int:
    result = conn.execute(
        runs.insert().values(
            started_at=now,
            heartbeat_at=now,
            status="running",
            options=options,
            host=socket.gethostname(),
            pid=os.getpid(),
            hub_version=__version__,
        )
    )
    return int(result.inserted_primary_key[0])


def finish(
    conn: Connection,
    run_id: int,
    status: str,
    exit_code: int,
    error: str | None,
    now: dt.datetime,
) -> None:
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(
            status=status,
            exit_code=exit_code,
            error=secrets.redact(error) if error else None,
            finished_at=now,
            heartbeat_at=now,
        )
    )


def mark_abandoned(conn: Connection, run_id: int, reason: str, now: dt.datetime) -> None:
    """A run whose process died: its lease was taken over."""
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == "running")
        .values(status="abandoned", error=reason, finished_at=now)
    )
    conn.execute(
        update(run_streams)
        .where(run_streams.c.run_id == run_id, run_streams.c.status == "running")
        .values(status="abandoned", finished_at=now)
    )


def start_stream(
    conn: Connection,
    run_id: int,
    connection: str,
    stream: str,
    entity: str,
    now: dt.datetime,
    worker: str | None = None,
) -> None:
    """Mark the stream running. Starting it again in the same run (an engine task
    delivered twice, or retried) keeps the counts already committed."""
    insert = dialect_insert(conn, run_streams).values(
        run_id=run_id,
        connection=connection,
        stream=stream,
        entity=entity,
        status="running",
        started_at=now,
        worker=worker,
        **dict.fromkeys((*COUNTERS, "unresolved"), 0),
    )
    again: dict[str, Any] = {"status": "running", "finished_at": None, "error": None}
    if worker is not None:
        again["worker"] = worker
    conn.execute(
        insert.on_conflict_do_update(index_elements=["run_id", "connection", "stream"], set_=again)
    )


def add_counts(
    conn: Connection, run_id: int, connection: str, stream: str, counts: dict[str, int]
) -> None:
    c = run_streams.c
    values = {name: c[name] + counts.get(name, 0) for name in COUNTERS if counts.get(name)}
    if not values:
        return
    conn.execute(
        update(run_streams)
        .where(c.run_id == run_id, c.connection == connection, c.stream == stream)
        .values(values)
    )


def finish_stream(
    conn: Connection,
    run_id: int,
    connection: str,
    stream: str,
    status: str,
    unresolved: int,
    error: str | None,
    now: dt.datetime,
) -> None:
    c = run_streams.c
    conn.execute(
        update(run_streams)
        .where(c.run_id == run_id, c.connection == connection, c.stream == stream)
        .values(
            status=status,
            unresolved=unresolved,
            error=secrets.redact(error) if error else None,
            finished_at=now,
        )
    )


def last_unresolved(conn: Connection, connection: str, stream: str, before_run: int) -> int:
    """Unresolved references the stream had at the end of its last earlier run."""
    c = run_streams.c
    value = conn.execute(
        select(c.unresolved)
        .where(
            c.connection == connection,
            c.stream == stream,
            c.finished_at.is_not(None),
            c.run_id < before_run,
        )
        .order_by(desc(c.run_id))
        .limit(1)
    ).scalar()
    return value or 0


def recent(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs, each with its streams."""
    rows = [
        dict(r._mapping) for r in conn.execute(select(runs).order_by(desc(runs.c.id)).limit(limit))
    ]
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    streams: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for s in conn.execute(
        select(run_streams)
        .where(run_streams.c.run_id.in_(ids))
        .order_by(run_streams.c.started_at, run_streams.c.connection, run_streams.c.stream)
    ):
        streams[s.run_id].append(dict(s._mapping))
    for row in rows:
        row["streams"] = streams[row["id"]]
    return rows
