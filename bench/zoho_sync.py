"""Benchmark: `hub sync` from the loopback fake Zoho CRM, against the concurrency floor.

    .venv/bin/python bench/zoho_sync.py --records 50000 --latency-ms 20

Starts `hub fake-zoho` in its own process (so serving does not compete with
the sync for the GIL), writes a throwaway hub project (SQLite store in
bench/data/zoho-N/), and times, each as its own process (wall time and peak
RSS of exactly that process, via `measure.run`):

1. transfer only: a `hub sync` with the Zoho mapping switched off (no
   records to store, only checkpoints), i.e. the adapter's requests, paging,
   concurrency and lookups, the part the floor describes; after one
   unmeasured pass that warms the fake's per-record JSON cache;
2. the first, complete `hub sync --json`;
3. a `hub sync --json` with nothing changed.

With `--profile`, one more first sync (into a fresh store) runs under
py-spy (`bench/.venv`, see bench/requirements.txt) sampling only the thread
that holds the GIL, i.e. where the process's CPU goes; the raw samples are
written to bench/profiles/ and summed up by stage.

Each is reported twice: the process's wall time (interpreter start-up,
imports and opening the connection included) and the run's own, from its
record in the store (`runs.started_at` to `finished_at`).

The floor is the one the issue names: requests × latency ÷ concurrency,
with the requests counted by the fake during the first sync and the
concurrency the adapter is allowed (`max_concurrency`, within the fake org's
limit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HUB = ROOT / ".venv" / "bin" / "hub"
PYTHON = ROOT / ".venv" / "bin" / "python"
sys.path.insert(0, str(HERE))

from measure import run  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(url: str, reset: bool = False) -> dict:
    request = urllib.request.Request(f"{url}/__fake__/stats", method="POST" if reset else "GET")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def start_fake(
    records: int, latency_ms: float, limit: int, port: int
) -> tuple[subprocess.Popen, str]:
    command = [
        str(HUB),
        "fake-zoho",
        "--port",
        str(port),
        "--records",
        str(records),
        "--latency-ms",
        str(latency_ms),
        "--concurrency-limit",
        str(limit),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:  # the [connections] tables, then it serves
        lines.append(line)
        if line.startswith("module ="):
            break
    return process, "".join(lines)


def transfer_only(config: str) -> None:
    """`hub sync` with the Zoho mapping switched off: only the transfer (and checkpoints)."""
    from hub_zoho import mapping

    from hub.cli import run as hub

    mapping.Mapper.rows = lambda self, module, records, into=None: into  # type: ignore
    mapping.Mapper.user_rows = lambda self, users, deleted=False, into=None: into  # type: ignore
    sys.exit(hub(["-C", config, "sync", "--full-refresh", "--json"]))


def older_path(checkout: str) -> str:
    root = Path(checkout).resolve()
    return f"{root}{os.pathsep}{root / 'plugins' / 'zoho'}"


def median_run(runs: list[tuple[Any, float]]) -> tuple[Any, float]:
    """The run of median process wall time (and its own run time)."""
    ordered = sorted(runs, key=lambda r: r[0].wall_seconds)
    return ordered[(len(ordered) - 1) // 2]


def run_seconds(database: Path) -> float:
    """The last run's own duration, from its record in the store."""
    import sqlite3

    with sqlite3.connect(database) as db:
        started, finished = db.execute(
            "select started_at, finished_at from runs order by id desc limit 1"
        ).fetchone()
    parse = dt.datetime.fromisoformat
    return (parse(finished) - parse(started)).total_seconds()


