"""The example project `hub init --example DIR` writes.

A trading company: a domestic team selling in CNY and a foreign-trade team
selling in USD, 20 managers, a few hundred customers, a few thousand
activities in 2026 and quarterly goals. The files look like real exports:
managers.csv has English headers; customers.csv has Chinese headers and is
GBK-encoded (as Excel in China saves it); activities.csv has Chinese headers
in UTF-8 with a BOM. A few rows are broken on purpose, so the first sync
shows what a reject looks like.

The data is generated from a fixed seed: every run writes the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

SEED = 20261123
YEAR = 2026

EXAMPLE_CONFIG = """\
# Example project written by `hub init --example`. See `hub init` for every option.
store = "sqlite:///hub.db"
timezone = "Asia/Shanghai"
base_currency = "CNY"

[currency_rates]
USD = "7.10"

[connections.files]
adapter = "csv"
folder = "data"
managers = "managers.csv"
activities = "activities.csv"
goals = "goals.csv"

# customers.csv comes from Excel in China: GBK with Chinese headers. The
# encoding would be detected anyway; saying it is clearer.
[connections.files.customers]
path = "customers.csv"
encoding = "gb18030"
[connections.files.customers.columns]
"微信号" = "extra.wechat"

# Rules: `hub rules` lists what is installed, `hub rules run --period 2026-Q3`
# runs what is configured here, `hub report ...` shows the results.
[rules]
cancelled_statuses = ["cancelled", "refunded", "已取消", "已退款"]

# Attainment of every goal (sales in CNY, USD converted at the rate above).
[rules.measures]

# Quarterly scorecard from the goals' weights; one KPI counts at most 150 %.
[rules.scorecard]
per_kpi_cap = "1.5"

# Commission on the quarter's sales, paid band by band.
[rules.commission]
semantics = "marginal"          # marginal | retroactive | linear: always explicit
plan_period = "quarter"
tiers = [
  { upto = "300000", rate = "0.03" },
  { upto = "500000", rate = "0.05" },
  { rate = "0.07" },
]

# Bonus on the scorecard: nothing below 60 %, half at 60 %, full at 100 %.
[rules.scorecard_bonus]
target_bonus = "20000"
min_score = "0.6"
curve = [
  { score = "0.6", factor = "0.5" },
  { score = "1.0", factor = "1.0" },
  { score = "1.5", factor = "1.8" },
]
cap = "40000"

[rules.awards]
top = { count = 3, title = "季度之星" }
satisfaction = { min_average = "4.3", min_responses = 3, title = "客户满意奖" }

[rules.total_cap]
cap = "150000"

# Orders of a closed quarter cancelled within 90 days: commission reversed.
[rules.clawback]
window_days = 90

[rules.contact_sla]
days_by_tier = { A = 14, B = 30, C = 90 }

[rules.complaint_sla]
first_response_hours = 24
resolution_hours = 72

[rules.required_fields]
customers = ["owner", "phone", "tier", "industry"]
managers = ["email", "phone", "team"]

[rules.duplicates]
keys = ["phone", "credit_code", "name"]

[rules.owner_load]
max_customers = 40
median_factor = "2"

[rules.customer_owner]

[rules.low_value]
method = "quantiles"

[rules.churn_risk]

[rules.logging_lag]
max_lag_hours = 72

