"""Benchmark: dashboard page times on a large store.

The store is the rules benchmark's (bench/rules_data.py: 500 managers in 10
teams, 100,000 customers, 1,000,000 activities over 2026, quarterly goals),
written straight into the tables, then `hub rules run` for 2026-Q2 and
2026-Q3 with every built-in rule (bench/rules_bench.py's hub.toml), and one
user per role. `hub serve` then runs in this process on loopback (uvicorn, as
in production) and every page is fetched over HTTP by each role, `--repeat`
times after one warm-up; the figures are per page: median, p95 and max wall
time of the whole request.

With `--store postgresql+psycopg://…/DB` the same pages are served from a
PostgreSQL database: on its first use (an empty database) the SQLite store
above is copied into it, table by table, through the hub's own schema and
migrations; later runs reuse it (and upgrade it, as `hub serve` does).

Target (issue 13): p95 ≤ 300 ms per page.

    .venv/bin/python bench/web.py --managers 500 --customers 100k --activities 1M --repeat 20
    .venv/bin/python bench/web.py --repeat 20 --store postgresql+psycopg://postgres@127.0.0.1/hub_bench_web
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from rules_bench import HUB, RULES
from rules_data import DATA, build, size

from hub.config import load_config
from hub.store.database import Store
from hub.web import server, users

PASSWORD = "bench-password"
WORK = DATA.parent / "web"


def prepare(args: argparse.Namespace) -> Path:
    """A store with rule results for two quarters and three users (kept between runs)."""
    ready = WORK / f"web-{args.managers}-{args.customers}-{args.activities}.db"
    config = WORK / "hub.toml"
    if ready.exists() and not args.rebuild:
        config.write_text(RULES.format(db=ready), encoding="utf-8")
        return config
    pristine = DATA / f"rules-{args.managers}-{args.customers}-{args.activities}.db"
    if args.rebuild or not pristine.exists():
        print("generating", pristine, flush=True)
        print(build(pristine, size(args.managers), size(args.customers), size(args.activities)))
    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ready}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, ready)
    config.write_text(RULES.format(db=ready), encoding="utf-8")
    for period in ("2026-Q2", "2026-Q3"):
        started = time.perf_counter()
        subprocess.run(
            # by connection: one source here, so the same results as on unified entities,
            # and SQLite takes over 40 minutes for contact_sla over the unified views' joins
            [HUB, "--config", config, "rules", "run", "--period", period, "--by-connection"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"rules for {period}: {time.perf_counter() - started:.1f} s", flush=True)
    store = Store(load_config(config).store_url())
    store.upgrade()
    with store.begin() as conn:
        users.add(conn, "admin", "admin", password=PASSWORD)
        users.add(conn, "lead", "lead", password=PASSWORD, team="team3")
        users.add(conn, "manager", "manager", password=PASSWORD, manager="M00003")
    return config


def on_postgresql(config: Path, url: str) -> Path:
    """The prepared SQLite store copied into PostgreSQL once; a config that points there."""
    from sqlalchemy import func, insert, inspect, select, text

    import hub.web.app  # noqa: F401  (every table in the metadata)
    from hub.store.tables import metadata

    source = Store(load_config(config).store_url())
    target = Store(url)
    target.upgrade()
    copied = WORK / "hub-postgresql.toml"
    copied.write_text(
        config.read_text(encoding="utf-8").replace(
            next(line for line in config.read_text(encoding="utf-8").splitlines()
                 if line.startswith("store = ")),
            f'store = "{url}"',
        ),
        encoding="utf-8",
    )  # fmt: skip
    with target.read() as conn:
        done = conn.execute(text("SELECT count(*) FROM rule_runs")).scalar()
    if done:
        return copied
    started = time.perf_counter()
    with source.read() as src, target.begin() as dst:
        there = set(inspect(src).get_table_names()) & set(inspect(dst).get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in there or table.name == "alembic_version":
                continue
            if dst.execute(select(table).limit(1)).first():
                continue  # copied by an earlier, interrupted or partial, call
            rows = 0
            result = src.execution_options(yield_per=5000).execute(select(table))
            for chunk in result.partitions():
                dst.execute(insert(table), [dict(r._mapping) for r in chunk])
                rows += len(chunk)
            if rows and "id" in table.c and table.c.id.autoincrement is True:
                dst.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :n)"),
                    {"n": dst.execute(select(func.max(table.c.id))).scalar()},
                )
            print(f"copied {table.name}: {rows} rows", flush=True)
        if "rule_finding_counts" not in there and inspect(dst).has_table("rule_finding_counts"):
            from hub.rules import finding_counts  # a source from before the counts
            from hub.rules.tables import rule_runs

            for (run_id,) in dst.execute(select(rule_runs.c.id)):
                finding_counts.record(dst, run_id)
    # statistics and the visibility map, as autovacuum would leave them (index-only scans
    # of a just-copied table still read every row's page otherwise)
    with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("activities", "customers", "rule_findings", "rule_measures"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"copied to PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
    return copied


def pages(role: str) -> list[str]:
    common = [
        "/findings",
        "/findings?severity=medium&rule=contact_sla",
        "/customers",
        "/customers?q=客户4242",
        "/customers?tier=A&page=20",
        "/inquiries",
        "/api/findings",
    ]
    if role == "manager":
        return ["/managers/M00003", "/api/managers/M00003", *common]
    mine = "M00003" if role == "lead" else "M00042"
    staff = ["/overview", "/overview?period=2026-Q2", "/api/overview", f"/managers/{mine}"]
    return [*staff, *common, *(["/sync", "/api/sync"] if role == "admin" else [])]


def login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    text = client.get("/login").text
    token = text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": token}
    )
    assert response.status_code in (200, 303), response.status_code
    return client


def measure(base: str, repeat: int) -> list[dict[str, object]]:
    rows = []
    for role in ("admin", "lead", "manager"):
        client = login(base, role)
        for path in pages(role):
            response = client.get(path)  # warm-up (and a check that the page answers)
            assert response.status_code == 200, (role, path, response.status_code)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            rows.append(
                {
                    "role": role,
                    "page": path,
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(p95, 1),
                    "max_ms": round(times[-1], 1),
                    "bytes": len(response.content),
                }
            )
        client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", default="500")
    parser.add_argument("--customers", default="100k")
    parser.add_argument("--activities", default="1M")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="generate the store again")
    parser.add_argument("--save", type=Path, help="write the figures as JSON here")
    parser.add_argument("--store", help="a PostgreSQL URL to serve from (filled once)")
    args = parser.parse_args()
    config = prepare(args)
    if args.store:
        config = on_postgresql(config, args.store)
    running = server.start(load_config(config), "127.0.0.1", 0)
    load = [os.getloadavg()]
    try:
        rows = measure(running.url, args.repeat)
    finally:
        running.stop()
    load.append(os.getloadavg())
    store = "PostgreSQL" if args.store else "SQLite"
    print(f"\n{store}: {args.managers} managers, {args.customers} customers, {args.activities}")
    print(f"{'role':<8} {'page':<46} {'median':>8} {'p95':>8} {'max':>8} {'KB':>6}")
    for r in rows:
        print(
            f"{r['role']:<8} {r['page']:<46} {r['median_ms']:>8} {r['p95_ms']:>8} "
            f"{r['max_ms']:>8} {int(r['bytes']) // 1024:>6}"
        )
    print("load average (1, 5, 15 min) before:", *load[0], "after:", *load[1])
    worst = max(rows, key=lambda r: r["p95_ms"])
    print(f"\nworst p95: {worst['p95_ms']} ms ({worst['role']} {worst['page']}); target ≤ 300 ms")
    if args.save:
        args.save.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
                    "machine": {"python": platform.python_version(), "cpu": platform.processor()},
                    "store": store,
                    "load_average": {"before": load[0], "after": load[1]},
                    "sizes": {k: v for k, v in vars(args).items() if k not in ("save", "store")},
                    "pages": rows,
                },
                indent=2,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
