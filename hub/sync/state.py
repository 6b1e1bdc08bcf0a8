"""Per-(connection, stream) sync state, kept in the store.

`state` is the adapter's own checkpoint (opaque JSON); `generation` belongs
to the engine: it counts complete reads, and every row written is stamped
with it, so the rows a complete read did not see are the ones with an older
generation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from hub.store.database import dialect_insert
from hub.store.tables import sync_state


@dataclass
class StreamState:
    state: dict[str, Any] | None = None
    generation: int = 0
    updated_at: dt.datetime | None = None


def load(conn: Connection, connection: str, stream: str) -> StreamState:
    row = conn.execute(
        select(sync_state.c.state, sync_state.c.generation, sync_state.c.updated_at).where(
            sync_state.c.connection == connection, sync_state.c.stream == stream
        )
    ).first()
    if row is None:
        return StreamState()
    return StreamState(state=row.state, generation=row.generation, updated_at=row.updated_at)


def save(
    conn: Connection,
    connection: str,
    stream: str,
    value: StreamState,
    run_id: int | None,
    now: dt.datetime,
) -> None:
    insert = dialect_insert(conn, sync_state).values(
        connection=connection,
        stream=stream,
        state=value.state,
        generation=value.generation,
        run_id=run_id,
        updated_at=now,
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["connection", "stream"],
            set_={
                "state": insert.excluded.state,
                "generation": insert.excluded.generation,
                "run_id": insert.excluded.run_id,
                "updated_at": insert.excluded.updated_at,
            },
        )
    )


def list_all(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(sync_state).order_by(sync_state.c.connection, sync_state.c.stream))
    return [dict(row._mapping) for row in rows]


def reset(conn: Connection, connection: str | None = None, stream: str | None = None) -> int:
    """Forget checkpoints so the next sync reads from the beginning. The
    generation is kept: it must only grow."""
    query = update(sync_state).values(state=None)
    if connection:
        query = query.where(sync_state.c.connection == connection)
    if stream:
        query = query.where(sync_state.c.stream == stream)
    return conn.execute(query).rowcount
