"""The outbox's state changes, each in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, update

from hub.actions.contract import ActionOutcome
from hub.actions.plan import PlannedAction
from hub.actions.tables import action_outbox as t
from hub.store.database import dialect_insert


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Merge:
    """What merging a plan into the outbox does (or would do)."""

    new: list[PlannedAction] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
    """Keys whose finding went away before they were sent."""
    check_first: list[str] = field(default_factory=list)
    """Keys whose finding went away while an attempt may have reached the vendor:
    apply looks them up, then confirms or cancels them."""


def compare(
    conn: Connection, planned: Sequence[PlannedAction], scope: Iterable[tuple[str, str]]
) -> Merge:
    """Compare a plan with the outbox rows of the same (action, period) pairs."""
    pairs = set(scope)
    wanted = {p.key: p for p in planned}
    rows = {}
    if pairs:
        actions = sorted({a for a, _ in pairs})
        periods = sorted({p for _, p in pairs})
        for row in conn.execute(
            select(t.c.key, t.c.action, t.c.period, t.c.state, t.c.in_doubt).where(
                t.c.action.in_(actions), t.c.period.in_(periods)
            )
        ):
            if (row.action, row.period) in pairs:
                rows[row.key] = row
    merge = Merge()
    for key, p in wanted.items():
        if key in rows:
            merge.kept.append(key)
        else:
            merge.new.append(p)
    for key, row in rows.items():
        if key in wanted or row.state not in ("planned", "failed"):
            continue
        (merge.check_first if row.in_doubt else merge.cancel).append(key)
    return merge


def record(conn: Connection, merge: Merge) -> None:
    """Write a merge: insert the new actions, cancel the ones gone."""
    stamp = now()
    for p in merge.new:
        values = asdict(p)
        skip = values.pop("skip_reason")
        conn.execute(
            dialect_insert(conn, t)
            .values(
                **values,
                state="skipped" if skip else "planned",
                last_error=skip,
                attempts=0,
                in_doubt=False,
                retryable=False,
                created_at=stamp,
                updated_at=stamp,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
    if merge.cancel:
        set_state(
            conn, merge.cancel, "cancelled", last_error="its finding went away before it was sent"
        )


def set_state(conn: Connection, keys: Sequence[str], state: str, **values: Any) -> None:
    for start in range(0, len(keys), 500):
        conn.execute(
            update(t)
            .where(t.c.key.in_(keys[start : start + 500]))
            .values(state=state, updated_at=now(), **values)
        )


def _open() -> ColumnElement[bool]:
    """What apply works on: to send, to retry, or in doubt."""
    return (t.c.state == "planned") | ((t.c.state == "failed") & t.c.retryable) | t.c.in_doubt


def open_actions(conn: Connection, connection: str) -> list[Any]:
    return conn.execute(
        select(t).where(t.c.connection == connection, _open()).order_by(t.c.created_at, t.c.key)
    ).all()


def open_connections(conn: Connection) -> list[str]:
    """The connections with something for apply to do, in name order."""
    rows = conn.execute(
        select(t.c.connection).where(_open(), t.c.connection.is_not(None)).distinct()
    )
    return sorted(rows.scalars())


def sent_keys(conn: Connection, connection: str) -> list[str]:
    """Actions the vendor answered for but that were not yet found by their key."""
    return list(
        conn.execute(
            select(t.c.key).where(t.c.connection == connection, t.c.state == "sent")
        ).scalars()
    )


def mark_attempt(conn: Connection, keys: Sequence[str]) -> None:
    """Before a send: from now on the vendor may have these records."""
    stamp = now()
    conn.execute(
        update(t)
        .where(t.c.key.in_(keys))
        .values(attempts=t.c.attempts + 1, in_doubt=True, attempted_at=stamp, updated_at=stamp)
    )


def mark_found(conn: Connection, found: Mapping[str, str]) -> None:
    stamp = now()
    for key, vendor_id in found.items():
        conn.execute(
            update(t)
            .where(t.c.key == key)
            .values(
                state="confirmed",
                vendor_id=vendor_id,
                in_doubt=False,
                last_error=None,
                confirmed_at=stamp,
                updated_at=stamp,
            )
        )


def mark_outcomes(conn: Connection, outcomes: Iterable[ActionOutcome]) -> None:
    stamp = now()
    for o in outcomes:
        if o.status == "created":
            values: dict[str, Any] = {"state": "sent", "vendor_id": o.vendor_id, "sent_at": stamp}
        elif o.status == "exists":
            values = {"state": "confirmed", "vendor_id": o.vendor_id, "confirmed_at": stamp}
        else:
            values = {"state": "failed", "retryable": o.retryable, "last_error": o.reason}
        if o.status != "refused":
            values |= {"last_error": None, "retryable": False}
        conn.execute(
            update(t).where(t.c.key == o.key).values(in_doubt=False, updated_at=stamp, **values)
        )


def note_error(conn: Connection, keys: Sequence[str], error: str) -> None:
    """An attempt's answer is unknown: the actions stay in doubt, with the reason."""
    conn.execute(update(t).where(t.c.key.in_(keys)).values(last_error=error, updated_at=now()))
