"""The demo company's CRMs: the plugins' fakes, seeded with it, served on loopback.

The fakes are the ones the plugins test against (`hub_fxiaoke.fake`,
`hub_zoho.fake`); this module only fills them with the demo company and
serves them. Each tries the port its `hub fake-…` command uses by default, so
the hub.toml the demo writes keeps working with a later `hub demo --serve`;
when that port is taken it takes a free one (and hub.toml names it).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from hub.demo.company import SHANGHAI, Activity, DemoCompany, Goal
from hub.errors import ConfigError

FXIAOKE_PORT = 8766
ZOHO_PORT = 8765

FXIAOKE_DEPARTMENTS = {1001: "国内销售部", 1003: "外贸部"}
TEAM_DEPARTMENT = {"domestic": 1001, "foreign_trade": 1003}


def _plugins() -> tuple[Any, Any]:
    try:
        import hub_fxiaoke.fake as fxiaoke
        import hub_zoho.fake as zoho
    except ImportError as exc:  # pragma: no cover - both are in requirements-dev.txt
        raise ConfigError(
            f"hub demo needs the Fxiaoke and Zoho plugins ({exc.name} is missing): "
            "pip install -r requirements-dev.txt"
        ) from None
    return fxiaoke, zoho


def _millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- Fxiaoke: the domestic team --------------------------------------------------------------


def seed_fxiaoke(fake: Any, company: DemoCompany) -> dict[str, str]:
    """Employees, accounts, follow-ups, visits, orders, payments and monthly goals.
    Returns person key -> Fxiaoke employee id (the numeric CRM id)."""
    from hub_fxiaoke.fake import Employee

    start = dt.datetime(2025, 12, 1, tzinfo=SHANGHAI)
    fake.departments = {
        999999: {"id": 999999, "name": "全公司", "parentId": 0, "isStop": False, "order": 0},
        **{
            dept: {"id": dept, "name": name, "parentId": 999999, "isStop": False, "order": i}
            for i, (dept, name) in enumerate(FXIAOKE_DEPARTMENTS.items(), 1)
        },
    }
    ids: dict[str, str] = {}
    for i, person in enumerate(company.in_system("fxiaoke")):
        uid = str(1000 + i)
        ids[person.key] = uid
        fake.add_employee(
            Employee(
                user_id=uid,
                open_user_id="FSUID_" + uuid.uuid5(uuid.NAMESPACE_DNS, person.email).hex.upper(),
                name=person.name,
                mobile=person.mobile,
                email=person.email,
                department_id=TEAM_DEPARTMENT[person.team],
                leader_id=ids.get(person.lead),
                employee_number=person.employee_number,
                position=person.title,
                hire_date=person.hired_at,
                create_time=_millis(start) + i,
            )
        )
    accounts: dict[str, str] = {}
    for company_ in company.customers_in("fxiaoke"):
        accounts[company_.key] = fake.add(
            "AccountObj",
            {
                "name": company_.name,
                "owner": [ids[company_.owners["fxiaoke"]]],
                "tel": company_.phone,
                "account_level": {"A": "1", "B": "2", "C": "3"}[company_.tier],
                "industry_level1": company_.industry,
                "uniform_social_credit_code": company_.credit_code,
                "country": company_.country,
            },
            at_ms=_millis(start) + len(accounts),
        )
    _fxiaoke_contacts(fake, accounts, ids, company)
    # broken on purpose: a customer without a name
    fake.add(
        "AccountObj",
        {"name": "", "owner": [ids["P02"]], "tel": "021-55550000"},
        at_ms=_millis(start),
    )
    for a in (a for a in company.activities if a.system == "fxiaoke"):
        _fxiaoke_activity(fake, a, ids[a.owner], accounts[a.company])
    for goal in (g for g in company.goals if g.system == "fxiaoke"):
        _fxiaoke_goal(fake, goal, ids[goal.person])
    return ids


def _fxiaoke_contacts(
    fake: Any, accounts: dict[str, str], ids: dict[str, str], company: DemoCompany
) -> None:
    """One buyer per account (联系人), its primary contact."""
    surnames = "王李张刘陈杨赵黄周吴"
    for n, company_ in enumerate(company.customers_in("fxiaoke")):
        fake.add(
            "ContactObj",
            {
                "name": f"{surnames[n % len(surnames)]}采购",
                "account_id": accounts[company_.key],
                "owner": [ids[company_.owners["fxiaoke"]]],
                "job_title": "采购经理",
                "mobile1": f"139{n:08d}",
                "email": f"buyer{n}@example.cn",
                "primary_contact": "1",
            },
        )


def _fxiaoke_activity(fake: Any, a: Activity, owner: str, account: str) -> None:
    at = _millis(a.at)
    if a.kind == "note":
        fields: dict[str, Any] = {
            "active_record_content": a.content,
            "active_record_type": "phone",
            "related_object_data": [{"describe_api_name": "AccountObj", "id": account}],
        }
        api = "ActiveRecordObj"
    elif a.kind == "visit":
        api, fields = "CheckinsObj", {"customer_id": account, "communicate_record": a.content}
    elif a.kind == "order":
        api = "SalesOrderObj"
        fields = {
            "name": f"SO-{a.key}",
            "account_id": account,
            "order_amount": f"{a.amount:.2f}",
            "order_time": at,
        }
    else:
        api = "PaymentObj"
        fields = {
            "name": f"PAY-{a.key}",
            "account_id": account,
            "payment_amount": f"{a.amount:.2f}",
            "payment_time": at,
        }
    fake.add(api, {"owner": [owner], **fields}, at_ms=at)


FXIAOKE_GOAL_RULES = {"sales_amount": "rule_sales", "contact_count": "rule_contacts"}


def _fxiaoke_goal(fake: Any, goal: Goal, uid: str) -> None:
    """Fxiaoke keeps a year of monthly values in one record per person and goal rule."""
    from hub_fxiaoke.fake import MONTH_NAMES

    year, number = goal.period.split("-")
    rule = FXIAOKE_GOAL_RULES[goal.metric]
    name = f"{year}-{goal.person}-{rule}"
    table = fake.objects.setdefault("GoalValueObj", {})
    record = next((r for r in table.values() if r["name"] == name), None)
    column = f"{MONTH_NAMES[int(number) - 1]}_value"
    if record is None:
        fake.add(
            "GoalValueObj",
            {
                "name": name,
                "goal_type": "2",
                "check_object_id": uid,
                "goal_rule_id": rule,
                "fiscal_year": year,
                "owner": [uid],
                column: f"{goal.target:.2f}",
            },
            at_ms=_millis(dt.datetime(int(year) - 1, 12, 20, tzinfo=SHANGHAI)),
        )
    else:
        record[column] = f"{goal.target:.2f}"


# -- Zoho CRM: the foreign-trade team ---------------------------------------------------------


def seed_zoho(org: Any, company: DemoCompany) -> dict[str, str]:
    """Users, accounts, calls, meetings, won deals and quarterly targets.
    Returns person key -> Zoho user id."""
    start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    ids: dict[str, str] = {}
    for i, person in enumerate(company.in_system("zoho")):
        first, last = person.latin.split(" ", 1)
        email = person.email.replace("@mingyuan.example", "@mingyuan-trading.example")
        if person.key == "P01":
            email = person.email  # the director uses one address everywhere
        ids[person.key] = org.add_user(
            first,
            last,
            email=email,
            phone=person.mobile,
            role="CEO" if not person.lead else "Sales Rep",
            profile="Administrator" if not person.lead else "Standard",
            reporting_to=ids.get(person.lead),
            at=start + dt.timedelta(minutes=i),
        )
    accounts: dict[str, str] = {}
    for c in company.customers_in("zoho"):
        accounts[c.key] = org.create(
            "Accounts",
            owner=ids[c.owners["zoho"]],
            at=start + dt.timedelta(seconds=len(accounts)),
            Account_Name=c.latin,
            Phone=c.phone,
            Industry=c.industry,
            Billing_State=c.region,
            Billing_Country=c.country,
            Customer_Tier=c.tier,
            Credit_Code=c.credit_code.lower(),
        )
    _zoho_contacts(org, accounts, ids, company, start)
    # broken on purpose: an account whose name was cleared
    org.create("Accounts", owner=ids["P09"], at=start, Account_Name="", Phone="+1 555 0100")
    for a in (a for a in company.activities if a.system == "zoho"):
        _zoho_activity(org, a, ids[a.owner], accounts[a.company], company)
    for g in (g for g in company.goals if g.system == "zoho"):
        user = org.owner(ids[g.person])
        org.create(
            "Sales_Targets",
            owner=ids[g.person],
            at=start,
            Name=f"{g.period} {g.metric} {user['name']}",
            Salesperson={"name": user["name"], "id": user["id"]},
            Metric={"sales_amount": "Sales Amount", "contact_count": "Contact Count"}[g.metric],
            Period=g.period,
            Target=g.target,
            Currency=g.currency or None,
            Weight=g.weight,
        )
    return ids


def _zoho_contacts(
    org: Any, accounts: dict[str, str], ids: dict[str, str], company: DemoCompany, at: dt.datetime
) -> None:
    """One buyer per account (Contacts, linked by Account_Name). A company in both CRMs
    has the same buyer in each: the mobile of its Fxiaoke contact."""
    in_fxiaoke = {c.key: n for n, c in enumerate(company.customers_in("fxiaoke"))}
    for n, c in enumerate(company.customers_in("zoho")):
        shared = in_fxiaoke.get(c.key)
        org.create(
            "Contacts",
            owner=ids[c.owners["zoho"]],
            at=at + dt.timedelta(seconds=n),
            First_Name="Buyer",
            Last_Name=f"{n:02d}",
            Full_Name=f"Buyer {n:02d}",
            Title="Purchasing Manager",
            Mobile=f"+86 139{shared:08d}" if shared is not None else f"+1 415 555 {n:04d}",
            Email=f"buyer{n}@zoho-customer.example",
            Email_Opt_Out=n % 4 == 3,
            Account_Name={"name": c.latin, "id": accounts[c.key]},
        )


def _zoho_activity(org: Any, a: Activity, owner: str, account: str, company: DemoCompany) -> None:
    at = a.at.astimezone(dt.UTC)
    what = {"name": next(c.latin for c in company.companies if c.key == a.company), "id": account}
    if a.kind == "call":
        org.create(
            "Calls",
            owner=owner,
            at=at,
            Subject=a.content,
            Call_Type="Outbound",
            Call_Status="Attended Dialled",
            Call_Start_Time=at,
            Call_Duration_in_seconds=300 + int(at.minute) * 7,
            What_Id=what,
            **{"$se_module": "Accounts"},
        )
    elif a.kind == "meeting":
        org.create(
            "Events",
            owner=owner,
            at=at,
            Event_Title=a.content,
            Start_DateTime=at,
            End_DateTime=at + dt.timedelta(hours=1),
            All_day=False,
            Venue="Customer office",
            Check_In_Time=None,
            What_Id=what,
            **{"$se_module": "Accounts", "$event_cancelled": False},
        )
    else:
        org.create(
            "Deals",
            owner=owner,
            at=at,
            Deal_Name=f"Order {a.key}",
            Stage="Closed Won",
            Amount=a.amount,
            Currency=a.currency,
            Closing_Date=a.at.date().isoformat(),
            Account_Name=what,
            Probability=100,
        )


# -- serving -------------------------------------------------------------------------------


def _bind(make: Callable[[int], ThreadingHTTPServer], port: int) -> ThreadingHTTPServer:
    """The preferred port, or any free one when it is taken (port 0: always a free one)."""
    try:
        return make(port)
    except OSError:
        if port == 0:
            raise
        return make(0)


@dataclass
class RunningFakes:
    """Both fakes, served in background threads until `stop`."""

    fxiaoke: Any
    zoho: Any
    fxiaoke_url: str
    zoho_url: str
    servers: list[ThreadingHTTPServer] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def fxiaoke_settings(self) -> dict[str, Any]:
        return self.fxiaoke.settings(self.fxiaoke_url, "legacy")

    def zoho_settings(self) -> dict[str, Any]:
        return self.zoho.settings()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=5)


def start(company: DemoCompany, *, fixed_ports: bool = True) -> RunningFakes:
    fxiaoke_mod, zoho_mod = _plugins()
    from hub_fxiaoke.server import FakeServer

    fxiaoke = fxiaoke_mod.FakeFxiaoke(calls_per_20s=1000)
    seed_fxiaoke(fxiaoke, company)
    fxiaoke.custom_fields["ActiveRecordObj"] = {"hub_action_key__c"}
    org = zoho_mod.FakeOrg()
    seed_zoho(org, company)
    org.add_field("Tasks", "Hub_Action_Key", unique=True)  # for `hub actions` (write-back)
    zoho = zoho_mod.FakeZoho(org, user_timezone="Asia/Shanghai")

    fx_server = _bind(
        lambda p: FakeServer(fxiaoke, "127.0.0.1", p).httpd, FXIAOKE_PORT if fixed_ports else 0
    )
    zoho_server = _bind(
        lambda p: zoho_mod.make_server(zoho, "127.0.0.1", p), ZOHO_PORT if fixed_ports else 0
    )
    host, port = fx_server.server_address[:2]
    running = RunningFakes(fxiaoke, zoho, f"http://{host}:{port}", zoho.api_domain)
    for name, server in (("demo-fxiaoke", fx_server), ("demo-zoho", zoho_server)):
        thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
        thread.start()
        running.servers.append(server)
        running.threads.append(thread)
    return running
