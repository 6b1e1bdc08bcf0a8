"""The demo project on disk: hub.toml (rules in `data/rules.toml`) and HR's roster."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from hub.demo.company import DemoCompany
from hub.errors import ConfigError

MARK = "# Demo project written by `hub demo`."
"""hub.toml's first line: `hub demo` may write over a folder that starts with it."""


def check_target(target: Path, force: bool) -> None:
    """Refuse to write into a folder that holds something else."""
    if not target.exists() or force:
        return
    if not target.is_dir():
        raise ConfigError(f"{target}: not a folder")
    config = target / "hub.toml"
    if config.exists() and config.read_text(encoding="utf-8").startswith(MARK):
        return
    if any(target.iterdir()):
        raise ConfigError(
            f"{target}: folder is not empty and not a demo (use --force to write anyway)"
        )


def _table(name: str, settings: dict[str, Any]) -> str:
    lines = [f"[connections.{name}]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    return "\n".join(lines)


def hub_toml(fxiaoke: dict[str, Any], zoho: dict[str, Any]) -> str:
    """The project's hub.toml; `fxiaoke` and `zoho` are the fakes' connection settings."""
    rules = (
        resources.files("hub.demo")
        .joinpath("data")
        .joinpath("rules.toml")
        .read_text(encoding="utf-8")
    )
    return f"""\
{MARK}
# The CRMs are the plugins' fakes on loopback, with the URLs below: they run
# while `hub demo` runs. To keep them up (and sync, check or export against
# them from another terminal), run `hub demo DIR --serve`. The credentials
# below are the fakes' own; real ones belong in the environment ("${{VAR}}").
store = "sqlite:///hub.db"
timezone = "Asia/Shanghai"
base_currency = "CNY"

[currency_rates]
USD = "7.10"

# HR's roster: a spreadsheet export.
[connections.hr]
adapter = "csv"
folder = "data"
managers = "managers.csv"

# The domestic team works in Fxiaoke (纷享销客).
{_table("fxiaoke", {"adapter": "fxiaoke", **fxiaoke})}
calls_per_20s = 1000

[connections.fxiaoke.customers]
fields = {{ credit_code = "uniform_social_credit_code" }}
values = {{ tier = {{ "1" = "A", "2" = "B", "3" = "C" }} }}

# Follow-ups are calls, messages or visits by their type.
[[connections.fxiaoke.activities]]
api_name = "ActiveRecordObj"
kinds = {{ phone = "call", wechat = "message", visit = "visit" }}

# Monthly targets; the quarters are their sums.
[connections.fxiaoke.goals]
metric = "sales_amount"
metrics_by_rule = {{ rule_contacts = "contact_count" }}
unit = "contacts"
derive = ["quarter"]

# The foreign-trade team works in Zoho CRM.
{_table("zoho", {"adapter": "zoho", **zoho})}
activities = ["Calls", "Events", "Deals"]

[connections.zoho.fields]
customers = {{ Credit_Code = "credit_code", Customer_Tier = "tier" }}

[connections.zoho.goals]
module = "Sales_Targets"
currency = "Currency"
weight = "Weight"
metrics = {{ "Sales Amount" = "sales_amount", "Contact Count" = "contact_count" }}

# One person in three sources is one unified manager: HR's roster says who
# they are and where they work; the CRMs, most recent first, how to reach them.
[identity.managers.fields]
name = ["hr"]
employee_number = ["hr"]
department = ["hr"]
team = ["hr"]
title = ["hr"]
supervisor_id = ["hr"]
hired_at = ["hr"]

{rules}"""


def _hr_csv(company: DemoCompany) -> str:
    """The roster as HR's spreadsheet has it, two broken rows included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
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
        ]
    )
    department = {"domestic": "国内销售部", "foreign_trade": "外贸部"}
    by_key = {p.key: p for p in company.people}
    for p in company.in_system("hr"):
        phone = f"+86 {p.mobile[:3]}-{p.mobile[3:7]}-{p.mobile[7:]}"  # HR types them so
        lead = by_key[p.lead].employee_number if p.lead else ""
        writer.writerow(
            [
                p.employee_number,
                p.name,
                p.email,
                phone,
                p.employee_number,
                department[p.team],
                p.team,
                p.title,
                lead,
                "yes",
                p.hired_at.replace("-", "/"),
            ]
        )
    writer.writerow(
        [
            "",
            "钱多多",
            "qian.duoduo@mingyuan.example",
            "",
            "",
            "外贸部",
            "foreign_trade",
            "实习生",
            "E2001",
            "yes",
            "2026/7/1",
        ]
    )
    writer.writerow(
        [
            "E2099",
            "冯晓",
            "feng.xiao@mingyuan.example",
            "",
            "E2099",
            "外贸部",
            "foreign_trade",
            "客户经理",
            "E2001",
            "yes",
            "2026/2/30",
        ]
    )
    return out.getvalue()


def write_project(target: Path, company: DemoCompany, fakes_settings: tuple[dict, dict]) -> Path:
    """Write hub.toml and data/managers.csv; returns the path of hub.toml."""
    (target / "data").mkdir(parents=True, exist_ok=True)
    (target / "data" / "managers.csv").write_text(_hr_csv(company), encoding="utf-8-sig")
    config = target / "hub.toml"
    config.write_text(hub_toml(*fakes_settings), encoding="utf-8")
    return config
