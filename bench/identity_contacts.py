"""Contact keys in identity resolution: what they add, what they cost.

The customers of `identity_data.py` (fixed seed) get contacts: each true
company has a buyer whose mobile is on 60% of its records' contacts (in one
of the generator's phone spellings), every record has its own second contact
(a unique mobile and e-mail), and 1% of the records share one of a few
bookkeepers (one mobile on about twenty companies). The same store is then
matched in full twice, each in its own process: with the default keys, and
with the contact keys off (the floor), side by side in one run.

    .venv/bin/python bench/identity_contacts.py --customers 10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import identity_data  # noqa: E402
import measure  # noqa: E402
from identity import PYTHON, score  # noqa: E402

DATA = HERE / "data"
OFF = ["credit_code", "phone", "email", "domain_name"]

MATCH = """
import sys, json
from hub.config import HubConfig
from hub.identity.resolve import match_all
from hub.store.database import Store
store = Store(sys.argv[1])
keys = json.loads(sys.argv[2])
config = HubConfig(store=sys.argv[1], identity={"customer_keys": keys} if keys else {})
report = match_all(store, config, full=True)
print(json.dumps({e: r.as_dict() for e, r in report.entities.items()}))
"""


def add_contacts(url: str, seed: int = 5) -> int:
    """Contacts for every customer record, as described above; returns how many."""
    from sqlalchemy import insert, select

    from hub.store.database import Store
    from hub.store.records import hub_id
    from hub.store.tables import entity_tables

    rnd = random.Random(seed)
    store = Store(url)
    c, t = entity_tables["customers"], entity_tables["contacts"]
    with store.read() as conn:
        customers = conn.execute(select(c.c.id, c.c.source, c.c.extra)).all()
    buyers: dict[str, str] = {}
    bookkeepers = [identity_data.mobile(rnd) for _ in range(max(1, len(customers) // 2000))]
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rows: list[dict[str, Any]] = []
    counters: dict[str, int] = {}

    def contact(hid: str, source: str, mobile: str | None, email: str | None) -> None:
        n = counters[source] = counters.get(source, 0) + 1
        sid = f"p{n}"
        rows.append(
            {"id": hub_id(source, "contacts", sid), "source": source, "source_id": sid,
             "name": f"联系人{n}", "customer_id": hid, "mobile": mobile, "email": email,
             "extra": {}, "stream": "contacts", "first_synced_at": now, "synced_at": now}
        )  # fmt: skip

    for hid, source, extra in customers:
        truth = extra["truth"]
        buyer = buyers.setdefault(truth, identity_data.mobile(rnd))
        if rnd.random() < 0.6:
            contact(hid, source, identity_data.phone_variant(rnd, buyer), None)
        own = identity_data.mobile(rnd)
        contact(hid, source, own, f"{own[-8:]}@people.example")
        if rnd.random() < 0.01:
            contact(hid, source, rnd.choice(bookkeepers), None)
    with store.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(t), rows[start : start + 10_000])
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", default="10k")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    base = DATA / f"identity-contacts-{args.customers}.db"
    base.unlink(missing_ok=True)
    measure.run([PYTHON, HERE / "identity_data.py", "--customers", args.customers, "--db", base])
    contacts = add_contacts(f"sqlite:///{base}")
    results: dict[str, Any] = {"customers": args.customers, "contacts": contacts}
    for case, keys in (("contact keys off (floor)", OFF), ("default keys", None)):
        db = DATA / f"identity-contacts-{args.customers}-{'off' if keys else 'on'}.db"
        shutil.copy(base, db)
        m = measure.run([PYTHON, "-c", MATCH, f"sqlite:///{db}", json.dumps(keys)])
        results[case] = {
            "wall_seconds": round(m.wall_seconds, 2),
            "cpu_seconds": round(m.cpu_seconds, 2),
            "peak_rss_mb": round(m.peak_rss_mb),
            "load_before": m.load_before,
            "quality": score(db)["customers"],
        }
    off, on = results["contact keys off (floor)"], results["default keys"]
    results["cpu_ratio"] = round(on["cpu_seconds"] / off["cpu_seconds"], 2)
    results["wall_ratio"] = round(on["wall_seconds"] / off["wall_seconds"], 2)
    text = json.dumps(results, indent=2)
    print(text)
    if args.save:
        args.save.write_text(text + "\n")


if __name__ == "__main__":
    main()
