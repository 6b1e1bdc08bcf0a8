"""Where a `hub sync` waits on its store: wall time per statement, in process.

py-spy sees the hub's Python but not the database: a thread waiting for
PostgreSQL's answer is idle to a sampler. This runs `hub sync ...` in this
process with SQLAlchemy's cursor events timing every statement (grouped by
its first 70 characters), plus the staging `COPY` (raw driver, no event)
and the whole batch commit, and prints the totals at exit:

    cd <a project> && ../.venv/bin/python bench/store_statements.py sync --stream activities

A statement's time is the round trip: the server's work plus, on a busy
machine, the wait for a core and for the GIL (the reading thread parses the
next batch meanwhile). Compare runs side by side, never across machines.
"""

from __future__ import annotations

import atexit
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from hub.store import records, staging
from hub.sync import stream

TOTALS: defaultdict[str, float] = defaultdict(float)
COUNTS: Counter[str] = Counter()
_STARTED = time.perf_counter()


def _key(statement: str) -> str:
    return " ".join(statement.split())[:70]


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
    conn.info.setdefault("hub_bench_started", []).append(time.perf_counter())


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    key = _key(statement)
    TOTALS[key] += time.perf_counter() - conn.info["hub_bench_started"].pop()
    COUNTS[key] += 1


def _timed(owner: type, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TOTALS[label] += time.perf_counter() - started
            COUNTS[label] += 1

    setattr(owner, name, timed)


_timed(staging.StagingTable, "load", "@ staging (Arrow -> CSV -> COPY), whole")
_timed(records.RecordWriter, "upsert", "@ RecordWriter.upsert, whole")
_timed(stream.StreamSync, "commit", "@ batch transaction, whole")


@atexit.register
def _report() -> None:
    out = sys.stderr
    print(f"\nwall {time.perf_counter() - _STARTED:.2f} s", file=out)
    for key, total in sorted(TOTALS.items(), key=lambda item: -item[1])[:30]:
        print(f"{total:9.3f} s {COUNTS[key]:6d}  {key}", file=out)


if __name__ == "__main__":
    from hub.cli import main

    sys.argv = ["hub", *sys.argv[1:]]
    main()
