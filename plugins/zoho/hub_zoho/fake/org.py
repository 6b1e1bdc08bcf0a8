"""The data of a fake Zoho org: users, modules, records, deletions.

Records are kept as Zoho shapes them (API names, lookups as `{name, id}`,
dates as `YYYY-MM-DD`); times are kept as UTC datetimes and rendered by the
API in the API user's offset. Every change stamps Modified_Time with the
org's clock, and keeps each module's Modified_Time order up to date, which
is what incremental listings walk.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FIRST_ID = 7_328_395_000_000_680_000

# (api_name, data_type, custom)
_COMMON = [
    ("Owner", "ownerlookup"),
    ("Created_Time", "datetime"),
    ("Modified_Time", "datetime"),
    ("Created_By", "userlookup"),
    ("Modified_By", "userlookup"),
    ("Tag", "text"),
]
STANDARD_FIELDS: dict[str, list[tuple[str, str]]] = {
    "Accounts": [
        *[("Account_Name", "text"), ("Account_Number", "text"), ("Account_Type", "picklist")],
        *[("Industry", "picklist"), ("Annual_Revenue", "currency"), ("Employees", "integer")],
        *[("Website", "website"), ("Phone", "phone"), ("Fax", "phone"), ("Rating", "picklist")],
        *[("Parent_Account", "lookup"), ("Billing_Street", "text"), ("Billing_City", "text")],
        *[("Billing_State", "text"), ("Billing_Code", "text"), ("Billing_Country", "text")],
        *[("Description", "textarea"), ("Last_Activity_Time", "datetime")],
        ("Subform_Items", "subform"),
    ],
    "Contacts": [
        *[("First_Name", "text"), ("Last_Name", "text"), ("Full_Name", "text"), ("Email", "email")],
        *[("Phone", "phone"), ("Mobile", "phone"), ("Title", "text"), ("Department", "text")],
        *[("Account_Name", "lookup"), ("Lead_Source", "picklist"), ("Email_Opt_Out", "boolean")],
        *[("Mailing_City", "text"), ("Mailing_State", "text"), ("Mailing_Country", "text")],
        *[("Salutation", "picklist"), ("Secondary_Email", "email"), ("Home_Phone", "phone")],
        *[("Reporting_To", "lookup"), ("Date_of_Birth", "date")],
    ],
    "Calls": [
        *[("Subject", "text"), ("Call_Type", "picklist"), ("Call_Status", "picklist")],
        *[("Call_Start_Time", "datetime"), ("Call_Duration", "text")],
        *[("Call_Duration_in_seconds", "integer"), ("Call_Purpose", "picklist")],
        *[("Call_Result", "picklist"), ("Description", "textarea"), ("What_Id", "lookup")],
        ("Who_Id", "lookup"),
    ],
    "Tasks": [
        *[("Subject", "text"), ("Status", "picklist"), ("Priority", "picklist")],
        *[("Due_Date", "date"), ("Closed_Time", "datetime"), ("Description", "textarea")],
        *[("What_Id", "lookup"), ("Who_Id", "lookup"), ("Send_Notification_Email", "boolean")],
    ],
    "Events": [
        *[("Event_Title", "text"), ("Start_DateTime", "datetime"), ("End_DateTime", "datetime")],
        *[("All_day", "boolean"), ("Venue", "text"), ("Participants", "multiselectlookup")],
        *[("Description", "textarea"), ("Check_In_Time", "datetime"), ("What_Id", "lookup")],
        ("Who_Id", "lookup"),
    ],
    "Notes": [("Note_Title", "text"), ("Note_Content", "textarea"), ("Parent_Id", "lookup")],
    "Deals": [
        *[("Deal_Name", "text"), ("Stage", "picklist"), ("Amount", "currency")],
        *[("Currency", "picklist"), ("Exchange_Rate", "double"), ("Closing_Date", "date")],
        *[("Probability", "integer"), ("Account_Name", "lookup"), ("Contact_Name", "lookup")],
        *[("Type", "picklist"), ("Lead_Source", "picklist"), ("Description", "textarea")],
    ],
    "Sales_Targets": [
        *[("Name", "text"), ("Salesperson", "userlookup"), ("Metric", "picklist")],
        *[("Period", "text"), ("Target", "currency"), ("Currency", "picklist")],
        ("Weight", "double"),
    ],
}
CUSTOM_FIELDS: dict[str, list[tuple[str, str]]] = {
    "Accounts": [("Customer_Tier", "picklist"), ("Segment", "text"), ("Credit_Code", "text")],
    "Contacts": [("Customer_Tier", "picklist"), ("WeChat_ID", "text")],
    "Calls": [("Call_Quality", "picklist")],
    "Deals": [("Won_Time", "datetime")],
}
ADMIN_ONLY = {"Notes"}
"""Modules only administrators may list."""
NO_DELETED_LISTING = {"Notes"}


@dataclass
class FieldMeta:
    api_name: str
    data_type: str
    custom: bool = False
    label: str | None = None
    """The field's label in the org's UI (default: the API name with spaces)."""
    options: dict[str, str] | None = None
    """A picklist's values: actual value (what records carry) -> display label."""

    def as_json(self) -> dict[str, Any]:
        json_type = {
            "integer": "integer",
            "double": "double",
            "currency": "double",
            "boolean": "boolean",
            "lookup": "jsonobject",
            "ownerlookup": "jsonobject",
            "userlookup": "jsonobject",
            "subform": "jsonarray",
            "multiselectlookup": "jsonarray",
        }.get(self.data_type, "string")
        return {
            "api_name": self.api_name,
            "field_label": self.label or self.api_name.replace("_", " "),
            "data_type": self.data_type,
            "json_type": json_type,
            "custom_field": self.custom,
            "system_mandatory": False,
            "visible": True,
            **(
                {
                    "pick_list_values": [
                        {"display_value": shown, "actual_value": actual}
                        for actual, shown in (self.options or {}).items()
                    ]
                }
                if self.data_type in ("picklist", "multiselectpicklist")
                else {}
            ),
        }


