# ruff: noqa: E501  (benchmark data and report lines read better unwrapped)
"""Identity resolution: quality against known truth, time and peak memory.

For each size: generate the three sources into a fresh SQLite store
(`identity_data.py`), run a full match in its own process (wall time, peak
RSS), score the clusters against the truth (pairwise precision, recall, F1
per entity), touch 1% of the customers and run the incremental match.
With `--splink`, the same records go through Splink on DuckDB (bench-only,
bench/requirements.txt) for the side-by-side figures.

    .venv/bin/python bench/identity.py --sizes 10k,100k,1M [--splink]
    .venv/bin/python bench/identity.py --score bench/data/identity-10k.db   # quality only
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import measure  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
DATA = HERE / "data"


def pairs_of(groups: dict[str, list[str]]) -> int:
    return sum(len(g) * (len(g) - 1) // 2 for g in groups.values())


def score(db: Path) -> dict[str, dict[str, float]]:
    """Pairwise precision / recall / F1 of identity_members against extra.truth."""
    from sqlalchemy import select

    from hub.identity.tables import identity_members
    from hub.store.database import Store
    from hub.store.tables import entity_tables

    store = Store(f"sqlite:///{db}")
    out = {}
    with store.read() as conn:
        for entity in ("managers", "customers"):
            t, m = entity_tables[entity], identity_members
            rows = conn.execute(
                select(t.c.id, t.c.extra, m.c.unified_id).outerjoin(
                    m, (m.c.entity == entity) & (m.c.hub_id == t.c.id)
                )
            ).all()
            truth: dict[str, list[str]] = defaultdict(list)
            found: dict[str, list[str]] = defaultdict(list)
            both: Counter[tuple[str, str]] = Counter()
            for hid, extra, unified in rows:
                truth[extra["truth"]].append(hid)
                found[unified or hid].append(hid)
                both[(extra["truth"], unified or hid)] += 1
            true_pairs, found_pairs = pairs_of(truth), pairs_of(found)
            correct = sum(n * (n - 1) // 2 for n in both.values())
            precision = correct / found_pairs if found_pairs else 1.0
            recall = correct / true_pairs if true_pairs else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[entity] = {
                "records": len(rows),
                "true_pairs": true_pairs,
                "found_pairs": found_pairs,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
            }
    return out


def export_customers(db: Path) -> Path:
    """The customers with the hub's normalised fields, for Splink."""
    import csv

    from hub.identity.frame import read
    from hub.identity.settings import IdentitySettings
    from hub.store.database import Store

    out = db.with_name(db.stem + "-customers.csv")
    store = Store(f"sqlite:///{db}")
    with store.read() as conn, out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["unique_id", "name", "credit_code", "phone", "email", "region"])
        frame = read(conn, "customers", IdentitySettings())
        for c in frame.select(
            ["id", "name", "credit_code", "credit_code_valid", "phone", "email", "region"]
        ).to_pylist():
            code = c["credit_code"] if c["credit_code_valid"] else None
            writer.writerow([c["id"], c["name"], code, c["phone"], c["email"], c["region"]])
    return out


def score_clusters(db: Path, clusters: Path) -> dict[str, float]:
    """Pairwise precision / recall / F1 of Splink's clusters against the truth."""
    import csv

    from sqlalchemy import select

    from hub.store.database import Store
    from hub.store.tables import entity_tables

    t = entity_tables["customers"]
    with Store(f"sqlite:///{db}").read() as conn:
        truth_of = {hid: extra["truth"] for hid, extra in conn.execute(select(t.c.id, t.c.extra))}
    with clusters.open(encoding="utf-8") as f:
        cluster_of = {row["unique_id"]: row["cluster_id"] for row in csv.DictReader(f)}
    truth: dict[str, list[str]] = defaultdict(list)
    found: dict[str, list[str]] = defaultdict(list)
    both: Counter[tuple[str, str]] = Counter()
    for hid, true in truth_of.items():
        cluster = cluster_of.get(hid, hid)
        truth[true].append(hid)
        found[cluster].append(hid)
        both[(true, cluster)] += 1
    correct = sum(n * (n - 1) // 2 for n in both.values())
    precision = correct / (pairs_of(found) or 1)
    recall = correct / (pairs_of(truth) or 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


MATCH = """
import sys, json
from hub.config import HubConfig
from hub.identity.resolve import match_all
from hub.store.database import Store
store = Store(sys.argv[1])
config = HubConfig(store=sys.argv[1])
report = match_all(store, config, full=sys.argv[2] == "full")
print(json.dumps({e: r.as_dict() for e, r in report.entities.items()}))
"""


def run_size(label: str, splink: bool) -> dict[str, Any]:
    DATA.mkdir(exist_ok=True)
    db = DATA / f"identity-{label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    gen = measure.run([PYTHON, HERE / "identity_data.py", "--customers", label, "--db", db])
    full = measure.run([PYTHON, "-c", MATCH, url, "full"])
    quality = score(db)
    again = measure.run([PYTHON, "-c", MATCH, url, "incremental"])
    changed = measure.run([PYTHON, HERE / "identity_data.py", "--change", "1", "--db", db])
    incremental = measure.run([PYTHON, "-c", MATCH, url, "incremental"])
    result = {
        "size": label,
        "generate_s": round(gen.wall_seconds, 2),
        "full_s": round(full.wall_seconds, 2),
        "full_rss_mb": round(full.peak_rss_mb),
        "unchanged_s": round(again.wall_seconds, 2),
        "changed_records": int(changed.stdout.strip() or 0),
        "incremental_s": round(incremental.wall_seconds, 2),
        "incremental_rss_mb": round(incremental.peak_rss_mb),
        "incremental_share": round(incremental.wall_seconds / full.wall_seconds, 4),
        "quality": quality,
        "full_report": json.loads(full.stdout.strip().splitlines()[-1]),
        "load_before": full.load_before,
    }
    if splink:
        exported = export_customers(db)
        python = HERE / ".venv" / "bin" / "python"
        sp = measure.run([python, HERE / "identity_splink.py", exported], ok=(0, 1))
        result["splink_s"] = round(sp.wall_seconds, 2)
        result["splink_rss_mb"] = round(sp.peak_rss_mb)
        if sp.exit_code == 0:
            result["splink"] = json.loads(sp.stdout.strip().splitlines()[-1])
            result["splink_quality"] = score_clusters(db, exported.with_suffix(".splink.csv"))
        else:
            result["splink_error"] = sp.stderr[-800:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k")
    parser.add_argument("--splink", action="store_true")
    parser.add_argument("--score", type=Path, help="only score an already matched store")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    if args.score:
        print(json.dumps(score(args.score), indent=2))
        return
    results = []
    for label in args.sizes.split(","):
        result = run_size(label, args.splink)
        results.append(result)
        q = result["quality"]
        print(
            f"{label}: full {result['full_s']} s, {result['full_rss_mb']} MB; "
            f"1% change -> {result['incremental_s']} s ({result['incremental_share']:.1%}); "
            f"managers P/R/F1 {q['managers']['precision']}/{q['managers']['recall']}/{q['managers']['f1']}; "
            f"customers P/R/F1 {q['customers']['precision']}/{q['customers']['recall']}/{q['customers']['f1']}",
            flush=True,
        )
    if args.save:
        args.save.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
