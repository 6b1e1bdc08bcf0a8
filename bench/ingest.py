"""CSV → store ingest: `hub sync` against its peers, in one run, at several sizes.

For each size the runner generates (or reuses) the data, then measures, each
case in its own process (wall time and peak RSS of that process):

- hub on SQLite: a fresh project syncs managers and customers (setup), then
  the timed `hub sync --stream activities` into the store: everything a real
  run does (parsing, validation, upserts, links, rejects, checkpoints, run
  history). Then three re-syncs: the file unchanged, the file touched (same
  bytes, new mtime), and the file with 1% of the rows edited in place.
- peers on the same file: `sqlite3`'s `.import` into a plain table (the
  floor in C), a plain Python csv + `executemany` script, dlt with merge on
  the primary key;
- hub on PostgreSQL (a fresh database on the local server) against psql's
  `\\copy` (COPY FROM STDIN) into a plain table.

Every run is checked before its figure counts: the hub must report exactly
the rows, rejects and updates the generator's manifest predicts, and every
peer must have stored every row.

    bench/.venv/bin/python bench/ingest.py --sizes 100k,1M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from generate import Plan, ensure, parse_size, size_label
from hub_project import replace_file, write_project
from measure import Measurement, run

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
HUB_OK = (0, 5)  # 5: finished with rejects (the generated files hold a few on purpose)


@dataclass
class Case:
    size: int
    name: str
    wall_seconds: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rows: int = 0
    compare: str = ""
    """What the case is held against: `hub` (the hub's first sync on SQLite),
    `pg_hub` (the hub's first sync on PostgreSQL), `first` (a share of the
    first sync, for re-syncs), or nothing."""
    target: str = ""

    def add(self, m: Measurement) -> None:
        self.wall_seconds.append(m.wall_seconds)
        self.peak_rss_mb.append(m.peak_rss_mb)
        self.load.append(m.load_before)
        self.cpu_seconds.append(m.cpu_seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else 0.0

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_seconds)

    @property
    def rss(self) -> float:
        return max(self.peak_rss_mb)

    @property
    def rate(self) -> float:
        return self.rows / self.wall


@dataclass
class Settings:
    hub: Path
    python: Path
    postgres: str | None
    dlt: bool
    peers: bool
    keep: bool
    floor: bool = False
    """Run sqlite3 .import even without the other peers (the quick mode)."""


class Mismatch(RuntimeError):
    """A run did not do what it should have: its figure would mean nothing."""


def expect(what: str, got: object, wanted: object) -> None:
    if got != wanted:
        raise Mismatch(f"{what}: got {got}, expected {wanted}")


# -- the hub ------------------------------------------------------------------


def hub_sync(settings: Settings, project: Path, *streams: str) -> tuple[Measurement, dict]:
    args = [a for s in streams for a in ("--stream", s)]
    m = run([settings.hub, "sync", "--json", *args], cwd=project, ok=HUB_OK)
    report = json.loads(m.stdout)
    return m, {s["stream"]: s for s in report["streams"]}


def check_stream(counts: dict, **wanted: int) -> None:
    for key, value in wanted.items():
        expect(f"activities {key}", counts["activities"][key], value)


def hub_on_sqlite(settings: Settings, size: int, data: Path, manifest: dict, cases: dict) -> None:
    rows = manifest["rows"]["activities.csv"]
    bad = manifest["activities_bad_rows"]
    work = DATA / "runs" / size_label(size) / "hub-sqlite"
    activities = write_project(work, data, f"sqlite:///{work / 'hub.db'}")

    m, _ = hub_sync(settings, work, "managers", "customers")
    cases["setup"].add(m)
    m, counts = hub_sync(settings, work, "activities")
    check_stream(counts, read=rows, inserted=rows - bad, rejected=bad, unresolved=0)
    cases["hub"].add(m)
    with sqlite3.connect(work / "hub.db") as db:
        stored = db.execute("SELECT count(*) FROM activities WHERE deleted_at IS NULL").fetchone()
    expect("live activities in the store", stored[0], rows - bad)

    m, counts = hub_sync(settings, work, "activities")
    check_stream(counts, read=0, inserted=0, updated=0)
    cases["unchanged"].add(m)

    os.utime(activities)  # same bytes, new modification time
    m, counts = hub_sync(settings, work, "activities")
    check_stream(counts, read=0, inserted=0, updated=0)
    cases["touched"].add(m)

    replace_file(activities, data / "activities_changed.csv")
    changed = manifest["activities_changed_valid_rows"]
    m, counts = hub_sync(settings, work, "activities")
    check_stream(
        counts, read=rows, inserted=0, updated=changed, unchanged=rows - bad - changed, deleted=0
    )
    cases["changed"].add(m)
    if not settings.keep:
        shutil.rmtree(work)


# -- peers on SQLite ------------------------------------------------------------


def count_rows(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def sqlite_peers(settings: Settings, size: int, data: Path, manifest: dict, cases: dict) -> None:
    rows = manifest["rows"]["activities.csv"]
    source = data / "activities.csv"
    work = DATA / "runs" / size_label(size) / "peers"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    db = work / "import.db"
    cases["import"].add(run(["sqlite3", db, f".import --csv {source} activities"]))
    expect("rows from sqlite3 .import", count_rows(db, "activities"), rows)
    if not settings.peers:  # --cases hub,floor: the floor only
        shutil.rmtree(work)
        return

    db = work / "executemany.db"
    script = BENCH / "peers" / "csv_executemany.py"
    cases["executemany"].add(run([settings.python, script, source, db]))
    expect("rows from csv + executemany", count_rows(db, "activities"), rows)

    if settings.dlt:
        db = work / "dlt.db"
        script = BENCH / "peers" / "dlt_merge.py"
        env = {"RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONWARNINGS": "ignore"}
        cases["dlt"].add(run([settings.python, script, source, db, work / "dlt"], env=env))
        expect("rows from dlt", count_rows(db, "activities"), rows)
        db = work / "dlt_arrow.db"
        script = BENCH / "peers" / "dlt_arrow.py"
        cases["dlt_arrow"].add(
            run([settings.python, script, source, db, work / "dlt_arrow"], env=env)
        )
        expect("rows from dlt (Arrow)", count_rows(db, "activities"), rows)
    if not settings.keep:
        shutil.rmtree(work)


# -- PostgreSQL ------------------------------------------------------------------


def psql(base: str, database: str, *commands: str) -> str:
    argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", f"{base}/{database}"]
    for command in commands:
        argv += ["-c", command]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"psql: {done.stderr.strip()}")
    return done.stdout.strip()


def fresh_database(base: str, name: str) -> None:
    psql(base, "postgres", f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')


def postgres_cases(settings: Settings, size: int, data: Path, manifest: dict, cases: dict) -> None:
    base = settings.postgres
    assert base is not None
    rows = manifest["rows"]["activities.csv"]
    bad = manifest["activities_bad_rows"]
    source = data / "activities.csv"
    label = size_label(size).lower()
    hub_db, copy_db = f"hub_bench_{label}", f"hub_bench_copy_{label}"

    fresh_database(base, hub_db)
    work = DATA / "runs" / size_label(size) / "hub-postgres"
    store = base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{hub_db}"
    write_project(work, data, store)
    hub_sync(settings, work, "managers", "customers")
    m, counts = hub_sync(settings, work, "activities")
    check_stream(counts, read=rows, inserted=rows - bad, rejected=bad, unresolved=0)
    cases["pg_hub"].add(m)
    stored = psql(base, hub_db, "SELECT count(*) FROM activities WHERE deleted_at IS NULL")
    expect("live activities in PostgreSQL", int(stored), rows - bad)

    fresh_database(base, copy_db)
    with source.open(encoding="utf-8-sig") as f:
        header = f.readline().strip().split(",")
    columns = ", ".join(f'"{name}" text' for name in header)
    create = f"CREATE TABLE activities ({columns})"
    copy = f"\\copy activities FROM '{source}' WITH (FORMAT csv, HEADER true)"
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{base}/{copy_db}"]
    cases["pg_copy"].add(run([*argv, "-c", create, "-c", copy]))
    expect("rows from COPY", int(psql(base, copy_db, "SELECT count(*) FROM activities")), rows)
    if not settings.keep:
        shutil.rmtree(work)
        for name in (hub_db, copy_db):
            psql(base, "postgres", f'DROP DATABASE IF EXISTS "{name}"')


# -- the table ---------------------------------------------------------------------

CASES = {
    "hub": ("hub sync → SQLite (first sync)", "", "≥ 100k rows/s; RSS < 250 MB"),
    "import": ("sqlite3 .import (C floor)", "hub", "hub ≤ 3.5× slower"),
    "executemany": ("Python csv + executemany", "hub", ""),
    "dlt": ("dlt merge → SQLite (rows)", "hub", "hub ≥ 10× faster"),
    "dlt_arrow": ("dlt merge → SQLite (Arrow)", "hub", "hub faster"),
    "unchanged": ("hub re-sync, file unchanged", "first", "≤ 2% of first"),
    "touched": ("hub re-sync, file touched (hash)", "first", "≤ 2% of first"),
    "changed": ("hub re-sync, 1% rows changed", "first", "≤ 5% of first"),
    "setup": ("hub setup: managers + customers", "", ""),
    "pg_hub": ("hub sync → PostgreSQL (first sync)", "", ""),
    "pg_copy": ("psql \\copy → PostgreSQL (floor)", "pg_hub", "hub ≤ 4× slower"),
}


def new_cases(size: int, manifest: dict, settings: Settings) -> dict[str, Case]:
    rows = manifest["rows"]
    setup_rows = rows["managers.csv"] + rows["customers.csv"]
    cases = {}
    for key, (name, compare, target) in CASES.items():
        if key == "import" and not (settings.peers or settings.floor):
            continue
        if key == "executemany" and not settings.peers:
            continue
        if key in ("dlt", "dlt_arrow") and not settings.dlt:
            continue
        if key.startswith("pg_") and not settings.postgres:
            continue
        count = setup_rows if key == "setup" else rows["activities.csv"]
        cases[key] = Case(size, name, rows=count, compare=compare, target=target)
    return cases


def _ratio(hub: float, peer: float) -> str:
    return f"hub {hub / peer:.1f}× slower" if hub >= peer else f"hub {peer / hub:.1f}× faster"


def verdict(key: str, case: Case, cases: dict[str, Case]) -> tuple[str, str]:
    """(comparison text, target met?)."""
    first = cases["hub"]
    if key == "hub":
        met = case.rate >= 100_000 and case.rss < 250
        return "", "yes" if met else "no"
    if case.compare == "first":
        share = case.wall / first.wall
        limit = 0.05 if key == "changed" else 0.02
        return f"{share:.1%} of first sync", "yes" if share <= limit else "no"
    if case.compare == "hub":
        text = _ratio(first.wall, case.wall)
        if key == "import":
            return text, "yes" if first.wall <= 3.5 * case.wall else "no"
        if key == "dlt":
            return text, "yes" if case.wall >= 10 * first.wall else "no"
        if key == "dlt_arrow":
            return text, "yes" if case.wall > first.wall else "no"
        return text, ""
    if case.compare == "pg_hub":
        hub = cases["pg_hub"]
        return _ratio(hub.wall, case.wall), "yes" if hub.wall <= 4 * case.wall else "no"
    return "", ""


def table(all_cases: list[dict[str, Case]]) -> str:
    lines = [
        "| rows | case | wall s | CPU s | rows/s | peak RSS MB | load | compared | target | met |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for cases in all_cases:
        for key, case in cases.items():
            compared, met = verdict(key, case, cases)
            rows = f"{case.rows:,}" if key == "setup" else size_label(case.size)
            lines.append(
                f"| {rows} | {case.name} | {case.wall:.2f} | {case.cpu:.2f} | {case.rate:,.0f} | "
                f"{case.rss:.0f} | {max(case.load):.1f} | {compared} | {case.target} | {met} |"
            )
    if len(all_cases) > 1:
        low, high = all_cases[0]["hub"], all_cases[-1]["hub"]
        growth = high.rss / low.rss - 1
        lines.append("")
        lines.append(
            f"hub peak RSS from {size_label(low.size)} to {size_label(high.size)} rows: "
            f"{low.rss:.0f} MB → {high.rss:.0f} MB ({growth:+.0%})"
        )
    return "\n".join(lines)


# -- the machine --------------------------------------------------------------------


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def _hub_commit() -> str:
    """HEAD, and whether the hub's code differs from it (others may be editing)."""
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    status = ["git", "-C", str(REPO), "status", "--porcelain", "--", "hub", "plugins/csv"]
    dirty = subprocess.run(status, capture_output=True, text=True, check=False).stdout.strip()
    return f"{commit} (+ uncommitted changes in hub/ or plugins/csv/)" if dirty else commit


def machine(settings: Settings) -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "hub": _first_line([str(settings.hub), "--version"]),
        "hub commit": _hub_commit(),
        "sqlite3 CLI": _first_line(["sqlite3", "--version"]).split(" ")[0],
        "python sqlite3": sqlite3.sqlite_version,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if settings.dlt:
        info["dlt"] = _first_line(
            [str(settings.python), "-c", "import dlt; print(dlt.__version__)"]
        )
    if settings.postgres:
        info["postgresql"] = psql(settings.postgres, "postgres", "SHOW server_version")
    return info


# -- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="activity rows, e.g. 10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median reported)")
    parser.add_argument("--hub", type=Path, default=REPO / ".venv" / "bin" / "hub")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1",
        help="server URL (no database) for the PostgreSQL cases; 'off' to skip",
    )
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt peer")
    parser.add_argument(
        "--cases",
        default="hub,peers,postgres",
        help="which groups to run: hub (SQLite, with re-syncs), floor (sqlite3 .import only), "
        "peers (.import, executemany, dlt rows and Arrow), postgres. "
        "Quick check: --sizes 200k --cases hub,floor",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stores in bench/data/runs")
    parser.add_argument("--save", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    groups = set(args.cases.split(","))
    unknown = groups - {"hub", "floor", "peers", "postgres"}
    if unknown or "hub" not in groups:
        parser.error(
            f"--cases: hub, floor, peers, postgres (hub is always needed), not {args.cases}"
        )
    settings = Settings(
        hub=args.hub,
        python=Path(sys.executable),
        postgres=None
        if args.postgres == "off" or "postgres" not in groups
        else args.postgres.rstrip("/"),
        dlt=not args.no_dlt and "peers" in groups,
        peers="peers" in groups,
        keep=args.keep,
        floor="floor" in groups,
    )
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    info = machine(settings)
    all_cases = []
    for size in sizes:
        data = DATA / size_label(size)
        manifest = ensure(data, Plan.for_activities(size))
        cases = new_cases(size, manifest, settings)
        for attempt in range(args.repeat):
            print(f"{size_label(size)}: run {attempt + 1} of {args.repeat}", file=sys.stderr)
            hub_on_sqlite(settings, size, data, manifest, cases)
            if settings.peers or settings.floor:
                sqlite_peers(settings, size, data, manifest, cases)
            if settings.postgres:
                postgres_cases(settings, size, data, manifest, cases)
        all_cases.append(cases)
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["bench/.venv/bin/python", "bench/ingest.py", *sys.argv[1:]])
    print()
    for key, value in info.items():
        print(f"- {key}: {value}")
    print(f"- command: `{command}`")
    print()
    print(table(all_cases))
    for cases in all_cases:
        if "import" in cases:
            hub, floor = cases["hub"], cases["import"]
            print(
                f"\n{size_label(hub.size)}: hub {hub.wall:.2f} s, "
                f"sqlite3 .import {floor.wall:.2f} s: "
                f"hub/.import = {hub.wall / floor.wall:.2f}× (must ≤ 3.5×, aim ≤ 2.5×)"
            )
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "command": command,
            "cases": [asdict(c) for cases in all_cases for c in cases.values()],
            "table": table(all_cases),
        }
        args.save.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
