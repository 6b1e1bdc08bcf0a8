"""Opening the store, transactions and schema migrations.

SQLite (a file, zero setup) and PostgreSQL (for teams) behave the same from
the outside. On SQLite the store runs in WAL mode, so readers never wait for
the sync, and write transactions start with `BEGIN IMMEDIATE`, so two writers
queue instead of failing half-way.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from hub.errors import StoreError
from hub.store.types import dumps

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

SQLITE_BUSY_TIMEOUT_MS = 60_000

SCHEMA_VERSION = "0015"
"""The newest migration's revision; `tests/test_store.py` checks it against
alembic, so a new migration must update it."""


class Store:
    """A connection to the hub's SQL store."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"store: unsupported database {self.dialect!r} (sqlite, postgresql)")
        kwargs: dict[str, Any] = {"json_serializer": dumps, "echo": echo}
        if self.dialect == "sqlite":
            # Connections are kept and reused, so SQLite's page cache stays warm
            # from one batch to the next. The pool hands a connection to one
            # thread at a time (the sync, the lease heartbeat), which makes
            # sharing them across threads safe. Last in, first out: the batch loop
            # keeps getting the same warm connection, and the others (the heartbeat,
            # the adapter's digest look-ups) do not each fill a page cache of their own.
            kwargs["poolclass"] = QueuePool
            kwargs["pool_size"] = 2
            kwargs["pool_use_lifo"] = True
            kwargs["max_overflow"] = 8
            kwargs["connect_args"] = {
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
            }
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        if self.dialect != "sqlite" or self.url.database in (None, "", ":memory:"):
            return None
        return Path(self.url.database)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: commits on success, rolls back on any error."""
        with self._connect() as conn:
            conn.execution_options(hub_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction."""
        with self._connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"store {self.display_url}: cannot connect: {reason}") from None
        with conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # -- schema --------------------------------------------------------------

    def head_revision(self) -> str:
        """The newest migration, as alembic sees the scripts."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""

    def current_revision(self) -> str | None:
        """The store's schema version (None: an empty store)."""
        if self.sqlite_path is not None and not self.sqlite_path.exists():
            return None
        with self.read() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def is_current(self) -> bool:
        return self.current_revision() == SCHEMA_VERSION

    def upgrade(self) -> bool:
        """Bring the schema to the newest version; True if anything was applied.

        Concurrent callers are serialised (an advisory lock on PostgreSQL, the
        write lock on SQLite), so two first syncs cannot race to create tables.
        Alembic is only imported when there is something to do.
        """
        if self.is_current():
            return False
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        cfg = _alembic_config()
        with self.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            before = MigrationContext.configure(conn).get_current_revision()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            return before != self.head_revision()


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hub.store") / "migrations"))
    return cfg


def dialect_insert(conn: Connection, table: Table) -> Any:
    """INSERT with the dialect's ON CONFLICT support."""
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


_LOCK_KEY = int.from_bytes(hashlib.sha256(b"hub.store.migrations").digest()[:7], "big")


def _use_wal(cursor: Any) -> None:
    """Switch a database file to WAL once (the mode is stored in the file).

    The switch needs a moment without other writers, and SQLite does not
    wait for it the way it waits for locks, so a new file being created by
    two processes at once is retried briefly."""
    for attempt in range(50):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL
        cursor.execute("PRAGMA cache_size = -32768")  # 32 MiB
        # batches are staged in memory (hub.store.staging), not in temporary files
        cursor.execute("ATTACH DATABASE ':memory:' AS hub_stage")
        # Temporary B-trees (the sorts of an index rebuilt after a bulk load) stay
        # on disk: in memory they grew the peak RSS with the table (282 MB at 1M rows).
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("hub_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