[rules.pii_notes]
"""

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬辉鹏斌宇浩凯秀兰建新志国荣文"
)
CITIES = [
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "苏州",
    "南京",
    "成都",
    "武汉",
    "宁波",
    "青岛",
    "厦门",
]
TRADES = ["贸易", "科技", "实业", "机械", "电子", "纺织", "食品", "化工", "物流", "建材"]
INDUSTRIES = ["制造业", "批发零售", "信息技术", "纺织服装", "食品饮料", "化工", "物流", "建筑材料"]
FOREIGN = [
    ("Acme Trading GmbH", "DE"),
    ("Northwind Imports LLC", "US"),
    ("Blue Harbour Ltd", "GB"),
    ("Sakura Shoji K.K.", "JP"),
    ("Maple Leaf Supply Inc", "CA"),
    ("Sol Andino SAC", "PE"),
    ("Nordlys AS", "NO"),
    ("Kiwi Wholesale Ltd", "NZ"),
    ("Rhein Maschinen AG", "DE"),
    ("Lone Star Goods Co", "US"),
    ("Café Lumière SARL", "FR"),
    ("Oranje Handel BV", "NL"),
]

BAD_ROWS = {
    "managers.csv": "a manager row without an id",
    "customers.csv": "a customer without a name",
    "activities.csv": "an impossible date, an amount with a letter O, an unknown activity "
    "kind, and an order whose ¥ amount contradicts its USD currency",
    "goals.csv": "a target of 'TBD'",
}


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + "".join(rng.choice(alphabet) for _ in range(16))


def _when(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    days = (end - start).days
    day = start + dt.timedelta(days=rng.randint(0, days))
    return dt.datetime(
        day.year, day.month, day.day, rng.randint(8, 20), rng.choice([0, 15, 30, 45])
    )


def _fmt(rng: random.Random, moment: dt.datetime) -> str:
    """Dates as exports write them: several styles in one file."""
    style = rng.random()
    if style < 0.5:
        return moment.strftime("%Y-%m-%d %H:%M")
    if style < 0.85:
        return f"{moment.year}/{moment.month}/{moment.day} {moment:%H:%M}"
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def build(rng: random.Random) -> dict[str, tuple[str, str]]:
    """File name -> (text, encoding)."""
    managers: list[list[object]] = [
        [
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
        ]
    ]
    teams = {"domestic": ("国内销售部", "CNY", 11), "foreign_trade": ("外贸部", "USD", 9)}
    roster: dict[str, list[str]] = {}
    used_names: set[str] = set()
    number = 1001
    for team, (department, _, size) in teams.items():
        roster[team] = []
        lead = None
        for i in range(size):
            mid = f"M{number}"
            while True:
                name = rng.choice(SURNAMES) + "".join(
                    rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
                )
                if name not in used_names:
                    used_names.add(name)
                    break
            title = "销售总监" if i == 0 else ("高级客户经理" if i < 4 else "客户经理")
            active = "yes" if not (team == "domestic" and i == size - 1) else "no"
            hired = dt.date(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28))
            managers.append(
                [
                    mid,
                    name,
                    f"{mid.lower()}@example.com",
                    _phone(rng),
                    f"E{number}",
                    department,
                    team,
                    title,
                    lead or "",
                    active,
                    hired.isoformat(),
                    rng.choice(["华东", "华南", "华北"])
                    if team == "domestic"
                    else rng.choice(["EMEA", "Americas", "APAC"]),
                ]
            )
            roster[team].append(mid)
            lead = lead or mid
            number += 1
    managers.append(
        [
            "",
            "孙无号",
            "nobody@example.com",
            _phone(rng),
            "E9999",
            "国内销售部",
            "domestic",
            "客户经理",
            roster["domestic"][0],
            "yes",
            "2024-01-01",
            "华东",
        ]
    )

    customers: list[list[object]] = [
        [
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
            "微信号",
            "创建时间",
        ]
    ]
    owners: dict[str, tuple[str, str]] = {}
    tiers = ["A"] * 2 + ["B"] * 3 + ["C"] * 5
    count = 0
    for team, members in roster.items():
        n = 190 if team == "domestic" else 110
        for _ in range(n):
            count += 1
            cid = f"C{20000 + count}"
            owner = rng.choice(members[1:])
            person = team == "domestic" and rng.random() < 0.15
            if team == "domestic":
                if person:
                    name, country = (
                        rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "CN",
                    )
                else:
                    name = f"{rng.choice(CITIES)}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(TRADES)}有限公司"
                    country = "CN"
                region = rng.choice(CITIES)
            else:
                base, country = rng.choice(FOREIGN)
                name, region = f"{base} #{count}", country
            if rng.random() < 0.03:
                owner = ""  # nobody owns it: a compliance finding later
            created = _when(rng, dt.date(2024, 1, 1), dt.date(YEAR, 9, 30))
            customers.append(
                [
                    cid,
                    name,
                    "个人" if person else "企业",
                    owner,
                    _phone(rng) if rng.random() < 0.9 else "",
                    f"contact{count}@example.{'cn' if team == 'domestic' else 'com'}",
                    "" if person or team != "domestic" else _credit_code(rng),
                    rng.choice(INDUSTRIES),
                    region,
                    country,
                    rng.choice(tiers),
                    rng.choice(["潜在客户", "成交客户", "成交客户", "流失风险"]),
                    "、".join(
                        rng.sample(
                            ["重点", "老客户", "展会", "转介绍", "电商"], k=rng.randint(0, 2)
                        )
                    ),
                    f"wx_{rng.randint(100000, 999999)}" if rng.random() < 0.3 else "",
                    created.strftime("%Y/%m/%d"),
                ]
            )
            owners[cid] = (owner, team)
    # two customers that are the same company entered twice (same phone and credit code)
    dup = customers[5]
    customers.append(["C29999", dup[1] + "（重复）", *dup[2:]])
    customers.append(
        [
            "C29998",
            "",
            "企业",
            roster["domestic"][1],
            _phone(rng),
            "",
            "",
            "",
            "",
            "CN",
            "C",
            "",
            "",
            "",
            "2026/1/5",
        ]
    )

    activities: list[list[object]] = [
        [
            "记录编号",
            "类型",
            "客户",
            "负责人",
            "跟进时间",
            "主题",
            "跟进内容",
            "金额",
            "币种",
            "评分",
            "首次响应时间",
            "解决时间",
            "通话时长",
            "录入时间",
        ]
    ]
    kinds = (
        ["电话"] * 30
        + ["拜访"] * 15
        + ["微信"] * 15
        + ["邮件"] * 10
        + ["订单"] * 14
        + ["回款"] * 6
        + ["投诉"] * 3
        + ["回访"] * 7
    )
    ids = list(owners)
    for i in range(3200):
        aid = f"A{100000 + i}"
        cid = rng.choice(ids)
        owner, team = owners[cid]
        manager = owner or rng.choice(roster[team][1:])
        kind = rng.choice(kinds)
        moment = _when(rng, dt.date(YEAR, 1, 1), dt.date(YEAR, 11, 20))
        logged = moment + dt.timedelta(
            hours=rng.choice([0, 0, 1, 2, 24]) if rng.random() < 0.97 else 24 * 20
        )
        amount = currency = score = responded = resolved = duration = ""
        subject, content = kind, ""
        if kind == "电话":
            duration = f"{rng.randint(0, 25):02d}:{rng.randint(0, 59):02d}"
            content = rng.choice(
                ["确认需求", "跟进报价", "约拜访时间", f"客户留了新号码 {_phone(rng)}"]
            )
        elif kind == "拜访":
            content = rng.choice(["上门拜访，介绍新品", "参观工厂", "年度回顾"])
        elif kind in ("订单", "回款"):
            value = rng.choice([3, 5, 8, 12, 20, 35, 60]) * rng.randint(1000, 3000)
            if team == "domestic":
                amount, currency = f"¥{value:,.2f}", "CNY"
            else:
                amount, currency = f"${value / 7:,.2f}", "USD"
            subject = f"{kind} {aid}"
        elif kind == "投诉":
            responded = _fmt(rng, moment + dt.timedelta(hours=rng.choice([1, 2, 4, 30])))
            resolved = (
                _fmt(rng, moment + dt.timedelta(days=rng.choice([1, 2, 3, 9])))
                if rng.random() < 0.8
                else ""
            )
            content = rng.choice(["交货延迟", "质量问题", "发票错误"])
        elif kind == "回访":
            score = rng.choice(["5", "4.5", "4", "4", "3.5", "3", "2"])
            content = "满意度回访"
        activities.append(
            [
                aid,
                kind,
                cid,
                manager,
                _fmt(rng, moment),
                subject,
                content,
                amount,
                currency,
                score,
                responded,
                resolved,
                duration,
                _fmt(rng, logged),
            ]
        )
    # the deliberately broken rows
    activities.append(
        [
            "A199001",
            "电话",
            ids[0],
            owners[ids[0]][0],
            "2026-13-45 10:00",
            "电话",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    activities.append(
        [
            "A199002",
            "订单",
            ids[1],
            owners[ids[1]][0],
            "2026-05-06 11:00",
            "订单",
            "",
            "12,3O0.00",
            "CNY",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    activities.append(
        [
            "A199003",
            "飞鸽传书",
            ids[2],
            owners[ids[2]][0],
            "2026-05-07 09:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    activities.append(
        [
            "A199004",
            "订单",
            ids[3],
            owners[ids[3]][0],
            "2026-05-08 15:30",
            "订单",
            "",
            "¥500",
            "USD",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    # an order at 23:30 Shanghai time on the last day of Q3: it belongs to Q3
    activities.append(
        [
            "A199005",
            "订单",
            ids[4],
            owners[ids[4]][0] or roster["domestic"][1],
            "2026-09-30 23:30",
            "季末订单",
            "",
            "¥88,000.00",
            "CNY",
            "",
            "",
            "",
            "",
            "2026-09-30 23:40",
        ]
    )

    goals: list[list[object]] = [["manager", "metric", "period", "target", "unit", "weight"]]
    for team, members in roster.items():
        (_, currency, _) = teams[team]
        for mid in members[1:]:
            for quarter in (1, 2, 3, 4):
                sales = (
                    rng.choice([30, 40, 50, 60]) * 10_000
                    if currency == "CNY"
                    else rng.choice([5, 6, 8]) * 10_000
                )
                goals += [
                    [mid, "sales_amount", f"{YEAR}-Q{quarter}", sales, currency, "0.4"],
                    [
                        mid,
                        "new_customers",
                        f"{YEAR}-Q{quarter}",
                        rng.randint(2, 6),
                        "customers",
                        "0.2",
                    ],
                    [mid, "satisfaction", f"{YEAR}-Q{quarter}", "4.2", "score", "0.2"],
                    [
                        mid,
                        "contact_count",
                        f"{YEAR}-Q{quarter}",
                        rng.choice([60, 80, 100]),
                        "contacts",
                        "0.2",
                    ],
                ]
    goals.append([roster["domestic"][1], "retention_rate", f"{YEAR}-Q3", "TBD", "", "0.1"])

    return {
        "managers.csv": (_csv(managers), "utf-8"),
        "customers.csv": (_csv(customers), "gb18030"),
        "activities.csv": (_csv(activities), "utf-8-sig"),
        "goals.csv": (_csv(goals), "utf-8"),
    }


def write_example(target: Path) -> str:
    """Write hub.toml and data/*.csv into `target`; return a one-line summary."""
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    (target / "hub.toml").write_text(EXAMPLE_CONFIG, encoding="utf-8")
    counts = []
    for name, (text, encoding) in build(random.Random(SEED)).items():
        (data / name).write_bytes(text.encode(encoding))
        counts.append(f"{text.count(chr(10)) - 1} rows in {name}")
    return ", ".join(counts)
