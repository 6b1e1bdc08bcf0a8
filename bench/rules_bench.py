"""Benchmark: every built-in rule for one quarter over a large SQLite store.

Cases, each in its own process (wall time and peak RSS of exactly that process):

- `scan`: one plain SQL scan of the activities table — `SELECT *` through
  Python's sqlite3, every row fetched — the floor;
- `rules`: `hub rules run --period 2026-Q3` with all 18 built-in rules
  configured (measures, scorecard, commission, target incentive, scorecard
  bonus, awards, total cap, clawback and the ten compliance checks), which
  also writes every result.

Targets (issue 5): rules ≤ 10× the scan, peak RSS < 500 MB.

    .venv/bin/python bench/rules_bench.py --customers 100k --activities 1M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import run
from rules_data import DATA, build, size

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / ".venv" / "bin" / "hub"
PYTHON = ROOT / ".venv" / "bin" / "python"

RULES = """\
store = "sqlite:///{db}"
timezone = "Asia/Shanghai"
base_currency = "CNY"

[currency_rates]
USD = "7.10"

[rules]
[rules.measures]
[rules.scorecard]
[rules.commission]
semantics = "marginal"
tiers = [
  {{ upto = "300000", rate = "0.03" }},
  {{ upto = "500000", rate = "0.05" }},
  {{ rate = "0.07" }},
]
[rules.target_incentive]
target_incentive = "50000"
semantics = "marginal"
bands = [
  {{ upto = "0.5", multiplier = "0.5" }},
  {{ upto = "1.0", multiplier = "1.0" }},
  {{ multiplier = "1.5" }},
]
[rules.scorecard_bonus]
target_bonus = "20000"
min_score = "0.6"
[rules.awards]
top = {{ count = 10 }}
satisfaction = {{ min_average = "4.5", min_responses = 5 }}
[rules.total_cap]
cap = "200000"
[rules.clawback]
[rules.contact_sla]
[rules.complaint_sla]
[rules.required_fields]
[rules.duplicates]
[rules.owner_load]
max_customers = 400
median_factor = "2"
[rules.customer_owner]
[rules.low_value]
[rules.churn_risk]
[rules.logging_lag]
[rules.pii_notes]
"""

SCAN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = 0
for _ in conn.execute("SELECT * FROM activities"):
    rows += 1
print(rows)
"""


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) // 1024 // 1024} GB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", default="500")
    parser.add_argument("--customers", default="100k")
    parser.add_argument("--activities", default="1M")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="generate the store again")
    parser.add_argument("--save", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    pristine = DATA / f"rules-{args.managers}-{args.customers}-{args.activities}.db"
    if args.rebuild or not pristine.exists():
        print("generating", pristine, flush=True)
        print(build(pristine, size(args.managers), size(args.customers), size(args.activities)))
    work = DATA / "work"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "hub.db"
    config = work / "hub.toml"
    config.write_text(RULES.format(db=db), encoding="utf-8")

    results = []
    for attempt in range(args.repeat):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(pristine, db)
        scan = run([PYTHON, "-c", SCAN, db])
        rules = run([HUB, "--config", config, "rules", "run", "--period", "2026-Q3", "--json"])
        report = json.loads(rules.stdout)
        results.append(
            {
                "attempt": attempt + 1,
                "scan_seconds": round(scan.wall_seconds, 2),
                "scan_rss_mb": round(scan.peak_rss_mb, 1),
                "scan_rows": int(scan.stdout.strip()),
                "rules_seconds": round(rules.wall_seconds, 2),
                "rules_rss_mb": round(rules.peak_rss_mb, 1),
                "ratio": round(rules.wall_seconds / scan.wall_seconds, 2),
                "load_before": round(rules.load_before, 2),
                "per_rule": {
                    r["rule"]: {"seconds": r["seconds"], "results": sum(r["counts"].values())}
                    for r in report["rules"]
                },
            }
        )
    print(f"\n{args.managers} managers, {args.customers} customers, {args.activities} activities")
    print(
        f"{'attempt':>7} {'scan s':>8} {'rules s':>8} {'ratio':>6} {'rules RSS MB':>13} {'load':>5}"
    )
    for r in results:
        print(
            f"{r['attempt']:>7} {r['scan_seconds']:>8} {r['rules_seconds']:>8} {r['ratio']:>6} "
            f"{r['rules_rss_mb']:>13} {r['load_before']:>5}"
        )
    print("\nper rule (last attempt): seconds, results written")
    for name, figures in results[-1]["per_rule"].items():
        print(f"  {name:<18} {figures['seconds']:>7.2f} {figures['results']:>9}")
    if args.save:
        args.save.write_text(
            json.dumps(
                {
                    "date": dt.date.today().isoformat(),
                    "machine": machine(),
                    "sizes": vars(args) | {"save": str(args.save)},
                    "results": results,
                },
                indent=2,
                default=str,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
