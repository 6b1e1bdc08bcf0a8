"""Deterministic benchmark data: managers, customers, activities and goals as CSV exports.

The files look like what the CSV adapter meets in practice, at any size:

- `managers.csv`: English headers, UTF-8 (an HR roster);
- `customers.csv`: Chinese headers, GB18030 (Excel in China), a custom column;
- `activities.csv`: Chinese headers, UTF-8 with a BOM (a Fxiaoke export),
  dates in several styles, amounts like `¥1,234.50`, `$980.00` and `1.2万`,
  durations like `05:12` and `5分钟`, empty cells, notes with commas, quotes
  and line breaks, Chinese and English text, and a few broken rows (counted
  in the manifest, so a run can be checked: stored + rejected = rows);
- `goals.csv`: English headers, quarterly and monthly goals per manager.

`activities_changed.csv` is the same file with 1% of the rows edited in
place (same ids, same order, new status/content/updated time).

Everything comes from one seed: the same sizes and seed give byte-identical
files on every machine. `manifest.json` records the sizes, expected counts
and SHA-256 of each file; the runner reuses a folder whose manifest matches.

    python bench/generate.py --activities 1M --out bench/data/1m
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_SEED = 6

ACTIVITY_HEADER = [
    "记录编号",
    "类型",
    "客户",
    "负责人",
    "跟进时间",
    "录入时间",
    "截止时间",
    "完成时间",
    "状态",
    "主题",
    "跟进内容",
    "金额",
    "币种",
    "评分",
    "首次响应时间",
    "解决时间",
    "通话时长",
    "跟进渠道",
    "创建时间",
    "最后修改时间",
]
CUSTOMER_HEADER = [
    "客户编号",
    "客户名称",
    "客户类型",
    "负责人",
    "手机",
    "邮箱",
    "统一社会信用代码",
    "行业",
    "地区",
    "国家",
    "客户等级",
    "生命周期",
    "标签",
    "营销许可",
    "微信号",
    "创建时间",
    "最后修改时间",
]
MANAGER_HEADER = [
    "id",
    "name",
    "email",
    "phone",
    "employee_number",
    "department",
    "team",
    "title",
    "supervisor",
    "active",
    "hired_at",
    "region",
    "updated_at",
]
GOAL_HEADER = ["manager", "team", "metric", "period", "target", "unit", "weight"]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬辉鹏斌宇浩凯兰建新志国荣文"
FIRST_NAMES = ["Emma", "Liam", "Olivia", "Noah", "Sophie", "Lukas", "Mia", "Hiro", "Ana", "Jonas"]
LAST_NAMES = ["Schmidt", "Smith", "Tanaka", "García", "Müller", "Brown", "Rossi", "Novak", "Kim"]
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "苏州", "南京", "成都", "武汉", "宁波", "青岛"]
TRADES = ["贸易", "科技", "实业", "机械", "电子", "纺织", "食品", "化工", "物流", "建材"]
INDUSTRIES = ["制造业", "批发零售", "信息技术", "纺织服装", "食品饮料", "化工", "物流", "建筑材料"]
FOREIGN = [
    ("Acme Trading GmbH", "DE"),
    ("Northwind Imports LLC", "US"),
    ("Blue Harbour Ltd", "GB"),
    ("Sakura Shoji K.K.", "JP"),
    ("Maple Leaf Supply Inc", "CA"),
    ("Café Lumière SARL", "FR"),
    ("Oranje Handel BV", "NL"),
    ("Lone Star Goods Co", "US"),
]

# (label in the file, share): Chinese labels for the domestic team, English
# ones for the foreign-trade team, as the two CRMs export them.
DOMESTIC_KINDS = [
    ("电话", 30),
    ("拜访", 14),
    ("微信", 14),
    ("邮件", 6),
    ("会议", 4),
    ("任务", 6),
    ("备注", 5),
    ("订单", 10),
    ("回款", 5),
    ("投诉", 2),
    ("回访", 4),
]
FOREIGN_KINDS = [
    ("call", 25),
    ("email", 25),
    ("meeting", 8),
    ("message", 10),
    ("task", 8),
    ("note", 5),
    ("order", 10),
    ("payment", 5),
    ("complaint", 1),
    ("feedback", 3),
]
DOMESTIC_NOTES = [
    "确认需求",
    "跟进报价，客户说下周答复",
    "约拜访时间",
    "上门拜访，介绍新品",
    "年度回顾",
    "参观工厂",
    '客户反馈"价格偏高"，需要申请折扣',
    "交货延迟",
    "质量问题，已安排退换",
    "满意度回访",
]
FOREIGN_NOTES = [
    "Sent the quotation, waiting for feedback",
    "Discussed Q3 volumes, needs approval from HQ",
    'Customer asked for "FOB Ningbo" terms',
    "Follow-up on late shipment",
    "Trade fair meeting, interested in the new catalogue",
]
CHANNELS = ["企业微信", "纷享销客App", "Web", "", "", "Zoho Mobile"]


def parse_size(text: str) -> int:
    """`10k`, `100k`, `1M`, `1.5M`, `2000` → a row count."""
    value = text.strip().lower().replace("_", "").replace(",", "")
    factor = 1
    if value.endswith("k"):
        factor, value = 1_000, value[:-1]
    elif value.endswith("m"):
        factor, value = 1_000_000, value[:-1]
    number = float(value) * factor
    if number < 1 or number != int(number):
        raise ValueError(f"not a row count: {text!r}")
    return int(number)


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


@dataclass(frozen=True)
class Plan:
    """How many rows of each entity, from which seed."""

    activities: int
    customers: int
    managers: int
    goals: int
    seed: int = DEFAULT_SEED
    changed_share: float = 0.01
    bad_every: int = 2000
    """One activity row in this many is broken on purpose (a reject)."""
    version: int = GENERATOR_VERSION

    @classmethod
    def for_activities(
        cls,
        activities: int,
        *,
        customers: int | None = None,
        managers: int | None = None,
        goals: int | None = None,
        seed: int = DEFAULT_SEED,
    ) -> Plan:
        """Realistic proportions: ~20 activities per customer, ~100 customers per manager."""
        customers = customers or max(100, activities // 20)
        managers = managers or max(20, customers // 100)
        goals = goals or managers * 12
        return cls(activities, customers, managers, goals, seed)


class _Random(random.Random):
    """`random.Random` with the few draws the generator needs."""

    def weighted(self, table: list[tuple[str, int]]) -> str:
        total = sum(w for _, w in table)
        pick = self.random() * total
        for label, weight in table:
            pick -= weight
            if pick < 0:
                return label
        return table[-1][0]

    def maybe(self, share: float, value: str) -> str:
        return value if self.random() < share else ""

    def phone(self) -> str:
        return f"1{self.choice('35789')}{self.randint(0, 9)}{self.randint(10_000_000, 99_999_999)}"


def _stamp(rng: _Random, moment: dt.datetime) -> str:
    """A date and time as exports write them: several styles in one file."""
    style = rng.random()
    if style < 0.45:
        return f"{moment:%Y-%m-%d %H:%M}"
    if style < 0.70:
        return f"{moment.year}/{moment.month}/{moment.day} {moment:%H:%M}"
    if style < 0.80:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    if style < 0.88:
        return f"{moment:%Y-%m-%dT%H:%M:%S}+08:00"
    if style < 0.93:
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment:%Y-%m-%d}"


def _day(rng: _Random, day: dt.date) -> str:
    return f"{day:%Y-%m-%d}" if rng.random() < 0.7 else f"{day.year}/{day.month}/{day.day}"


# -- managers ------------------------------------------------------------------


def _domestic_count(managers: int) -> int:
    return max(1, math.ceil(managers * 0.7))


def managers_rows(plan: Plan) -> Iterator[list[str]]:
    rng = _Random(f"{plan.seed}:managers")
    domestic = _domestic_count(plan.managers)
    lead = ""
    for i in range(plan.managers):
        mid = f"M{100000 + i}"
        home = i < domestic
        first_of_team = i in (0, domestic)
        if first_of_team or i % 10 == 0:
            title = "销售总监" if home else "Sales Director"
            supervisor, lead = (lead if not first_of_team else ""), mid
        else:
            title = rng.choice(["客户经理", "高级客户经理"]) if home else "Account Manager"
            supervisor = lead
        if home:
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
            )
            region = rng.choice(["华东", "华南", "华北", "西南"])
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            region = rng.choice(["EMEA", "Americas", "APAC"])
        hired = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        yield [
            mid,
            name,
            f"{mid.lower()}@example.com",
            rng.maybe(0.95, rng.phone()),
            f"E{100000 + i}",
            "国内销售部" if home else "外贸部",
            "domestic" if home else "foreign_trade",
            title,
            supervisor,
            rng.choice(["yes", "yes", "yes", "是", "在职", "no"]),
            _day(rng, hired),
            region,
            _stamp(rng, dt.datetime(2026, 1, 1, 9) + dt.timedelta(minutes=rng.randint(0, 400_000))),
        ]


# -- customers -----------------------------------------------------------------


def customer_owners(plan: Plan) -> array:
    """Owner (manager index, -1 for none) of every customer, drawn the same
    way `customers_rows` draws them."""
    rng = _Random(f"{plan.seed}:owners")
    domestic = _domestic_count(plan.managers)
    owners = array("i")
    for i in range(plan.customers):
        home = i % 10 < 7 or domestic == plan.managers
        if rng.random() < 0.02:
            owners.append(-1)  # in the public pool (公海): nobody owns it
        elif home:
            owners.append(rng.randrange(0, domestic))
        else:
            owners.append(rng.randrange(domestic, plan.managers))
    return owners


def customers_rows(plan: Plan, owners: array) -> Iterator[list[str]]:
    rng = _Random(f"{plan.seed}:customers")
    domestic = _domestic_count(plan.managers)
    for i in range(plan.customers):
        owner = owners[i]
        home = i % 10 < 7 or domestic == plan.managers
        person = home and rng.random() < 0.15
        if home:
            if person:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            else:
                name = (
                    f"{rng.choice(CITIES)}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
                    f"{rng.choice(TRADES)}有限公司"
                )
            region, country = rng.choice(CITIES), "CN"
        else:
            base, country = rng.choice(FOREIGN)
            name, region = f"{base} #{i}", country
        created = dt.datetime(2023, 1, 1, 9) + dt.timedelta(minutes=rng.randint(0, 1_500_000))
        code = "91" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))
        yield [
            f"C{1000000 + i}",
            name,
            "个人" if person else "企业",
            f"M{100000 + owner}" if owner >= 0 else "",
            rng.maybe(0.85, rng.phone()),
            rng.maybe(0.7, f"contact{i}@example.{'cn' if home else 'com'}"),
            code if home and not person and rng.random() < 0.8 else "",
            rng.choice(INDUSTRIES),
            region,
            country,
            rng.choice(["A", "B", "B", "C", "C", "C", ""]),
            rng.choice(["潜在客户", "成交客户", "成交客户", "流失风险", ""]),
            "、".join(
                rng.sample(["重点", "老客户", "展会", "转介绍", "电商"], k=rng.randint(0, 2))
            ),
            rng.choice(["是", "否", ""]),
            rng.maybe(0.3, f"wx_{rng.randint(100000, 999999)}"),
            f"{created:%Y/%m/%d}",
            _stamp(rng, created + dt.timedelta(days=rng.randint(0, 300))),
        ]


# -- activities ----------------------------------------------------------------

_BAD_ROWS = [
    ("跟进时间", "2026-13-45 10:00"),  # impossible date
    ("金额", "12,3O0.00"),  # letter O in an amount
    ("类型", "飞鸽传书"),  # unknown kind
]
_START = dt.datetime(2024, 1, 1)
_SPAN_MINUTES = (dt.datetime(2026, 10, 31) - _START).days * 24 * 60


def activity_rows(plan: Plan, owners: array) -> Iterator[tuple[list[str], list[str] | None]]:
    """(row, edited row or None): the edited row goes to the 1%-changed file."""
    rng = _Random(f"{plan.seed}:activities")
    changes = _Random(f"{plan.seed}:changed")
    changed = set(
        changes.sample(range(plan.activities), round(plan.activities * plan.changed_share))
    )
    domestic = _domestic_count(plan.managers)
    col = {name: i for i, name in enumerate(ACTIVITY_HEADER)}
    for i in range(plan.activities):
        # Busy customers get many more activities than quiet ones.
        customer = min(int(plan.customers * rng.random() ** 2), plan.customers - 1)
        owner = owners[customer]
        home = owner < domestic if owner >= 0 else customer % 10 < 7
        team = (0, domestic) if home else (domestic, plan.managers)
        if owner < 0 or rng.random() < 0.1 or team[0] == team[1]:
            manager = rng.randrange(0, plan.managers)
        else:
            manager = owner
        kind = rng.weighted(DOMESTIC_KINDS if home else FOREIGN_KINDS)
        minute = rng.randint(0, _SPAN_MINUTES)
        moment = _START + dt.timedelta(minutes=minute - minute % 5)
        moment = moment.replace(hour=8 + moment.hour % 13)
        logged = moment + dt.timedelta(minutes=rng.choice([0, 5, 30, 60, 120, 1440]))
        row = [""] * len(ACTIVITY_HEADER)
        row[col["记录编号"]] = f"A{10_000_000 + i}"
        row[col["类型"]] = kind
        row[col["客户"]] = f"C{1000000 + customer}"
        row[col["负责人"]] = f"M{100000 + manager}" if rng.random() < 0.99 else ""
        row[col["跟进时间"]] = _stamp(rng, moment)
        row[col["录入时间"]] = rng.maybe(0.8, _stamp(rng, logged))
        row[col["跟进渠道"]] = rng.choice(CHANNELS)
        row[col["创建时间"]] = f"{logged:%Y-%m-%d %H:%M:%S}"
        row[col["最后修改时间"]] = (
            f"{logged + dt.timedelta(hours=rng.randint(0, 72)):%Y-%m-%d %H:%M:%S}"
        )
        notes = DOMESTIC_NOTES if home else FOREIGN_NOTES
        _fill_kind(rng, row, col, kind, home, moment, notes)
        if rng.random() < 0.003:
            row[col["跟进内容"]] += (
                "\n第二行：客户要求书面确认" if home else "\nP.S. call back Monday"
            )
        if rng.random() < 0.01:
            row[col["跟进内容"]] += f" 客户新号码 {rng.phone()}"
        if is_bad(plan, i):
            column, value = _BAD_ROWS[(i // plan.bad_every) % len(_BAD_ROWS)]
            row[col[column]] = value
            if column == "金额":
                row[col["币种"]] = "CNY"
        edited = None
        if i in changed:
            edited = list(row)
            edited[col["状态"]] = "已完成" if row[col["状态"]] != "已完成" else "已关闭"
            edited[col["跟进内容"]] = (row[col["跟进内容"]] + " [已更新]").strip()
            edited[col["最后修改时间"]] = "2026-11-20 10:00:00"
        yield row, edited


def is_bad(plan: Plan, index: int) -> bool:
    """Is activity row `index` (0-based) one of the rows broken on purpose?"""
    return (index + 1) % plan.bad_every == 0


def _fill_kind(
    rng: _Random,
    row: list[str],
    col: dict[str, int],
    kind: str,
    home: bool,
    moment: dt.datetime,
    notes: list[str],
) -> None:
    """The columns that depend on the kind of activity."""
    row[col["主题"]] = rng.maybe(0.8, kind if home else kind.title())
    row[col["跟进内容"]] = rng.maybe(0.85, rng.choice(notes))
    if kind in ("电话", "call"):
        seconds = int(rng.expovariate(1 / 240))
        row[col["通话时长"]] = rng.choice(
            [
                f"{seconds // 60:02d}:{seconds % 60:02d}",
                str(seconds),
                f"{seconds // 60 + 1}分钟",
                "",
            ]
        )
        row[col["状态"]] = "已完成" if home else "completed"
    elif kind in ("订单", "回款", "order", "payment"):
        value = round(math.exp(rng.gauss(8.5, 1.1)), 2)
        row[col["主题"]] = f"{kind} {row[col['记录编号']]}"
        if home:
            style = rng.random()
            if style < 0.5:
                row[col["金额"]] = f"¥{value:,.2f}"
            elif style < 0.9:
                row[col["金额"]] = f"{value:.2f}"
            else:
                row[col["金额"]] = f"{value / 10000:.2f}万"
            row[col["币种"]] = rng.maybe(0.7, "CNY")
        else:
            usd = value / 7
            row[col["金额"]] = f"${usd:,.2f}" if rng.random() < 0.6 else f"US${usd:,.2f}"
            row[col["币种"]] = rng.maybe(0.8, "USD")
        row[col["状态"]] = rng.choice(["已完成", "进行中", "已取消"] if home else ["won", "open"])
    elif kind in ("投诉", "complaint"):
        row[col["首次响应时间"]] = _stamp(
            rng, moment + dt.timedelta(hours=rng.choice([1, 2, 4, 30]))
        )
        if rng.random() < 0.8:
            resolved = moment + dt.timedelta(days=rng.choice([1, 2, 3, 9]))
            row[col["解决时间"]] = _stamp(rng, resolved)
        row[col["状态"]] = "已解决" if row[col["解决时间"]] else "处理中"
    elif kind in ("回访", "feedback"):
        row[col["评分"]] = rng.choice(["5", "4.5", "4", "4", "3.5", "3", "2", "90%"])
    elif kind in ("任务", "task"):
        due = moment + dt.timedelta(days=rng.randint(1, 14))
        row[col["截止时间"]] = _stamp(rng, due)
        if rng.random() < 0.7:
            row[col["完成时间"]] = _stamp(rng, due - dt.timedelta(hours=rng.randint(-48, 72)))
            row[col["状态"]] = "已完成" if home else "done"
        else:
            row[col["状态"]] = "进行中" if home else "open"


# -- goals ---------------------------------------------------------------------

_METRICS = [
    ("sales_amount", None),
    ("contact_count", "contacts"),
    ("new_customers", "customers"),
    ("satisfaction", "score"),
    ("order_count", "orders"),
    ("retention_rate", "%"),
    ("visit_count", "visits"),
    ("payment_amount", None),
    ("order_completion_rate", "%"),
]


def _periods() -> Iterator[str]:
    """Quarters, newest first, then months, then years: labels never repeat."""
    for year in range(2026, 1999, -1):
        for q in (4, 3, 2, 1):
            yield f"{year}-Q{q}"
    for year in range(2026, 1999, -1):
        for month in range(12, 0, -1):
            yield f"{year}-{month:02d}"
    for year in range(2026, 1899, -1):
        yield str(year)


def goals_rows(plan: Plan) -> Iterator[list[str]]:
    rng = _Random(f"{plan.seed}:goals")
    domestic = _domestic_count(plan.managers)
    written = 0
    for period in _periods():
        for manager in range(plan.managers):
            for metric, unit in _METRICS[:3] if written < plan.managers * 12 else _METRICS:
                if written == plan.goals:
                    return
                home = manager < domestic
                currency = "CNY" if home else "USD"
                if metric in ("sales_amount", "payment_amount"):
                    target = str(rng.choice([30, 40, 50, 60, 80]) * (10_000 if home else 1_500))
                elif metric in ("retention_rate", "order_completion_rate"):
                    target = rng.choice(["0.85", "90%", "0.9"])
                elif metric == "satisfaction":
                    target = rng.choice(["4.2", "4.5"])
                else:
                    target = str(rng.randint(3, 120))
                yield [
                    f"M{100000 + manager}",
                    "",
                    metric,
                    period,
                    target,
                    unit or currency,
                    rng.choice(["0.4", "0.3", "0.2", ""]),
                ]
                written += 1
    raise ValueError(f"{plan.goals} goals need more managers than {plan.managers}")


# -- files ---------------------------------------------------------------------


def _write(path: Path, header: list[str], rows: Iterator[list[str]], encoding: str) -> int:
    count = 0
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def generate(out: Path, plan: Plan) -> dict:
    """Write the four files, the 1%-changed activities file and manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest_path.unlink(missing_ok=True)  # a half-written folder never looks complete
    owners = customer_owners(plan)
    counts = {
        "managers.csv": _write(out / "managers.csv", MANAGER_HEADER, managers_rows(plan), "utf-8"),
        "customers.csv": _write(
            out / "customers.csv", CUSTOMER_HEADER, customers_rows(plan, owners), "gb18030"
        ),
        "goals.csv": _write(out / "goals.csv", GOAL_HEADER, goals_rows(plan), "utf-8"),
    }
    changed = changed_valid = 0
    with (
        (out / "activities.csv").open("w", encoding="utf-8-sig", newline="") as f,
        (out / "activities_changed.csv").open("w", encoding="utf-8-sig", newline="") as g,
    ):
        original, edited = (
            csv.writer(f, lineterminator="\r\n"),
            csv.writer(g, lineterminator="\r\n"),
        )
        original.writerow(ACTIVITY_HEADER)
        edited.writerow(ACTIVITY_HEADER)
        rows = 0
        for row, changed_row in activity_rows(plan, owners):
            original.writerow(row)
            edited.writerow(changed_row or row)
            rows += 1
            if changed_row is not None:
                changed += 1
                changed_valid += not is_bad(plan, rows - 1)
    counts["activities.csv"] = counts["activities_changed.csv"] = rows
    manifest = {
        "plan": asdict(plan),
        "rows": counts,
        "activities_bad_rows": plan.activities // plan.bad_every,
        "activities_changed_rows": changed,
        "activities_changed_valid_rows": changed_valid,
        "sha256": {name: sha256(out / name) for name in sorted(counts)},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def ensure(out: Path, plan: Plan) -> dict:
    """Generate unless `out` already holds exactly this plan's files."""
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("plan") == asdict(plan):
            return manifest
    return generate(out, plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", required=True, type=parse_size, help="e.g. 100k, 1M")
    parser.add_argument("--customers", type=parse_size, help="default: activities / 20")
    parser.add_argument("--managers", type=parse_size, help="default: customers / 100")
    parser.add_argument("--goals", type=parse_size, help="default: 12 per manager")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    args = parser.parse_args()
    plan = Plan.for_activities(
        args.activities,
        customers=args.customers,
        managers=args.managers,
        goals=args.goals,
        seed=args.seed,
    )
    manifest = generate(args.out, plan)
    for name, count in manifest["rows"].items():
        print(f"{args.out / name}: {count} rows")


if __name__ == "__main__":
    main()
