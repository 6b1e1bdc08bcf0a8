"""What a resumed sync costs after a kill, against a clean sync (issue 17.8).

For each store, three runs over the same generated files:

1. clean: a first `hub sync` into an empty store;
2. killed: a first `hub sync` SIGKILLed right after its K-th committed batch
   (the rig of tests/interrupt.py), and
3. resume: the `hub sync` that completes it.

The promise is that the resume costs the work left plus a constant: resume ≈
clean × (rows left / rows) + a few seconds. The table shows both, in wall
time and in the hub process's CPU time (user + system: on a shared machine
the wall time mostly measures the load; PostgreSQL's own work is not in it).
With `--repeat N` the three runs are repeated N times, alternating, and the
medians are shown (each figure's median on its own).

    .venv/bin/python bench/resume.py --activities 200k --kill-after 2 --repeat 3 \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from generate import Plan, ensure, parse_size
from hub_project import write_project

ROOT = Path(__file__).resolve().parent
RIG = ROOT.parent / "tests" / "interrupt.py"


def hub(config: Path, *rig: str) -> tuple[float, float, int]:
    """(wall s, CPU s of the process, exit code) of one rigged `hub sync`."""
    command = [sys.executable, str(RIG), *rig, "--", "-C", str(config), "sync"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, child.returncode


def stored(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        return sum(
            conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("managers", "customers", "activities")
        )


def fresh_postgres(admin_url: str) -> str:
    name = f"hub_resume_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return str(sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def case(label: str, generated: Path, work: Path, store: str, kill_after: int) -> dict:
    def project(tag: str) -> tuple[Path, str]:
        root = work / f"{label}-{tag}"
        url = f"sqlite:///{root / 'hub.db'}" if store == "sqlite" else fresh_postgres(store)
        write_project(root, generated, url)
        return root / "hub.toml", url

    load = os.getloadavg()[0]
    config, url = project("clean")
    clean, clean_cpu, code = hub(config, "sleep", "batch", "0")
    total = stored(url)
    config, url = project("killed")
    killed, _, kill_code = hub(config, "kill", "batch", str(kill_after))
    before = stored(url)
    resume, resume_cpu, resume_code = hub(config, "sleep", "batch", "0")
    after = stored(url)
    assert after == total, (after, total)
    left = (total - before) / total
    return {
        "store": label,
        "rows": total,
        "clean_s": round(clean, 2),
        "killed_s": round(killed, 2),
        "stored_when_killed": before,
        "resume_s": round(resume, 2),
        "work_left": round(left, 3),
        "expected_s": round(clean * left, 2),
        "excess_s": round(resume - clean * left, 2),
        "clean_cpu_s": round(clean_cpu, 2),
        "resume_cpu_s": round(resume_cpu, 2),
        "excess_cpu_s": round(resume_cpu - clean_cpu * left, 2),
        "load": round((load + os.getloadavg()[0]) / 2, 1),
        "exit_codes": [code, kill_code, resume_code],
    }


def medians(runs: list[dict]) -> dict:
    """Each numeric figure's median over the repeats (exit codes: all of them)."""
    out: dict = {}
    for key, value in runs[0].items():
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        out[key] = round(statistics.median(r[key] for r in runs), 2) if numeric else value
    out["exit_codes"] = sorted({c for r in runs for c in r["exit_codes"]})
    out["repeats"] = len(runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=parse_size, default=parse_size("200k"))
    parser.add_argument("--kill-after", type=int, default=2, help="batches before the kill")
    parser.add_argument("--postgres", help="admin URL; a fresh database per run is created there")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per store (medians)")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    plan = Plan.for_activities(args.activities)
    generated = ROOT / "data" / f"resume-{args.activities}"
    ensure(generated, plan)
    work = ROOT / "data" / "resume-runs"
    work.mkdir(parents=True, exist_ok=True)
    stores = [("sqlite", "sqlite")] + ([("postgresql", args.postgres)] if args.postgres else [])
    rounds = [
        [case(label, generated, work, store, args.kill_after) for label, store in stores]
        for _ in range(args.repeat)
    ]
    results = [medians([r[i] for r in rounds]) for i in range(len(stores))]
    columns = list(results[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in columns) + " |")
    if args.save:
        saved = {"medians": results, "rounds": rounds}
        args.save.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
