"""Workers tell the store they are alive: for `hub workers`, and for the SQLite rule.

A SQLite store is a file on one machine: workers on two hosts would each
see their own file (or corrupt a shared one over a network file system), so a
worker refuses to start on a SQLite store while a live worker of another host
is registered. On PostgreSQL any number of hosts may work.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from celery import signals
from sqlalchemy import delete, select, update

from hub.adapters import sharedstate
from hub.engine.project import project
from hub.engine.settings import EngineSettings
from hub.engine.tables import engine_workers
from hub.errors import ConfigError
from hub.store.database import Store, dialect_insert

log = logging.getLogger("hub.engine")

HEARTBEAT_SECONDS = 15
ALIVE_SECONDS = 4 * HEARTBEAT_SECONDS
"""A worker whose heartbeat is older than this is taken for gone."""

_stop = threading.Event()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def live_workers(store: Any, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    if store.current_revision() is None:
        return []
    since = (now or _now()) - dt.timedelta(seconds=ALIVE_SECONDS)
    with store.read() as conn:
        rows = conn.execute(
            select(engine_workers)
            .where(engine_workers.c.heartbeat_at >= since)
            .order_by(engine_workers.c.name)
        )
        return [dict(r._mapping) for r in rows]


def check_single_host(store: Any, host: str) -> None:
    """Refuse a second host on a SQLite store (one line, exit code 2)."""
    if store.dialect != "sqlite":
        return
    others = sorted({w["host"] for w in live_workers(store) if w["host"] != host})
    if others:
        raise ConfigError(
            f"store {store.display_url}: SQLite serves workers on one host only, and a worker "
            f"is running on {others[0]}: use a PostgreSQL store for workers on several hosts"
        )


def share_vendor_limits(settings: EngineSettings, open_store: Callable[[], Store] | None) -> None:
    """Workers share access tokens, in-flight budgets and daily credits through the
    broker's Redis or the store (`[engine] shared_limits`); an explicit `$HUB_TOKEN_CACHE`
    still decides where tokens are kept. `open_store` gives this process's store (None:
    its schema is not there yet, so nothing is shared through it)."""
    backend = settings.limits_backend
    if backend == "redis":
        if settings.broker_kind != "redis":
            raise ConfigError("engine.shared_limits = 'redis' needs a redis:// broker")
        url = settings.broker
        sharedstate.use(lambda: sharedstate.RedisShared(url))
    elif backend == "store" and open_store is not None:
        from hub.engine.budget import StoreShared

        opener = open_store
        sharedstate.use(lambda: StoreShared(opener()))
    else:
        sharedstate.use(None)


@signals.worker_init.connect
def _on_init(sender: Any = None, **_: Any) -> None:
    p = project()
    p.store.upgrade()
    check_single_host(p.store, socket.gethostname())
    share_vendor_limits(p.settings, lambda: project().store)  # per process, after the fork


@signals.worker_ready.connect
def _on_ready(sender: Any = None, **_: Any) -> None:
    name = getattr(sender, "hostname", None) or f"celery@{socket.gethostname()}"
    p = project()
    now = _now()
    with p.store.begin() as conn:
        insert = dialect_insert(conn, engine_workers).values(
            name=name,
            host=socket.gethostname(),
            pid=os.getpid(),
            queue=p.settings.queue,
            started_at=now,
            heartbeat_at=now,
        )
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["name"],
                set_={
                    "host": insert.excluded.host,
                    "pid": insert.excluded.pid,
                    "queue": insert.excluded.queue,
                    "started_at": insert.excluded.started_at,
                    "heartbeat_at": insert.excluded.heartbeat_at,
                },
            )
        )

    def beat() -> None:
        while not _stop.wait(HEARTBEAT_SECONDS):
            try:
                with p.store.begin() as conn:
                    conn.execute(
                        update(engine_workers)
                        .where(engine_workers.c.name == name)
                        .values(heartbeat_at=_now())
                    )
            except Exception as exc:  # the store is down for a moment: keep trying
                log.warning("worker heartbeat failed: %s", exc)

    threading.Thread(target=beat, name="hub-worker-heartbeat", daemon=True).start()


@signals.worker_shutdown.connect
def _on_shutdown(sender: Any = None, **_: Any) -> None:
    _stop.set()
    name = getattr(sender, "hostname", None)
    if not name:
        return
    try:
        with project().store.begin() as conn:
            conn.execute(delete(engine_workers).where(engine_workers.c.name == name))
    except Exception as exc:  # the row goes stale by itself
        log.warning("could not unregister the worker: %s", exc)
