"""The demo company, 明远贸易 (Mingyuan Trading), as plain data.

Its domestic team works in Fxiaoke, its foreign-trade team in Zoho CRM, and
HR keeps the roster in a spreadsheet. The people and the named customers
are data files (`data/people.csv`, `data/companies.csv`) so the overlaps the
demo is about are easy to see and edit: 张伟 is in all three systems (as
"Wei Zhang" in Zoho), 孙浩 uses another e-mail in Zoho, three customers are
in both CRMs with their credit code in another case. The rest (more
customers, a year of activities, goals that fit the sales) is generated
from a fixed seed: every run builds the same company.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

SEED = 20261203
YEAR = 2026
LAST_DAY = dt.date(YEAR, 11, 20)
"""Activities run from January to this day."""
PERIOD = f"{YEAR}-Q3"
"""The latest complete quarter of the data: the one the demo runs rules for."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
USD_RATE = Decimal("7.10")
CONTACT_KINDS = ("note", "visit", "call", "meeting")
"""What the demo counts as contacting a customer (Fxiaoke follow-ups arrive as calls)."""


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    latin: str
    email: str
    mobile: str
    employee_number: str
    team: str
    title: str
    lead: str
    hired_at: str
    systems: frozenset[str]


@dataclass(frozen=True)
class Company:
    key: str
    name: str
    latin: str
    credit_code: str
    team: str
    tier: str
    industry: str
    region: str
    country: str
    phone: str
    systems: frozenset[str]
    owners: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """System -> the person key who owns the customer there."""


@dataclass(frozen=True)
class Activity:
    key: str
    system: str
    kind: str
    """call, visit, note, meeting, order or payment."""
    company: str
    owner: str
    at: dt.datetime
    content: str = ""
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class Goal:
    person: str
    system: str
    period: str
    """A quarter (2026-Q3) or, for Fxiaoke's monthly goals, a month (2026-07)."""
    metric: str
    target: Decimal
    currency: str = ""
    weight: Decimal | None = None


@dataclass
class DemoCompany:
    people: list[Person]
    companies: list[Company]
    activities: list[Activity]
    goals: list[Goal]

    def person(self, key: str) -> Person:
        return next(p for p in self.people if p.key == key)

    def in_system(self, system: str) -> list[Person]:
        return [p for p in self.people if system in p.systems]

    def customers_in(self, system: str) -> list[Company]:
        return [c for c in self.companies if system in c.systems]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("hub.demo").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _systems(row: dict[str, str], names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n for n in names if row.get(n) == "yes")


def load_people() -> list[Person]:
    return [
        Person(
            **{k: v for k, v in row.items() if k not in ("hr", "fxiaoke", "zoho")},
            systems=_systems(row, ("hr", "fxiaoke", "zoho")),
        )
        for row in _rows("people.csv")
    ]


_CITIES = ["上海", "北京", "广州", "无锡", "南京", "武汉", "厦门", "佛山", "温州", "合肥"]
_WORDS = ["华信", "东方", "金桥", "瑞丰", "新海", "永安", "恒通", "德胜", "联创", "宏达"]
_TRADES = ["贸易", "实业", "电子", "机械", "化工", "建材", "包装", "家居"]
_INDUSTRIES = ["制造业", "批发零售", "信息技术", "化工", "建筑材料", "物流"]
_FOREIGN = [
    ("Rhein Maschinen AG", "DE", "Hesse"),
    ("Lone Star Goods Co", "US", "Texas"),
    ("Maple Leaf Supply Inc", "CA", "Ontario"),
    ("Café Lumière SARL", "FR", "Île-de-France"),
    ("Oranje Handel BV", "NL", "Utrecht"),
    ("Kiwi Wholesale Ltd", "NZ", "Auckland"),
    ("Nordlys AS", "NO", "Oslo"),
    ("Sol Andino SAC", "PE", "Lima"),
]


def _filler(rnd: random.Random, team: str, count: int, start: int) -> list[Company]:
    made = []
    for i in range(count):
        key = f"K{start + i:02d}"
        tier = rnd.choice("AABBBCCCCC")
        if team == "domestic":
            name = f"{rnd.choice(_CITIES)}{rnd.choice(_WORDS)}{rnd.choice(_TRADES)}有限公司"
            made.append(
                Company(
                    key,
                    f"{name[:-4]}{i}有限公司",
                    "",
                    "",
                    team,
                    tier,
                    rnd.choice(_INDUSTRIES),
                    name[:2],
                    "CN",
                    f"0{rnd.randint(20, 99)}-{rnd.randint(60000000, 89999999)}",
                    frozenset({"fxiaoke"}),
                )
            )
        else:
            base, country, region = rnd.choice(_FOREIGN)
            made.append(
                Company(
                    key,
                    "",
                    f"{base} #{i + 1}",
                    "",
                    team,
                    tier,
                    "Wholesale",
                    region,
                    country,
                    f"+{rnd.randint(1, 49)} {rnd.randint(200, 999)} 555 {rnd.randint(1000, 9999)}",
                    frozenset({"zoho"}),
                )
            )
    return made


