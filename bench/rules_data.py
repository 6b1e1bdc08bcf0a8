"""A deterministic SQLite store for the rules benchmark, written straight into the tables.

500 managers in 10 teams, 100,000 customers, 1,000,000 activities spread
over 2026 (about a quarter of them in Q3) and quarterly goals: the shape of a
large sales organisation's store after `hub sync`. Rows go in through the
same value writers the sync uses (UTC text datetimes, money as 1/10,000
integers, JSON), with the store's own schema and migrations, so the rules
read exactly what a synced store holds.

    .venv/bin/python bench/rules_data.py --customers 100k --activities 1M
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.store.database import Store
from hub.store.records import hub_id
from hub.store.tables import entity_tables
from hub.store.types import ExactDecimal, UTCDateTime, date_writer, json_writer

SEED = 20261123
SOURCE = "crm"
YEAR = 2026
ZONE = dt.timezone(dt.timedelta(hours=8))
DATA = Path(__file__).parent / "data" / "rules"

KINDS = (
    ["call"] * 30 + ["visit"] * 12 + ["meeting"] * 5 + ["email"] * 10 + ["message"] * 14
    + ["task"] * 5 + ["note"] * 3 + ["order"] * 13 + ["payment"] * 4 + ["complaint"] * 2
    + ["feedback"] * 2
)  # fmt: skip
NOTES = [
    "确认需求",
    "跟进报价",
    "约拜访时间",
    "上门拜访，介绍新品",
    "年度回顾",
    "Discussed renewal",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"


def size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def _writers(entity: str) -> tuple[list[str], list[Any]]:
    table = entity_tables[entity]
    names, writers = [], []
    for column in table.columns:
        names.append(column.name)
        kind = type(column.type)
        if kind is UTCDateTime:
            writers.append(UTCDateTime.writer("sqlite"))
        elif kind is ExactDecimal:
            writers.append(ExactDecimal.writer("sqlite"))
        elif column.type.__class__.__name__ == "Date":
            writers.append(date_writer("sqlite"))
        elif column.name in ("extra", "tags"):
            writers.append(json_writer)
        else:
            writers.append(None)
    return names, writers


def _insert(db: sqlite3.Connection, entity: str, rows: Iterator[dict[str, Any]]) -> int:
    names, writers = _writers(entity)
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    defaults = {
        "stream": entity,
        "first_synced_at": now,
        "synced_at": now,
        "extra": {},
    }
    sql = f"INSERT INTO {entity} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    link_sql = (
        "INSERT INTO links (connection, entity, source_id, hub_id, linked_at) VALUES (?,?,?,?,?)"
    )
    stamp = UTCDateTime.writer("sqlite")(now)
    batch: list[Sequence[Any]] = []
    links: list[Sequence[Any]] = []
    count = 0
    for row in rows:
        row = {**defaults, **row}
        values = [row.get(n) for n in names]
        batch.append([w(v) if w else v for w, v in zip(writers, values, strict=True)])
        links.append((SOURCE, entity, row["source_id"], row["id"], stamp))
        count += 1
        if len(batch) >= 20_000:
            db.executemany(sql, batch)
            db.executemany(link_sql, links)
            batch, links = [], []
    db.executemany(sql, batch)
    db.executemany(link_sql, links)
    return count


def _id(entity: str, source_id: str) -> str:
    return hub_id(SOURCE, entity, source_id)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def managers(n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(n):
        sid = f"M{i:05d}"
        yield {
            "id": _id("managers", sid),
            "source": SOURCE,
            "source_id": sid,
            "name": rng.choice(SURNAMES) + rng.choice(SURNAMES),
            "email": f"m{i}@example.com",
            "phone": _phone(rng),
            "team": f"team{i % 10}",
            "active": rng.random() > 0.02,
        }


def customers(n: int, staff: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(n):
        sid = f"C{i:07d}"
        owner = None if rng.random() < 0.02 else f"M{rng.randrange(staff):05d}"
        phone = _phone(rng) if rng.random() < 0.9 else None
        if i and rng.random() < 0.005:
            phone = f"1390000{i % 9999:04d}"  # a few shared numbers: duplicates
        created = dt.datetime(2023, 1, 1, tzinfo=ZONE) + dt.timedelta(days=rng.randint(0, 1300))
        yield {
            "id": _id("customers", sid),
            "source": SOURCE,
            "source_id": sid,
            "name": f"客户{i}有限公司",
            "kind": "company",
            "owner_source_id": owner,
            "owner_id": owner and _id("managers", owner),
            "phone": phone,
            "credit_code": f"91{rng.randrange(10**16):016d}" if rng.random() < 0.6 else None,
            "industry": rng.choice(["制造业", "批发零售", "信息技术", None]),
            "region": rng.choice(["上海", "北京", "广州", "深圳"]),
            "tier": rng.choices(["A", "B", "C", None], [10, 30, 58, 2])[0],
            "tags": [],
            "created_at": created,
        }


def activities(
    n: int, n_customers: int, staff: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    start = dt.datetime(YEAR, 1, 1, tzinfo=ZONE)
    owners = {}
    for i in range(n):
        sid = f"A{i:08d}"
        c = rng.randrange(n_customers)
        manager = owners.setdefault(c, f"M{rng.randrange(staff):05d}")
        kind = rng.choice(KINDS)
        occurred = start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        row: dict[str, Any] = {
            "id": _id("activities", sid),
            "source": SOURCE,
            "source_id": sid,
            "kind": kind,
            "customer_source_id": f"C{c:07d}",
            "customer_id": _id("customers", f"C{c:07d}"),
            "manager_source_id": manager,
            "manager_id": _id("managers", manager),
            "occurred_at": occurred,
            "logged_at": occurred + dt.timedelta(hours=rng.choice([0, 0, 1, 2, 30, 200])),
            "updated_at": occurred + dt.timedelta(days=rng.randint(0, 30)),
            "subject": kind,
            "content": rng.choice(NOTES) if rng.random() < 0.99 else f"新号码 {_phone(rng)}",
        }
        if kind in ("order", "payment"):
            usd = rng.random() < 0.1
            value = rng.randint(100, 200_000)
            row["amount"] = value // 7 if usd else value
            row["currency"] = "USD" if usd else "CNY"
            row["status"] = "cancelled" if rng.random() < 0.02 else "completed"
        elif kind == "feedback":
            row["score"] = rng.choice([2, 3, 4, 4, 5, 5])
        elif kind == "complaint":
            row["first_response_at"] = occurred + dt.timedelta(hours=rng.choice([1, 4, 30]))
            if rng.random() < 0.8:
                row["resolved_at"] = occurred + dt.timedelta(hours=rng.choice([10, 50, 100]))
        yield row


def goals(staff: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(staff):
        manager = f"M{i:05d}"
        for q in range(1, 5):
            first = dt.date(YEAR, 3 * q - 2, 1)
            last = (dt.date(YEAR + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - dt.timedelta(days=1)
            for metric, target, weight in (
                ("sales_amount", rng.choice([1, 2, 3]) * 1_000_000, "0.4"),
                ("new_customers", rng.randint(5, 20), "0.2"),
                ("satisfaction", 4, "0.2"),
                ("contact_count", rng.choice([200, 300]), "0.2"),
            ):
                sid = f"{manager}|{metric}|{YEAR}-Q{q}"
                yield {
                    "id": _id("goals", sid),
                    "source": SOURCE,
                    "source_id": sid,
                    "manager_source_id": manager,
                    "manager_id": _id("managers", manager),
                    "metric": metric,
                    "period_start": first,
                    "period_end": last,
                    "period_label": f"{YEAR}-Q{q}",
                    "target": target,
                    "unit": "CNY" if metric == "sales_amount" else None,
                    "weight": Decimal(weight),
                }


def build(path: Path, n_managers: int, n_customers: int, n_activities: int) -> dict[str, Any]:
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    Store(f"sqlite:///{path}").upgrade()
    rng = random.Random(SEED)
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    counts = {
        "managers": _insert(db, "managers", managers(n_managers, rng)),
        "customers": _insert(db, "customers", customers(n_customers, n_managers, rng)),
        "activities": _insert(
            db, "activities", activities(n_activities, n_customers, n_managers, rng)
        ),
        "goals": _insert(db, "goals", goals(n_managers, rng)),
    }
    db.execute("COMMIT")  # no ANALYZE: a synced store has none either
    db.close()
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", default="500")
    parser.add_argument("--customers", default="100k")
    parser.add_argument("--activities", default="1M")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    n = (size(args.managers), size(args.customers), size(args.activities))
    out = args.out or DATA / f"rules-{args.customers}-{args.activities}.db"
    print(build(out, *n), out)


if __name__ == "__main__":
    main()
