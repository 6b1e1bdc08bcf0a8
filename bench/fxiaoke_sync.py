"""Benchmark: `hub sync` from the loopback fake Fxiaoke, against the rate-limit floor.

    .venv/bin/python bench/fxiaoke_sync.py --accounts 12000 --latency-ms 20 [--sequential]

Starts `hub fake-fxiaoke` in its own process (so serving does not compete
with the sync for the GIL), writes a throwaway hub project (SQLite store in
bench/data/), and times two `hub sync` runs as subprocesses (wall time and
peak RSS of exactly that process, via `measure.run`):

1. the first, complete sync;
2. a re-sync with nothing changed.

The adapter reads all objects side by side (`concurrent_streams`, the
default); `--sequential` sets `concurrent_streams = false` to read them one
after another, for comparison.

The floor: every object query goes through one interface,
/cgi/crm/v2/data/query, limited to 100 calls per 20 s. With N query calls
and a per-request latency L, call N cannot be sent before
20 s × floor((N-1)/100) (whole windows that must pass) nor finish before
one more L. The ratio wall / floor is the figure the issue asks for (target
≤ 1.2). Two other figures are printed for comparison: the steady-rate
reading N × 0.2 s, and N × L, the least a reader with one call in flight
needs (above the floor when L > 0.2 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from measure import run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HUB = ROOT / ".venv" / "bin" / "hub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_fake/stats") as response:
        return json.loads(response.read())


def start_fake(accounts: int, latency_ms: float, port: int) -> tuple[subprocess.Popen, str]:
    command = [
        str(HUB),
        "fake-fxiaoke",
        "--port",
        str(port),
        "--accounts",
        str(accounts),
        "--latency-ms",
        str(latency_ms),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines = []
    for line in process.stdout:  # the [connections] table, then it serves
        lines.append(line)
        if line.startswith("operator_user_id"):
            break
    return process, "".join(lines)


def floor_seconds(calls: int, latency: float, per_window: int = 100, window: float = 20.0) -> float:
    return (calls - 1) // per_window * window + latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=12000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--store", default=None, help="store URL (default: SQLite in bench/data)")
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="concurrent_streams = false (one object at a time)",
    )
    args = parser.parse_args()

    work = HERE / "data" / f"fxiaoke-{args.accounts}"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("hub.db*"):
        old.unlink()
    port = free_port()
    fake, connection = start_fake(args.accounts, args.latency_ms, port)
    url = f"http://127.0.0.1:{port}"
    try:
        store = args.store or "sqlite:///hub.db"
        mode = "\nconcurrent_streams = false\n" if args.sequential else "\n"
        (work / "hub.toml").write_text(
            f'store = "{store}"\n\n{connection.rstrip()}{mode}', encoding="utf-8"
        )
        settings = tomllib.loads(connection)["connections"]["fxiaoke"]
        assert settings["host"] == url
        records = stats(url)["records"]
        synced = sum(n for api, n in records.items() if api != "PersonnelObj")

        before = stats(url)
        first = run([HUB, "sync", "--json"], cwd=work)
        after_first = stats(url)
        second = run([HUB, "sync", "--json"], cwd=work)
        after_second = stats(url)
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    def queries(a: dict, b: dict) -> dict[str, int]:
        return {
            k: v - a["queries"].get(k, 0)
            for k, v in b["queries"].items()
            if v - a["queries"].get(k, 0)
        }

    first_queries = queries(before, after_first)
    calls = sum(first_queries.values())
    latency = args.latency_ms / 1000
    floor = floor_seconds(calls, latency)
    report = json.loads(first.stdout)
    rows_read = sum(s["read"] for s in report["streams"])
    resync = json.loads(second.stdout)
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"load average before the first sync: {first.load_before:.2f}")
    print(f"command: {' '.join(sys.argv)}")
    print(f"fake tenant: {synced} records ({records}); latency {args.latency_ms:g} ms per request")
    print()
    print("| run | wall s | peak RSS MB | records read | query calls | floor s | wall / floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| first sync | {first.wall_seconds:.1f} | {first.peak_rss_mb:.0f} | {rows_read} | "
        f"{calls} | {floor:.1f} | {first.wall_seconds / floor:.3f} |"
    )
    second_queries = queries(after_first, after_second)
    print(
        f"| no-change re-sync | {second.wall_seconds:.1f} | {second.peak_rss_mb:.0f} | "
        f"{sum(s['read'] for s in resync['streams'])} | {sum(second_queries.values())} | | |"
    )
    print()
    print(f"first sync, queries per object: {first_queries}")
    print(f"re-sync, queries per object: {second_queries}")
    print(f"streams: {'one after another' if args.sequential else 'side by side'}")
    print(f"steady-rate figure (calls × 0.2 s): {calls * 0.2:.1f} s")
    print(f"one call in flight at a time (calls × latency): {calls * latency:.1f} s")
    answered, tokens = after_second["answered"], after_second["token_calls"]
    print(f"errorCodes answered: {answered}; token calls: {tokens}")
    largest = max(records.values())
    print(f"largest object: {largest} records; pages at 100: {math.ceil(largest / 100)}")


if __name__ == "__main__":
    main()