def load_companies(rnd: random.Random, people: list[Person]) -> list[Company]:
    named = [
        Company(
            **{k: v for k, v in row.items() if k not in ("fxiaoke", "zoho")},
            systems=_systems(row, ("fxiaoke", "zoho")),
        )
        for row in _rows("companies.csv")
    ]
    companies = [
        *named,
        *_filler(rnd, "domestic", 34, len(named) + 1),
        *_filler(rnd, "foreign_trade", 22, len(named) + 35),
    ]
    sellers = {
        system: [p.key for p in people if system in p.systems and p.lead]
        for system in ("fxiaoke", "zoho")
    }
    for company in companies:
        for system in sorted(company.systems):
            company.owners[system] = rnd.choice(sellers[system])
    return companies


def _moment(rnd: random.Random, start: dt.date = dt.date(YEAR, 1, 1)) -> dt.datetime:
    day = start + dt.timedelta(days=rnd.randint(0, (LAST_DAY - start).days))
    return dt.datetime(
        day.year,
        day.month,
        day.day,
        rnd.randint(8, 19),
        rnd.choice([0, 15, 30, 45]),
        tzinfo=SHANGHAI,
    )


# (kind, how many per customer per year, what the notes say)
_MIX = {
    "fxiaoke": [
        ("note", 6, ["电话沟通报价", "微信跟进需求", "发送样品", "确认交期"]),
        ("visit", 2, ["上门拜访，介绍新品", "年度回顾"]),
        ("order", 3, [""]),
        ("payment", 2, [""]),
    ],
    "zoho": [
        ("call", 5, ["Price follow-up", "Shipping schedule", "Sample feedback"]),
        ("meeting", 2, ["Trade fair meeting", "Quarterly review"]),
        ("order", 3, [""]),
    ],
}


def build_activities(rnd: random.Random, companies: list[Company]) -> list[Activity]:
    made: list[Activity] = []
    for system, mix in _MIX.items():
        for company in (c for c in companies if system in c.systems):
            weight = {"A": 2.0, "B": 1.0, "C": 0.5}[company.tier]
            for kind, per_year, texts in mix:
                for _ in range(max(1, round(per_year * weight * rnd.uniform(0.6, 1.4)))):
                    amount = currency = None
                    if kind in ("order", "payment"):
                        if system == "fxiaoke":
                            amount = Decimal(rnd.randint(8, 120) * 1000) + Decimal("0.50")
                            currency = "CNY"
                        else:
                            amount = Decimal(rnd.randint(3, 40) * 500)
                            currency = "USD"
                    made.append(
                        Activity(
                            key=f"{system[0].upper()}{len(made) + 1:05d}",
                            system=system,
                            kind=kind,
                            company=company.key,
                            owner=company.owners[system],
                            at=_moment(rnd),
                            content=rnd.choice(texts),
                            amount=amount,
                            currency=currency or "",
                        )
                    )
    return made


def _quarter(moment: dt.datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def build_goals(rnd: random.Random, people: list[Person], activities: list[Activity]) -> list[Goal]:
    """Targets a little above or below what each person did, so attainment varies.

    Fxiaoke keeps monthly targets (sales, contacts); Zoho quarterly ones."""
    done: dict[tuple[str, str, str, str], Decimal] = {}
    for a in activities:
        month = a.at.strftime("%Y-%m")
        if a.kind == "order" and a.amount is not None:
            key = (a.system, a.owner, "sales_amount", month)
            done[key] = done.get(key, Decimal(0)) + a.amount
        elif a.kind in CONTACT_KINDS:
            key = (a.system, a.owner, "contact_count", month)
            done[key] = done.get(key, Decimal(0)) + 1

    def target(system: str, metric: str, actual: Decimal, factor: Decimal) -> Decimal:
        step = Decimal(1 if metric == "contact_count" else 10_000 if system == "fxiaoke" else 1000)
        return max(step, (actual / factor / step).quantize(Decimal(1)) * step)

    goals = []
    for person in people:
        if not person.lead:
            continue  # the director has no personal targets
        factor = Decimal(rnd.choice(["0.7", "0.85", "1.0", "1.1", "1.3"]))
        for system in sorted(person.systems - {"hr"}):
            for metric, default in (("sales_amount", 100_000), ("contact_count", 3)):
                if system == "fxiaoke":
                    periods = {f"{YEAR}-{m:02d}": [f"{YEAR}-{m:02d}"] for m in range(1, 13)}
                else:
                    periods = {
                        f"{YEAR}-Q{q}": [f"{YEAR}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
                        for q in range(1, 5)
                    }
                for label, months in periods.items():
                    actual = sum(
                        (done.get((system, person.key, metric, m), Decimal(0)) for m in months),
                        Decimal(0),
                    ) or Decimal(default)
                    value = target(system, metric, actual, factor)
                    money = metric == "sales_amount"
                    goals.append(
                        Goal(
                            person.key,
                            system,
                            label,
                            metric,
                            value,
                            ("CNY" if system == "fxiaoke" else "USD") if money else "",
                            Decimal("0.6") if money else Decimal("0.4"),
                        )
                    )
    return goals


def build_company(seed: int = SEED) -> DemoCompany:
    rnd = random.Random(seed)
    people = load_people()
    companies = load_companies(rnd, people)
    activities = build_activities(rnd, companies)
    return DemoCompany(people, companies, activities, build_goals(rnd, people, activities))
