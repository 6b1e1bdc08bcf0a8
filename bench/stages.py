"""A sync of the activities file, split into its stages and timed.

Runs in the hub's own virtualenv, in-process, with the hub's real code:

1. read: the CSV reader alone (`CsvFile.rows`: decoding, csv parsing, offsets);
2. map: the adapter's batches minus the reader (cell parsers, pydantic
   validation, rejects);
3. store: each batch written as the engine writes it (`RecordWriter.upsert`
   in a write transaction), split into Python row preparation, each SQL
   statement the driver runs (SQLite or PostgreSQL at work) and the commit.

`--resync-changed` times a second pass instead: after the first load, the
file is replaced by its 1%-changed version and read again as a new complete
snapshot (a new generation), as `hub sync` does.

The engine's per-batch bookkeeping (checkpoint, run counters, rejects) is
left out, so stage sums are a little under a real `hub sync`; the profile
(`profile_ingest.py`) shows the rest.

What-if switches try a change without touching the hub's code: `--pragma`
(on every SQLite connection), `--sql` (run once before the timed part, e.g.
`DROP INDEX ...`), `--after` (timed SQL after the load, e.g. `CREATE INDEX ...`),
`--keep-connection` (one SQLite connection for every batch), `--copy-upsert`
(PostgreSQL: rows COPYed to a staging table, one set-based upsert), `--batch-size`,
`--gc-threshold`.

    .venv/bin/python bench/stages.py --size 100k
    .venv/bin/python bench/stages.py --size 1M --keep-connection
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time
from collections import Counter
from pathlib import Path
from typing import Any

from copy_upsert import CopyUpsertConnection
from generate import Plan, ensure, parse_size, size_label
from hub_csv.reader import CsvFile
from hub_project import replace_file, write_project
from sqlalchemy import create_engine, event

from hub.adapters.contract import Adapter, ReadContext, Stream
from hub.config import load_config
from hub.connections import open_adapter
from hub.plugins import load_registry
from hub.store.database import Store, _configure_sqlite
from hub.store.records import RecordWriter
from hub.store.types import dumps
from hub.sync.engine import SyncEngine, SyncOptions

BENCH = Path(__file__).resolve().parent


class TimedConnection:
    """A connection whose `exec_driver_sql` calls are timed, per statement."""

    def __init__(self, conn: Any, seconds: Counter[str]) -> None:
        self._conn = conn
        self.seconds = seconds

    def exec_driver_sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._conn.exec_driver_sql(sql, *args, **kwargs)
        finally:
            what = " ".join(sql.split()[:3]).replace(" (", "")  # "INSERT INTO links"
            self.seconds[what] += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def timed_pass(
    store: Store,
    adapter: Adapter,
    stream: Stream,
    generation: int,
    args: argparse.Namespace,
) -> dict[str, float]:
    """Read the whole file and write every batch; seconds per stage."""
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=args.batch_size)
    writer = RecordWriter(store.dialect, "files", "activities", "activities", {})
    bulk_statements = {"stage_rows": writer._upsert_sql, "stage_links": writer._links_sql}
    read_map = prep_and_sql = commit = 0.0
    sql: Counter[str] = Counter()
    reading = iter(adapter.read(stream, None, ctx))
    while True:
        started = time.perf_counter()
        batch = next(reading, None)
        read_map += time.perf_counter() - started
        if batch is None:
            break
        now = dt.datetime.now(dt.UTC)
        with store.begin() as conn:
            if args.copy_upsert:
                conn = CopyUpsertConnection(conn, bulk_statements)
            started = time.perf_counter()
            writer.upsert(TimedConnection(conn, sql), batch.records, generation, now)  # type: ignore[arg-type]
            prep_and_sql += time.perf_counter() - started
            started = time.perf_counter()
        commit += time.perf_counter() - started
    stages = {"read + map": read_map, "store: Python row prep": prep_and_sql - sum(sql.values())}
    stages |= {f"store: {what}": seconds for what, seconds in sql.items()}
    stages["store: commit"] = commit
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", type=parse_size)
    parser.add_argument("--store", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--resync-changed", action="store_true", help="time the 1%% re-sync")
    parser.add_argument("--pragma", action="append", default=[], help="e.g. synchronous=OFF")
    parser.add_argument("--sql", action="append", default=[], help="run once before timing")
    parser.add_argument("--after", action="append", default=[], help="timed SQL after the load")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--gc-threshold", type=int, help="first-generation GC threshold")
    parser.add_argument(
        "--copy-upsert",
        action="store_true",
        help="PostgreSQL: the writer's statements through COPY + one INSERT ... SELECT",
    )
    parser.add_argument(
        "--keep-connection",
        action="store_true",
        help="one SQLite connection for all batches (a pool) instead of one per transaction",
    )
    args = parser.parse_args()

    label = size_label(args.size)
    data = BENCH / "data" / label
    ensure(data, Plan.for_activities(args.size))
    work = BENCH / "data" / "runs" / label / "stages"
    store_url = f"sqlite:///{work / 'hub.db'}" if args.store == "sqlite" else args.store
    activities = write_project(work, data, store_url)

    config = load_config(work / "hub.toml")
    registry = load_registry()
    store = Store(config.store_url())
    SyncEngine(config, registry, store).run(SyncOptions(streams=("managers", "customers")))
    with store.begin() as conn:
        for statement in args.sql:
            conn.exec_driver_sql(statement)
    if args.keep_connection and store.dialect == "sqlite":
        # What Store would do with a pooled engine: the connection (and SQLite's
        # page cache with it) survives from one batch to the next.
        store.engine.dispose()
        store.engine = create_engine(store.url, json_serializer=dumps, pool_size=1)
        _configure_sqlite(store.engine)
    if args.pragma:

        @event.listens_for(store.engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            for pragma in args.pragma:
                dbapi_conn.execute(f"PRAGMA {pragma}")

    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold)

    adapter = open_adapter(config, registry, "files")
    stream = next(s for s in adapter.streams() if s.entity == "activities")
    generation = 1
    if args.resync_changed:
        timed_pass(store, adapter, stream, generation, args)
        replace_file(activities, data / "activities_changed.csv")
        generation += 1

    started = time.perf_counter()
    rows = sum(1 for _ in CsvFile(activities).rows())
    read = time.perf_counter() - started
    stages = timed_pass(store, adapter, stream, generation, args)
    started = time.perf_counter()
    with store.begin() as conn:
        for statement in args.after:
            conn.exec_driver_sql(statement)
    if args.after:
        stages["store: --after statements"] = time.perf_counter() - started
    store.dispose()

    stages = {
        "read (CsvFile.rows)": read,
        "map (parse + validate)": stages.pop("read + map") - read,
        **stages,
    }
    total = sum(stages.values())
    what = "1%-changed re-sync" if args.resync_changed else "first sync"
    print(f"{what}: {rows:,} rows, store {store.dialect}")
    print(f"{'stage':<36} {'seconds':>8} {'µs/row':>8} {'share':>6}")
    for name, seconds in [*stages.items(), ("total", total)]:
        print(f"{name:<36} {seconds:8.2f} {seconds / rows * 1e6:8.1f} {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
