# ruff: noqa: E501  (benchmark data and report lines read better unwrapped)
"""Three sources of managers and customers with known truth, straight into a store.

Every record carries its true entity in `extra.truth`, so the benchmark can
score any matcher's clusters. What makes it hard, per record, with a fixed
seed: case and full-width credit codes, blanks, phone formats (`138 0013
8000`, `+86-138…`, `86138…`), company suffix and 省/市 prefix variants,
typos in names, Chinese names written in pinyin (Zoho), e-mail case, shared
switchboard numbers, invalid credit codes, and true homonyms: different
companies or people with the same name that must NOT merge.

Usage (writes a SQLite store; `--url` for PostgreSQL):
    .venv/bin/python bench/identity_data.py --customers 100k --db bench/data/identity-100k.db
    .venv/bin/python bench/identity_data.py --change 1 --db bench/data/identity-100k.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import string
import sys
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import insert, select, update
from stdnum.cn import uscc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.store.database import Store
from hub.store.records import hub_id
from hub.store.tables import entity_tables

SOURCES = ("hr", "fxiaoke", "zoho")
CRMS = ("fxiaoke", "zoho")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志文辉力鹏飞宇浩然子轩欣怡梓涵晨曦一诺思远俊杰雨萱博文天佑嘉怡"
WORDS = "华为腾讯阿里百度京东美团小米联想海尔格力中兴比亚迪顺丰万科碧桂园恒瑞药明康德宁德时代隆基迈瑞汇川立讯紫金洛阳钼业三一重工徐工潍柴福耀玻璃安踏李宁伊利蒙牛海天双汇青岛啤酒茅台五粮液泸州老窖洋河山西汾酒古井贡酒"
INDUSTRY = ("科技", "贸易", "电子", "机械", "化工", "食品", "纺织", "物流", "医药", "建材")
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安")
SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")
LATIN_SUFFIXES = (" Co., Ltd.", " Co.,Ltd", " Limited", " Inc.")
FULL = str.maketrans(
    string.ascii_uppercase + string.digits,
    "".join(chr(0xFF21 + i) for i in range(26)) + "".join(chr(0xFF10 + i) for i in range(10)),
)


def size(text: str) -> int:
    text = text.lower().replace("_", "")
    for suffix, factor in (("k", 1000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * factor)
    return int(text)


def credit_code(rnd: random.Random) -> str:
    base = "91" + "".join(rnd.choice("0123456789") for _ in range(6))
    base += "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return base + uscc.calc_check_digit(base)


def mobile(rnd: random.Random) -> str:
    return "1" + rnd.choice("3456789") + "".join(rnd.choice(string.digits) for _ in range(9))


def phone_variant(rnd: random.Random, number: str) -> str:
    if not number.startswith("1"):
        return rnd.choice((number, number.replace("-", " "), "+86 " + number[1:]))
    return rnd.choice(
        (number, f"{number[:3]} {number[3:7]} {number[7:]}", f"+86-{number[:3]}-{number[3:7]}-{number[7:]}",
         "86" + number, "+86" + number)
    )  # fmt: skip


def typo(rnd: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rnd.randrange(1, len(text) - 1)
    return text[:i] + rnd.choice(WORDS) + text[i + 1 :]


def person_name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))


def latin(name: str) -> str:
    syllables = lazy_pinyin(name, style=Style.NORMAL)
    return (
        " ".join(s.capitalize() for s in [*syllables[1:], syllables[0]])
        if len(syllables) > 1
        else name
    )


def build(customers: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(manager records, customer records), each with its true entity."""
    rnd = random.Random(seed)
    managers: list[dict[str, Any]] = []
    people = max(20, customers // 100)
    names_used: list[str] = []
    for p in range(people):
        homonym = names_used and rnd.random() < 0.05
        name = rnd.choice(names_used) if homonym else person_name(rnd)
        names_used.append(name)
        email = f"u{p}.{rnd.randrange(10**6)}@corp.example"
        number = mobile(rnd)
        systems = ["hr", *rnd.sample(CRMS, rnd.choice((1, 1, 2)))]
        for system in systems:
            rec = {"truth": f"P{p}", "source": system, "name": name, "employee_number": None}
            rec["email"] = email.upper() if rnd.random() < 0.2 else email
            rec["phone"] = phone_variant(rnd, number) if rnd.random() < 0.85 else None
            if system == "hr":
                rec["employee_number"] = f"E{p:06d}"
            if system == "zoho":
                rec["name"] = latin(name)
            if system == "fxiaoke":
                # Fxiaoke signs its users in by mobile (`/cgi/user/getByMobile`):
                # the number is always there, the e-mail may be blank
                rec["phone"] = phone_variant(rnd, number)
                if rnd.random() < 0.1:
                    rec["email"] = None
            # a Zoho user's e-mail is its login, and the HR roster holds each
            # employee's work e-mail: neither is blank there
            managers.append(rec)
    switchboards = [f"010-{rnd.randrange(10**7, 10**8)}" for _ in range(max(1, customers // 2000))]
    records: list[dict[str, Any]] = []
    entity = 0
    base_names: list[str] = []
    while len(records) < customers:
        entity += 1
        homonym = base_names and rnd.random() < 0.03
        core = (
            rnd.choice(base_names)
            if homonym
            # three or four characters: registered names are distinctive, and
            # two characters gave a million customers only ~100k names
            else "".join(rnd.choice(WORDS) for _ in range(rnd.choice((3, 4))))
            + rnd.choice(INDUSTRY)
        )
        base_names.append(core)
        city = rnd.choice(CITIES)
        code = credit_code(rnd)
        phone = rnd.choice(switchboards) if rnd.random() < 0.02 else mobile(rnd)
        domain = f"c{entity}.example.cn"
        count = rnd.choices((1, 2, 3), (0.45, 0.35, 0.2))[0]
        for system in rnd.sample(SOURCES, count):
            name = core
            r = rnd.random()
            if r < 0.3:
                name = city + "市" + name
            elif r < 0.45:
                name = city + name
            name += (
                rnd.choice(SUFFIXES)
                if rnd.random() < 0.9 or system != "zoho"
                else rnd.choice(LATIN_SUFFIXES)
            )
            if rnd.random() < 0.05:
                name = typo(rnd, name)
            rec = {"truth": f"C{entity}", "source": system, "name": name, "region": city}
            c = code if rnd.random() < 0.7 else None
            if c and rnd.random() < 0.3:
                c = rnd.choice((c.lower(), c.translate(FULL), f"{c[:6]} {c[6:]}"))
            if c and rnd.random() < 0.02:
                c = c[:-1] + ("0" if c[-1] != "0" else "1")  # a typo: invalid, never a key
            rec["credit_code"] = c
            rec["phone"] = phone_variant(rnd, phone) if rnd.random() < 0.6 else None
            rec["email"] = f"sales@{domain}" if rnd.random() < 0.5 else None
            records.append(rec)
    return managers, records[:customers]


def write(store: Store, managers: list[dict[str, Any]], customers: list[dict[str, Any]]) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    store.upgrade()
    for entity, rows in (("managers", managers), ("customers", customers)):
        t = entity_tables[entity]
        counters: dict[str, int] = {}
        out = []
        for rec in rows:
            n = counters[rec["source"]] = counters.get(rec["source"], 0) + 1
            source_id = f"{rec['source'][:2]}{n}"
            row = {
                "id": hub_id(rec["source"], entity, source_id),
                "source": rec["source"],
                "source_id": source_id,
                "created_at": now - dt.timedelta(seconds=n),
                "extra": {"truth": rec["truth"]},
                "stream": entity,
                "first_synced_at": now,
                "synced_at": now,
                "name": rec["name"],
                "email": rec.get("email"),
                "phone": rec.get("phone"),
            }
            if entity == "managers":
                row.update(employee_number=rec.get("employee_number"), active=True)
            else:
                row.update(
                    credit_code=rec.get("credit_code"),
                    region=rec.get("region"),
                    kind="company",
                    tags=[],
                )
            out.append(row)
            if len(out) == 10_000:
                with store.begin() as conn:
                    conn.execute(insert(t), out)
                out = []
        if out:
            with store.begin() as conn:
                conn.execute(insert(t), out)


def change(store: Store, percent: float, seed: int = 11) -> int:
    """Touch `percent`% of the customers (a new phone format, a renamed
    suffix), as a re-sync would; returns how many."""
    rnd = random.Random(seed)
    t = entity_tables["customers"]
    with store.read() as conn:
        ids = list(conn.execute(select(t.c.id, t.c.name)).all())
    picked = rnd.sample(ids, max(1, int(len(ids) * percent / 100)))
    later = dt.datetime.now(dt.UTC)
    with store.begin() as conn:
        for hid, name in picked:
            conn.execute(update(t).where(t.c.id == hid).values(name=name + " ", synced_at=later))
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", default="10k")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--change", type=float, help="touch this percent of customers instead")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.db}"
    store = Store(url)
    if args.change:
        print(change(store, args.change))
        return
    managers, customers = build(size(args.customers))
    write(store, managers, customers)
    print(f"{len(managers)} managers, {len(customers)} customers")


if __name__ == "__main__":
    main()