@dataclass
class Module:
    name: str
    fields: list[FieldMeta]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    _order: list[tuple[dt.datetime, str]] = field(default_factory=list)

    @property
    def field_names(self) -> set[str]:
        return {f.api_name for f in self.fields}

    def by_modified(self) -> list[tuple[dt.datetime, str]]:
        """(Modified_Time, id) of every record, ascending."""
        return self._order

    def put(self, record: dict[str, Any]) -> None:
        rid = record["id"]
        old = self.records.get(rid)
        if old is not None:
            self._order.remove((old["Modified_Time"], rid))
        self.records[rid] = record
        bisect.insort(self._order, (record["Modified_Time"], rid))

    def reindex(self) -> None:
        self._order[:] = sorted((r["Modified_Time"], rid) for rid, r in self.records.items())

    def remove(self, rid: str) -> dict[str, Any]:
        record = self.records.pop(rid)
        self._order.remove((record["Modified_Time"], rid))
        return record


class FakeOrg:
    """One Zoho org. Thread-safe: the API holds `lock` while it reads.

    Change records through `create`, `update` and `delete`: they stamp
    Modified_Time, keep the listing order and replace the record object (the
    API caches each record's JSON per object)."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._ids = itertools.count(FIRST_ID)
        self.users: dict[str, dict[str, Any]] = {}
        self.unique_fields: dict[str, set[str]] = {}
        """Module -> fields marked "Do not allow duplicate values"."""
        self.modules: dict[str, Module] = {
            name: Module(
                name,
                [FieldMeta(n, t) for n, t in [*fields, *_COMMON]]
                + [FieldMeta(n, t, custom=True) for n, t in CUSTOM_FIELDS.get(name, [])],
            )
            for name, fields in STANDARD_FIELDS.items()
        }

    def now(self) -> dt.datetime:
        return self._clock().replace(microsecond=0)

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- users -------------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str,
        *,
        email: str | None = None,
        status: str = "active",
        role: str = "Sales Rep",
        profile: str = "Standard",
        reporting_to: str | None = None,
        at: dt.datetime | None = None,
        **more: Any,
    ) -> str:
        with self.lock:
            uid = self.new_id()
            when = at or self.now()
            boss = self.users.get(reporting_to) if reporting_to else None
            self.users[uid] = {
                "id": uid,
                "first_name": first_name,
                "last_name": last_name,
                "full_name": f"{first_name} {last_name}",
                "email": email or f"{first_name.lower()}.{last_name.lower()}@example.com",
                "status": status,
                "role": {"name": role, "id": str(FIRST_ID - 100 - len(role))},
                "profile": {"name": profile, "id": str(FIRST_ID - 200 - len(profile))},
                "Reporting_To": {"name": boss["full_name"], "id": boss["id"]} if boss else None,
                "zuid": str(60_000_000 + len(self.users)),
                "time_zone": "America/Los_Angeles",
                "locale": "en_US",
                "confirm": True,
                "created_time": when,
                "Modified_Time": when,
                **more,
            }
            return uid

    def update_user(self, uid: str, **changes: Any) -> None:
        with self.lock:
            self.users[uid].update(changes, Modified_Time=self.now())

    def owner(self, uid: str) -> dict[str, Any]:
        user = self.users[uid]
        return {"name": user["full_name"], "id": uid, "email": user["email"]}

    # -- records -------------------------------------------------------------------------------

    def add_field(
        self,
        module: str,
        api_name: str,
        data_type: str = "text",
        *,
        unique: bool = False,
        label: str | None = None,
        options: dict[str, str] | None = None,
    ) -> None:
        """A custom field; `options` for a picklist: actual value -> display label."""
        with self.lock:
            meta = FieldMeta(api_name, data_type, custom=True, label=label, options=options)
            self.modules[module].fields.append(meta)
            if unique:
                self.unique_fields.setdefault(module, set()).add(api_name)

    def create(
        self,
        module: str,
        owner: str | None = None,
        at: dt.datetime | None = None,
        **values: Any,
    ) -> str:
        with self.lock:
            record = self._record(owner, at or self.now(), values)
            self.modules[module].put(record)
            return str(record["id"])

    def _record(
        self, owner: str | None, created: dt.datetime, values: dict[str, Any]
    ) -> dict[str, Any]:
        owner_id = owner or next(iter(self.users))
        return {
            "id": values.pop("id", None) or self.new_id(),
            "Owner": self.owner(owner_id),
            "Created_Time": created,
            "Modified_Time": created,
            "Created_By": self.owner(owner_id),
            "Modified_By": self.owner(owner_id),
            "Tag": [],
            **values,
        }

    def update(self, module: str, rid: str, at: dt.datetime | None = None, **changes: Any) -> None:
        with self.lock:
            record = dict(self.modules[module].records[rid])
            record.update(changes, Modified_Time=at or self.now())
            self.modules[module].put(record)

    def delete(self, module: str, rid: str, permanent: bool = False) -> None:
        with self.lock:
            mod = self.modules[module]
            record = mod.remove(rid)
            by = record["Owner"]
            mod.deleted.append(
                {
                    "id": rid,
                    "display_name": None if permanent else _display(record),
                    "type": "permanent" if permanent else "recycle",
                    "deleted_by": None if permanent else {"name": by["name"], "id": by["id"]},
                    "created_by": None if permanent else {"name": by["name"], "id": by["id"]},
                    "deleted_time": self.now(),
                }
            )

    def get(self, module: str, rid: str) -> dict[str, Any]:
        return self.modules[module].records[rid]

    def ids(self, module: str) -> list[str]:
        return list(self.modules[module].records)

    # -- a sample org ----------------------------------------------------------------------------

    def populate(self, counts: dict[str, int], seed: int = 7, users: int | None = None) -> None:
        """Fill the org with plausible, linked records: `counts` per module."""
        rnd = random.Random(seed)
        now = self.now()
        oldest = now - dt.timedelta(days=400)

        def moment() -> dt.datetime:  # created at least two days ago, modified a day later at most
            span = (now - dt.timedelta(days=2) - oldest).total_seconds()
            return oldest + dt.timedelta(seconds=int(rnd.random() * span))

        with self.lock:
            if not self.users:
                self._sample_users(users or max(6, sum(counts.values()) // 1000), oldest)
            active = [u for u, v in self.users.items() if v["status"] == "active"]
            owners = list(self.users)
            accounts = self._make(
                "Accounts", counts.get("Accounts", 0), owners, moment, rnd, _account
            )
            contacts = self._make(
                "Contacts",
                counts.get("Contacts", 0),
                owners,
                moment,
                rnd,
                lambda i, r: _contact(
                    i, r, self._pick_lookup("Accounts", accounts, r, "Account_Name")
                ),
            )
            deals = self._make(
                "Deals",
                counts.get("Deals", 0),
                owners,
                moment,
                rnd,
                lambda i, r: _deal(
                    i,
                    r,
                    self._pick_lookup("Accounts", accounts, r, "Account_Name"),
                    self._pick_lookup("Contacts", contacts, r, "Full_Name"),
                ),
            )
            parents = {"Accounts": accounts, "Deals": deals, "Contacts": contacts}
            for module, make in (("Calls", _call), ("Tasks", _task), ("Events", _event)):
                self._make(
                    module,
                    counts.get(module, 0),
                    owners,
                    moment,
                    rnd,
                    lambda i, r, make=make: make(i, r, self._links(parents, r)),
                )
            self._make(
                "Notes",
                counts.get("Notes", 0),
                owners,
                moment,
                rnd,
                lambda i, r: _note(i, r, self._note_parent(parents, r)),
            )
            self._make(
                "Sales_Targets",
                counts.get("Sales_Targets", 0),
                owners,
                moment,
                rnd,
                lambda i, r: _target(i, r, self.owner(active[i % len(active)])),
            )

    def _sample_users(self, count: int, since: dt.datetime) -> None:
        boss = self.add_user("Grace", "Hopper", role="CEO", profile="Administrator", at=since)
        for i in range(1, count):
            # Every sample org has owners who left: one deactivated, one deleted.
            last = i == count - 1
            status = "deleted" if last else "inactive" if i == count - 2 or i % 7 == 6 else "active"
            self.add_user(
                f"Rep{i}",
                _SURNAMES[i % len(_SURNAMES)],
                status=status,
                reporting_to=boss,
                at=since + dt.timedelta(hours=i),
            )

    def _make(
        self,
        module: str,
        count: int,
        owners: list[str],
        moment: Callable[[], dt.datetime],
        rnd: random.Random,
        build: Callable[[int, random.Random], dict[str, Any]],
    ) -> list[str]:
        mod = self.modules[module]
        made = []
        for i in range(count):
            created = moment()
            record = self._record(rnd.choice(owners), created, build(i, rnd))
            record["Modified_Time"] = created + dt.timedelta(seconds=rnd.randrange(0, 86_400))
            mod.records[record["id"]] = record
            made.append(record["id"])
        mod.reindex()
        return made

    def _pick_lookup(
        self, module: str, ids: list[str], rnd: random.Random, name_field: str
    ) -> dict[str, Any] | None:
        if not ids:
            return None
        rid = rnd.choice(ids)
        return {"name": self.modules[module].records[rid].get(name_field), "id": rid}

    def _links(self, parents: dict[str, list[str]], rnd: random.Random) -> dict[str, Any]:
        """What_Id / $se_module / Who_Id as Zoho fills them: an account, a deal or a lead."""
        kind = rnd.random()
        what_module = "Accounts" if kind < 0.5 else "Deals" if kind < 0.8 else "Leads"
        if what_module == "Leads":
            what = {"name": "A lead", "id": self.new_id()}
            return {"What_Id": what, "$se_module": "Leads", "Who_Id": None}
        ids = parents[what_module] or parents["Accounts"]
        if not ids:
            return {"What_Id": None, "$se_module": None, "Who_Id": None}
        what_module = what_module if parents[what_module] else "Accounts"
        name_field = "Account_Name" if what_module == "Accounts" else "Deal_Name"
        who = self._pick_lookup("Contacts", parents["Contacts"], rnd, "Full_Name")
        return {
            "What_Id": self._pick_lookup(what_module, ids, rnd, name_field),
            "$se_module": what_module,
            "Who_Id": who if rnd.random() < 0.6 else None,
        }

    def _note_parent(self, parents: dict[str, list[str]], rnd: random.Random) -> dict[str, Any]:
        module = rnd.choice([m for m in ("Accounts", "Contacts", "Deals") if parents[m]] or [""])
        if not module:
            return {}
        name_field = {"Accounts": "Account_Name", "Contacts": "Full_Name", "Deals": "Deal_Name"}
        link = self._pick_lookup(module, parents[module], rnd, name_field[module])
        assert link is not None
        return {
            "Parent_Id": {"module": {"api_name": module, "id": "0"}, **link},
            "$se_module": module,
        }


def _display(record: dict[str, Any]) -> str:
    for key in ("Account_Name", "Full_Name", "Deal_Name", "Subject", "Event_Title", "Name"):
        if record.get(key):
            return str(record[key])
    return str(record["id"])


_SURNAMES = ["Lovelace", "Turing", "Knuth", "Liskov", "Hamilton", "Ritchie", "Wang", "Li"]
_TITLES = ["Purchasing Manager", "CFO", "CEO", "Engineer", None]
_DEPARTMENTS = ["Purchasing", "Finance", "Management", "Engineering", None]
_INDUSTRIES = ["Manufacturing", "Retail", "Logistics", "Finance", "Technology"]
_COUNTRIES = [("Guangdong", "China"), ("Bavaria", "Germany"), ("Texas", "United States")]


def _account(i: int, rnd: random.Random) -> dict[str, Any]:
    state, country = rnd.choice(_COUNTRIES)
    return {
        "Account_Name": f"Trading Company {i:05d}",
        "Account_Number": f"A-{i:05d}",
        "Account_Type": rnd.choice(["Customer", "Prospect", "Partner"]),
        "Industry": rnd.choice(_INDUSTRIES),
        "Annual_Revenue": Decimal(rnd.randrange(10_000, 5_000_000)),
        "Employees": rnd.randrange(3, 900),
        "Phone": f"+86 138{rnd.randrange(10_000_000, 99_999_999)}",
        "Billing_State": state,
        "Billing_Country": country,
        "Customer_Tier": rnd.choice(["A", "B", "C"]),
        "Segment": rnd.choice(["SMB", "Mid-market", "Enterprise"]),
        "Tag": [{"name": "VIP", "id": "1"}] if i % 9 == 0 else [],
    }


def _contact(i: int, rnd: random.Random, account: dict[str, Any] | None) -> dict[str, Any]:
    first, last = f"Person{i}", rnd.choice(_SURNAMES)
    state, country = rnd.choice(_COUNTRIES)
    return {
        "First_Name": first,
        "Last_Name": last,
        "Full_Name": f"{first} {last}",
        "Email": f"person{i}@customer.example",
        "Phone": f"+1 415 555 {i % 10_000:04d}",
        "Mobile": f"+86 139 {i // 10_000 % 10_000:04d} {i % 10_000:04d}" if i % 3 else None,
        "Title": _TITLES[i % len(_TITLES)],
        "Department": _DEPARTMENTS[i % len(_DEPARTMENTS)],
        "Account_Name": account,
        "Email_Opt_Out": i % 5 == 0,
        "Mailing_State": state,
        "Mailing_Country": country,
        "Customer_Tier": rnd.choice(["A", "B", "C"]),
    }


def _deal(
    i: int, rnd: random.Random, account: dict[str, Any] | None, contact: dict[str, Any] | None
) -> dict[str, Any]:
    won = rnd.random() < 0.4
    day = dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(0, 270))
    return {
        "Deal_Name": f"Order {i:05d}",
        "Stage": "Closed Won"
        if won
        else rnd.choice(["Qualification", "Negotiation", "Closed Lost"]),
        "Amount": Decimal(rnd.randrange(100_00, 2_000_000_00)) / 100,
        "Currency": rnd.choice(["USD", "USD", "EUR", "CNY"]),
        "Closing_Date": day.isoformat(),
        "Account_Name": account,
        "Contact_Name": contact,
        "Probability": 100 if won else 40,
    }


def _call(i: int, rnd: random.Random, links: dict[str, Any]) -> dict[str, Any]:
    seconds = rnd.randrange(0, 3600)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rnd.randrange(0, 390_000))
    return {
        "Subject": f"Call {i}",
        "Call_Type": rnd.choice(["Inbound", "Outbound", "Missed"]),
        "Call_Status": rnd.choice(["Received", "Attended Dialled", "Scheduled"]),
        "Call_Start_Time": start,
        "Call_Duration": f"{seconds // 60:02d}:{seconds % 60:02d}",
        "Call_Duration_in_seconds": seconds,
        "Call_Purpose": "Negotiation",
        "Call_Result": "Interested",
        "Description": f"Talked about order {i}",
        **links,
    }


def _task(i: int, rnd: random.Random, links: dict[str, Any]) -> dict[str, Any]:
    done = rnd.random() < 0.5
    due = dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(0, 270))
    closed = dt.datetime.combine(due, dt.time(10), dt.UTC) if done else None
    return {
        "Subject": f"Follow up {i}",
        "Status": "Completed" if done else rnd.choice(["Not Started", "In Progress"]),
        "Priority": rnd.choice(["High", "Normal", "Low"]),
        "Due_Date": due.isoformat(),
        "Closed_Time": closed,
        **links,
    }


def _event(i: int, rnd: random.Random, links: dict[str, Any]) -> dict[str, Any]:
    start = dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=rnd.randrange(0, 6000))
    visit = rnd.random() < 0.3
    return {
        "Event_Title": f"Meeting {i}",
        "Start_DateTime": start,
        "End_DateTime": start + dt.timedelta(minutes=rnd.choice([30, 60, 90])),
        "All_day": False,
        "Venue": "Customer office" if visit else "Online",
        "Check_In_Time": start + dt.timedelta(minutes=2) if visit else None,
        "$event_cancelled": False,
        **links,
    }


def _note(i: int, rnd: random.Random, parent: dict[str, Any]) -> dict[str, Any]:
    return {"Note_Title": f"Note {i}", "Note_Content": f"Customer asked about item {i}", **parent}


_METRICS = ["Sales Amount", "New Customers", "Contact Count"]


def _target(i: int, rnd: random.Random, user: dict[str, Any]) -> dict[str, Any]:
    metric = _METRICS[i % len(_METRICS)]
    quarter = 1 + (i // len(_METRICS)) % 4
    return {
        "Name": f"Target {i}",
        "Salesperson": {"name": user["name"], "id": user["id"]},
        "Metric": metric,
        "Period": f"2026-Q{quarter}",
        "Target": Decimal(rnd.randrange(10, 500) * 1000)
        if metric == "Sales Amount"
        else rnd.randrange(5, 60),
        "Currency": "USD" if metric == "Sales Amount" else None,
        "Weight": Decimal("0.5") if metric == "Sales Amount" else Decimal("0.25"),
    }


_SHARES = {
    "Accounts": 0.12,
    "Contacts": 0.12,
    "Calls": 0.26,
    "Tasks": 0.16,
    "Events": 0.11,
    "Notes": 0.10,
    "Deals": 0.11,
    "Sales_Targets": 0.02,
}


def sample_counts(total: int) -> dict[str, int]:
    """Records per module for a sample org of about `total` records."""
    return {module: max(1, round(total * share)) for module, share in _SHARES.items()}
