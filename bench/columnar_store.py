"""The columnar path's own speed: an Arrow adapter into the engine and the store.

`ingest.py` measures `hub sync` end to end with the CSV adapter, whose cell
parsing is its own (issue 11.3). This runner isolates what is behind it: an
adapter that yields ready Arrow tables of activities (the columns a
columnar CSV reader produces: 20 fields, references to managers and
customers, money, times, notes) and the engine's conform, staging and
set-based writes, checkpoints, links and `seen`, in one `hub sync` in this
process. It then re-syncs the same rows (nothing changes) and a copy with 1%
of the rows changed.

    .venv/bin/python bench/columnar_store.py --rows 1M
    .venv/bin/python bench/columnar_store.py --rows 1M --store postgresql+psycopg://postgres@127.0.0.1/hub_bench_columnar
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, text

from hub import hookimpl
from hub.adapters.contract import Adapter, AdapterSpec, Batch, CheckResult, ReadContext, Stream
from hub.model import Customer, Manager
from hub.plugins import load_registry
from hub.testing import Project

BENCH = Path(__file__).resolve().parent
KINDS = ["call", "visit", "message", "order", "email", "meeting"]


class SynthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: int
    changed_every: int = 0
    """Change every n-th row's status (0: none)."""


class Synth(Adapter):
    config: SynthSettings

    def check(self) -> CheckResult:
        return CheckResult(True, "synthetic")

    def streams(self) -> list[Stream]:
        return [
            Stream("managers", "managers"),
            Stream("customers", "customers"),
            Stream("activities", "activities"),
        ]

    def read(self, stream: Stream, state: Any, ctx: ReadContext) -> Iterator[Batch]:
        n = self.config.rows
        if stream.entity == "managers":
            records = [
                Manager(source=self.context.connection, source_id=f"m{i}", name=f"经理{i}")
                for i in range(max(n // 2000, 1))
            ]
            yield Batch(records=records, state={}, snapshot_begins=True, snapshot_complete=True)
            return
        if stream.entity == "customers":
            m = max(n // 2000, 1)
            records = [
                Customer(
                    source=self.context.connection,
                    source_id=f"c{i}",
                    name=f"客户{i}",
                    owner_source_id=f"m{i % m}",
                )
                for i in range(max(n // 20, 1))
            ]
            for i in range(0, len(records), ctx.batch_size):
                last = i + ctx.batch_size >= len(records)
                yield Batch(
                    records=records[i : i + ctx.batch_size],
                    state={},
                    snapshot_begins=i == 0,
                    snapshot_complete=last,
                )
            return
        size = ctx.batch_size
        template = _template(size, n)
        for start in range(0, n, size):
            count = min(size, n - start)
            ids = [f"a{i}" for i in range(start, start + count)]
            columns = {
                name: template.column(name).slice(0, count) for name in template.schema.names
            }
            columns["source_id"] = pa.array(ids, pa.string())
            customers = [f"c{(i * 7) % max(n // 20, 1)}" for i in range(start, start + count)]
            columns["customer_source_id"] = pa.array(customers, pa.string())
            if self.config.changed_every:
                changed = [
                    (i % self.config.changed_every) == 0 for i in range(start, start + count)
                ]
                columns["status"] = pc.if_else(pa.array(changed), "changed", columns["status"])
            yield Batch(
                records=pa.table(columns),
                state={"offset": start + count},
                snapshot_begins=start == 0,
                snapshot_complete=start + count >= n,
            )


def _template(size: int, n: int) -> pa.Table:
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    m = max(n // 2000, 1)
    return pa.table(
        {
            "kind": pa.array([KINDS[i % len(KINDS)] for i in range(size)]),
            "manager_source_id": pa.array([f"m{i % m}" for i in range(size)]),
            "occurred_at": pa.array(
                [base + dt.timedelta(minutes=i) for i in range(size)], pa.timestamp("us", "UTC")
            ),
            "logged_at": pa.array(
                [base + dt.timedelta(minutes=i, seconds=30) for i in range(size)],
                pa.timestamp("us", "UTC"),
            ),
            "status": pa.array(["done" if i % 4 else "open" for i in range(size)]),
            "subject": pa.array([f"跟进 {i}" for i in range(size)]),
            "content": pa.array(
                [f"客户说下周再联系, 电话 1380000{i % 10000:04d}" for i in range(size)]
            ),
            "amount": pa.array(
                [Decimal(f"{i}.50") if KINDS[i % 6] == "order" else None for i in range(size)],
                pa.decimal128(18, 2),
            ),
            "currency": pa.array(["CNY" if KINDS[i % 6] == "order" else None for i in range(size)]),
            "score": pa.array(
                [Decimal("4.5") if i % 10 == 0 else None for i in range(size)], pa.decimal128(18, 1)
            ),
            "duration_seconds": pa.array(
                [312 if KINDS[i % 6] == "call" else None for i in range(size)], pa.int64()
            ),
            "updated_at": pa.array([base] * size, pa.timestamp("us", "UTC")),
            "extra": pa.array(['{"channel":"wechat"}'] * size),
        }
    )


class SynthPlugin:
    @hookimpl
    def hub_register_adapters(self) -> Iterator[AdapterSpec]:
        yield AdapterSpec("synth-arrow", Synth, SynthSettings, "synthetic Arrow activities")


def _sync(project: Project, **options: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    report = project.sync(**options)
    wall = time.perf_counter() - started
    result = {r.stream: r for r in report.results}
    if report.exit_code != 0:
        raise SystemExit(f"sync failed: {[r.summary() for r in report.results]}")
    return wall, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1M")
    parser.add_argument("--store", default=None, help="store URL (default: a new SQLite file)")
    args = parser.parse_args()
    rows = int(args.rows.lower().replace("k", "000").replace("m", "000000"))
    work = BENCH / "data" / "runs" / f"columnar-{args.rows}"
    if work.exists():
        for f in work.iterdir():
            f.unlink()
    if args.store and args.store.startswith("postgresql"):
        base, name = args.store.rsplit("/", 1)
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    registry = load_registry()
    registry.register(SynthPlugin(), name="synth")
    project = Project(work, store_url=args.store, registry=registry)
    settings = {"adapter": "synth-arrow", "rows": rows}
    project.configure({"synth": settings})
    project.sync(streams=("managers", "customers"))
    wall, result = _sync(project, streams=("activities",))
    first = result["activities"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"first sync: {rows:,} rows in {wall:.2f} s = {rows / wall:,.0f} rows/s "
        f"({first.inserted:,} inserted), peak RSS {rss:.0f} MB"
    )
    again, result = _sync(project, streams=("activities",))
    print(
        f"re-sync, same rows: {again:.2f} s ({again / wall:.1%} of first; "
        f"{result['activities'].unchanged:,} unchanged)"
    )
    project.configure({"synth": settings | {"changed_every": 100}})
    changed, result = _sync(project, streams=("activities",))
    print(
        f"re-sync, 1% changed: {changed:.2f} s ({changed / wall:.1%} of first; "
        f"{result['activities'].updated:,} updated)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {rss:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
