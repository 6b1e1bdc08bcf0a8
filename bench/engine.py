"""Benchmark: 16 connections synced by 1, 2 and 4 worker processes against one local run.

    .venv/bin/python bench/engine.py --connections 16 --records 2000 --latency-ms 20

Starts `hub fake-zoho` (its own process, with per-request latency) and writes a
throwaway project whose N connections all read that fake (each connection is
its own source in the store). Each case syncs into a fresh PostgreSQL
database (`--postgres`, default $HUB_TEST_POSTGRES_URL) on the Redis broker
(`--broker`):

- local: one `hub sync`, connection after connection;
- engine-K: one `hub worker -- --concurrency K` (K pool processes) and
  `hub sync --engine`, timed from sending the run to its end.

Reported per case: wall time, records per second, and the engine's overhead
per task: (wall × processes − the time tasks spent inside their streams) ÷
tasks, i.e. what a task costs beyond its own sync (broker round trips, the
store reads that make a task idempotent, lease, waiting in the queue behind a
busy process). Access tokens are shared through `.hub/tokens` (one mint for
the whole bench: the fake, like Zoho, allows ten per ten minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HUB = ROOT / ".venv" / "bin" / "hub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_fake(records: int, latency_ms: float, port: int) -> tuple[subprocess.Popen, str]:
    command = [str(HUB), "fake-zoho", "--port", str(port), "--records", str(records)]
    command += ["--latency-ms", str(latency_ms), "--concurrency-limit", "1000"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("module ="):
            break
    return process, "".join(lines)


def connections_toml(snippet: str, count: int) -> str:
    """The fake's [connections.zoho_demo] tables, once per connection name."""
    return "\n\n".join(
        snippet.replace("[connections.zoho_demo", f"[connections.zoho_{n:02d}")
        for n in range(count)
    )


def new_database(admin_url: str) -> str:
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def write_project(folder: Path, store: str, broker: str, snippet: str, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    config = folder / "hub.toml"
    config.write_text(
        f'store = "{store}"\ntimezone = "Asia/Shanghai"\n\n'
        f'[engine]\nbroker = "{broker}"\nqueue = "{queue}"\n\n'
        + connections_toml(snippet, count)
        + "\n",
        encoding="utf-8",
    )
    return config


def stream_seconds(store: str, run_id: int) -> tuple[float, int, int]:
    """Seconds spent inside streams, tasks (streams + follow-ups), records read."""
    engine = create_engine(store)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT started_at, finished_at, read FROM run_streams WHERE run_id = :r"),
            {"r": run_id},
        ).all()
        followups = conn.execute(
            text("SELECT count(*) FROM run_followups WHERE run_id = :r"), {"r": run_id}
        ).scalar()
    engine.dispose()

    def when(v: object) -> dt.datetime:
        return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))

    busy = sum((when(f) - when(s)).total_seconds() for s, f, _ in rows)
    return busy, len(rows) + int(followups or 0), sum(r for _, _, r in rows)


def run_local(config: Path, env: dict[str, str]) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [str(HUB), "-C", str(config), "sync", "--json"], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    assert done.returncode in (0, 5), done.stderr
    report = json.loads(done.stdout)
    records = sum(s["read"] for s in report["streams"])
    return {"case": "local", "processes": 1, "wall_s": wall, "records": records, "tasks": 0}


def run_engine(config: Path, store: str, processes: int, env: dict[str, str]) -> dict:
    log = (config.parent / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(HUB), "-C", str(config), "worker", "--", "--concurrency", str(processes)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # ready once it registered in the store
            engine = create_engine(store)
            try:
                with engine.connect() as conn:
                    ready = conn.execute(text("SELECT count(*) FROM engine_workers")).scalar()
            except Exception:
                ready = 0
            finally:
                engine.dispose()
            if ready:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # the pool processes finish starting
        start = time.perf_counter()
        done = subprocess.run(
            [str(HUB), "-C", str(config), "sync", "--engine", "--json"],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - start
        assert done.returncode in (0, 5), done.stderr
        run_id = json.loads(done.stdout)["run_id"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
    busy, tasks, records = stream_seconds(store, run_id)
    return {
        "case": f"engine-{processes}",
        "processes": processes,
        "wall_s": wall,
        "records": records,
        "tasks": tasks,
        "busy_s": busy,
        "overhead_per_task_ms": 1000 * (wall * processes - busy) / tasks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--records", type=int, default=2000, help="records in the fake org")
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
        ),
    )
    args = parser.parse_args()

    work = HERE / "data" / "engine"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HUB_STATE_DIR": str(work / "state")}
    fake, snippet = start_fake(args.records, args.latency_ms, free_port())
    results = []
    try:
        cases = [("local", 0)] + [("engine", int(k)) for k in args.workers.split(",")]
        for kind, processes in cases:
            store = new_database(args.postgres)
            config = write_project(
                work / f"{kind}-{processes}", store, args.broker, snippet, args.connections
            )
            if kind == "local":
                result = run_local(config, env)
            else:
                result = run_engine(config, store, processes, env)
            result["records_per_s"] = result["records"] / result["wall_s"]
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        fake.terminate()
        fake.wait()
    print()
    print(
        f"{args.connections} connections x {args.records} fake Zoho records, "
        f"{args.latency_ms:g} ms latency; {platform.node()}, {os.cpu_count()} cores, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print("| case | processes | wall (s) | records | records/s | tasks | overhead per task (ms) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        overhead = f"{r['overhead_per_task_ms']:.0f}" if "overhead_per_task_ms" in r else ""
        print(
            f"| {r['case']} | {r['processes']} | {r['wall_s']:.1f} | {r['records']} | "
            f"{r['records_per_s']:.0f} | {r['tasks'] or ''} | {overhead} |"
        )


if __name__ == "__main__":
    sys.exit(main())