STAGES = [
    ("start-up: imports, plugins, store upgrade", ("importlib", "Store.upgrade", "get_registry")),
    ("core: references resolved at the end", ("resolve_references", "count_unresolved")),
    ("core: storing batches (SQL, JSON of extra, times)", ("StreamSync.commit", "hub/store/")),
    ("core: model validation (pydantic)", ("pydantic/", "hub/model.py")),
    ("zoho: mapping", ("hub_zoho/mapping.py", "hub_zoho/references.py")),
    ("zoho: JSON decoding of pages", ("ZohoClient._answer",)),
    ("zoho: HTTP (httpx, httpcore, tenacity)", ("ZohoClient", "httpx/", "httpcore/")),
    ("zoho: paging, spans, state, batches", ("hub_zoho/",)),
    ("core: engine (batch checks, progress)", ("hub/sync/engine.py", "hub/sync/progress.py")),
    ("thread hand-offs (queues, locks)", ("prefetch.py", "queue.py", "threading.py")),
]
"""Each sample goes to the first stage whose marker appears in its stack."""


def profile(work: Path, latency_ms: float) -> str:
    """A first sync under py-spy (GIL holder only), summed up by stage."""
    spy = HERE / ".venv" / "bin" / "py-spy"  # bench/requirements.txt
    if not spy.exists():
        spy = Path(shutil.which("py-spy") or spy)
    out = HERE / "profiles" / f"zoho-{work.name.removeprefix('zoho-')}-gil.txt"
    for old in work.glob("hub.db*"):
        old.unlink()
    command = [spy, "record", "--gil", "--threads", "--format", "raw", "--output", out]
    run([*command, "--", PYTHON, HUB, "sync", "--json"], cwd=work)
    stages: dict[str, int] = {name: 0 for name, _ in STAGES}
    stages["other"] = 0
    for line in out.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        name = next((n for n, marks in STAGES if any(m in stack for m in marks)), "other")
        stages[name] += int(count)
    total = sum(stages.values())
    lines = [
        f"profile ({latency_ms:g} ms): {total} samples at 100 Hz of the GIL holder, in "
        f"{out.relative_to(ROOT)}",
        "",
        "| stage | CPU s | share |",
        "| --- | ---: | ---: |",
    ]
    for name, samples in sorted(stages.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {samples / 100:.2f} | {samples / total:.0%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=5, help="the adapter's max_concurrency")
    parser.add_argument(
        "--org-limit", type=int, default=10, help="the fake org's concurrency limit"
    )
    parser.add_argument("--profile", action="store_true", help="also profile a first sync")
    parser.add_argument(
        "--repeat", type=int, default=1, help="first syncs to run (fresh store each), median shown"
    )
    parser.add_argument(
        "--compare",
        metavar="CHECKOUT",
        help="also run the first syncs with the hub and Zoho plugin of an older checkout "
        "(a `git archive` of hub/ and plugins/zoho/), alternating with this one",
    )
    parser.add_argument("--transfer-only", metavar="HUB_TOML", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.transfer_only:
        transfer_only(args.transfer_only)

    work = HERE / "data" / f"zoho-{args.records}-{args.latency_ms:g}ms"
    work.mkdir(parents=True, exist_ok=True)
    for old in [*work.glob("hub.db*"), *work.glob("transfer.db*")]:
        old.unlink()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    fake, connection = start_fake(args.records, args.latency_ms, args.org_limit, port)
    try:
        connection = connection.replace(
            'adapter = "zoho"\n', f'adapter = "zoho"\nmax_concurrency = {args.concurrency}\n', 1
        )
        config = work / "hub.toml"
        config.write_text(f'store = "sqlite:///hub.db"\n\n{connection}', encoding="utf-8")
        transfer_config = work / "transfer.toml"
        transfer_config.write_text(
            f'store = "sqlite:///transfer.db"\n\n{connection}', encoding="utf-8"
        )

        # A first pass lets the fake render (and cache) every record once: its JSON
        # encoding is the fake's cost, not the adapter's; Zoho's servers are elsewhere.
        run([PYTHON, __file__, "--transfer-only", transfer_config], cwd=work)
        stats(url, reset=True)
        transfer = run([PYTHON, __file__, "--transfer-only", transfer_config], cwd=work)
        transfer_run = run_seconds(work / "transfer.db")
        transfer_stats = stats(url, reset=True)
        firsts: dict[str, list[tuple[Any, float]]] = {"this": [], "older": []}
        codes = ["this", "older"] if args.compare else ["this"]
        for i in range(args.repeat):
            for code in codes if i % 2 == 0 else codes[::-1]:
                for old in work.glob("hub.db*"):
                    old.unlink()
                env = {"PYTHONPATH": older_path(args.compare)} if code == "older" else None
                measured = run([HUB, "sync", "--json"], cwd=work, env=env)
                firsts[code].append((measured, run_seconds(work / "hub.db")))
                first_stats = stats(url, reset=True)
        first = median_run(firsts["this"])[0]
        second = run([HUB, "sync", "--json"], cwd=work)
        second_run = run_seconds(work / "hub.db")
        second_stats = stats(url)
        profiled = profile(work, args.latency_ms) if args.profile else ""
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    latency = args.latency_ms / 1000
    requests = sum(first_stats["requests"].values())
    floor = requests * latency / args.concurrency
    listing = {
        path.rsplit("/", 1)[-1]: n
        for path, n in first_stats["requests"].items()
        if path.count("/") == 3 and "settings" not in path and "users" not in path
    }
    report = json.loads(first.stdout)
    read = sum(s["read"] for s in report["streams"])
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    loads = ", ".join(f"{m.load_before:.2f}" for runs in firsts.values() for m, _ in runs)
    print(f"load average before each first sync: {loads}")
    print(f"command: {' '.join(sys.argv)}")
    print(
        f"fake org: {args.records} records, {args.latency_ms:g} ms per request, "
        f"org limit {args.org_limit} in flight; adapter max_concurrency {args.concurrency}"
    )
    print()
    print(
        "| run | process wall s | run wall s | CPU s | peak RSS MB | records | requests | floor s "
        "| process / floor | run / floor |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    t_requests = sum(transfer_stats["requests"].values())
    t_floor = t_requests * latency / args.concurrency
    print(
        f"| transfer only | {transfer.wall_seconds:.1f} | {transfer_run:.1f} | "
        f"{transfer.cpu_seconds:.1f} | {transfer.peak_rss_mb:.0f} | | {t_requests} | "
        f"{t_floor:.2f} | "
        f"{transfer.wall_seconds / t_floor:.2f} | {transfer_run / t_floor:.2f} |"
    )
    for code in codes:
        m, m_run = median_run(firsts[code])
        label = "first sync" + (f" ({code} code)" if args.compare else "")
        label += f", median of {args.repeat}" if args.repeat > 1 else ""
        print(
            f"| {label} | {m.wall_seconds:.1f} | {m_run:.1f} | {m.cpu_seconds:.1f} | "
            f"{m.peak_rss_mb:.0f} | {read} | {requests} | {floor:.2f} | "
            f"{m.wall_seconds / floor:.2f} | {m_run / floor:.2f} |"
        )
    resync = json.loads(second.stdout)
    again = sum(s["read"] for s in resync["streams"])
    print(
        f"| no-change re-sync | {second.wall_seconds:.1f} | {second_run:.1f} | "
        f"{second.cpu_seconds:.1f} | {second.peak_rss_mb:.0f} | {again} | "
        f"{sum(second_stats['requests'].values())} | | | |"
    )
    print()
    print(f"first sync, requests by path: {first_stats['requests']}")
    print(f"first sync, statuses: {first_stats['statuses']}")
    print(f"first sync, most requests in flight: {first_stats['max_in_flight']}")
    largest = max(listing, key=listing.get)
    print(f"largest module: {largest}, {listing[largest]} requests")
    print(f"re-sync, requests by path: {second_stats['requests']}")
    print(f"re-sync, statuses: {second_stats['statuses']}")
    print(f"streams: {[(s['stream'], s['read'], s['status']) for s in report['streams']]}")
    if profiled:
        print()
        print(profiled)


if __name__ == "__main__":
    main()
