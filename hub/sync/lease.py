"""Leases: at most one sync per connection at a time, across machines.

A lease is a row per connection in the store, renewed by a heartbeat. A
lease whose heartbeat is older than the TTL, or whose holder is a process on
this host that no longer exists, is stale and is taken over. Every batch
renews the lease inside its own transaction and fails if the lease is no
longer ours, so a run that lost its lease can never write.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, select, update

from hub.errors import LeaseLost, LockHeld
from hub.store.database import Store, dialect_insert
from hub.store.tables import leases

log = logging.getLogger("hub.sync")


@dataclass
class TakenOver:
    name: str
    holder: str
    run_id: int | None
    heartbeat_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_HELD_HERE: set[str] = set()
"""Holders of this process's leases between `acquire` and `release`."""


def _process_gone(holder: str) -> bool:
    """True if `holder` is a process on this host that has exited, or a lease
    of this very process that was released but could not be deleted (a full
    disk): an engine worker or a test running many syncs in one process must
    not wait for it to go stale."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return holder not in _HELD_HERE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """The leases of one run on a set of connections."""

    def __init__(self, store: Store, names: Sequence[str], ttl_seconds: int) -> None:
        self.store = store
        self.names = sorted(set(names))
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.run_id: int | None = None
        self.lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> list[TakenOver]:
        """Take every lease or none; raise `LockHeld` naming the holder."""
        _HELD_HERE.add(self.holder)
        try:
            return self._acquire()
        except BaseException:
            _HELD_HERE.discard(self.holder)
            raise

    def _acquire(self) -> list[TakenOver]:
        taken: list[TakenOver] = []
        now = _now()
        with self.store.begin() as conn:
            current = {
                row.name: row
                for row in conn.execute(select(leases).where(leases.c.name.in_(self.names)))
            }
            for name in self.names:
                row = current.get(name)
                if row is None:
                    continue
                stale = row.heartbeat_at < now - self.ttl or _process_gone(row.holder)
                if not stale:
                    since = row.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                    raise LockHeld(
                        f"connection {name!r} is being synced by run {row.run_id} "
                        f"({row.holder.rsplit(':', 1)[0]}, since {since}); try again later"
                    )
                taken.append(TakenOver(name, row.holder, row.run_id, row.heartbeat_at))
            for name in self.names:
                insert = dialect_insert(conn, leases).values(
                    name=name,
                    run_id=self.run_id,
                    holder=self.holder,
                    acquired_at=now,
                    heartbeat_at=now,
                )
                previous = current.get(name)
                conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=["name"],
                        set_={
                            "run_id": insert.excluded.run_id,
                            "holder": insert.excluded.holder,
                            "acquired_at": insert.excluded.acquired_at,
                            "heartbeat_at": insert.excluded.heartbeat_at,
                        },
                        # only over the stale row we looked at, never one renewed since
                        where=and_(
                            leases.c.holder == (previous.holder if previous else ""),
                            leases.c.heartbeat_at == (previous.heartbeat_at if previous else now),
                        ),
                    )
                )
            owned = conn.execute(
                select(leases.c.name).where(
                    leases.c.name.in_(self.names), leases.c.holder == self.holder
                )
            ).scalars()
            missing = set(self.names) - set(owned)
            if missing:
                raise LockHeld(
                    f"connection {sorted(missing)[0]!r} was just taken by another sync; "
                    "try again later"
                )
        return taken

    def attach_run(self, conn: Connection, run_id: int) -> None:
        self.run_id = run_id
        conn.execute(update(leases).where(leases.c.holder == self.holder).values(run_id=run_id))

    def fence(self, conn: Connection) -> None:
        """Renew inside a write transaction; raise if any lease is no longer ours."""
        if self.lost:
            raise LeaseLost(self.lost)
        renewed = conn.execute(
            update(leases)
            .where(leases.c.name.in_(self.names), leases.c.holder == self.holder)
            .values(heartbeat_at=_now())
        ).rowcount
        if renewed != len(self.names):
            self.lost = "this run's lease was taken over by another sync; stopping without writing"
            raise LeaseLost(self.lost)

    def start_heartbeat(self) -> None:
        interval = max(self.ttl.total_seconds() / 4, 0.5)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    with self.store.begin() as conn:
                        self.fence(conn)
                except LeaseLost:
                    return
                except Exception as exc:  # keep beating; the batch fence decides
                    log.warning("lease heartbeat failed: %s", exc)

        self._thread = threading.Thread(target=beat, name="hub-lease-heartbeat", daemon=True)
        self._thread.start()

    def release(self) -> None:
        _HELD_HERE.discard(self.holder)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.store.begin() as conn:
                conn.execute(delete(leases).where(leases.c.holder == self.holder))
        except Exception as exc:  # the lease will go stale by itself
            log.warning("could not release the lease: %s", exc)


def held(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(leases).order_by(leases.c.name))]
