"""Zoho records -> canonical managers, customers, contacts, activities and goals.

Values are read as Zoho really sends them: datetimes in the API user's
offset (`2026-05-14T12:56:48+03:00`, stored in UTC), dates as `YYYY-MM-DD`
(a day in the company's time zone), lookups as `{"name", "id"}`,
`Call_Duration` as `"mm:ss"` next to `Call_Duration_in_seconds`, amounts as
JSON numbers (read exactly, as Decimal). Fields the mapping does not use are
kept in `extra` under their API names; hub.toml can map more of them.

One record that cannot be mapped becomes a `Reject` naming the module, the
record id and the field.

Two ways out, from the same per-record values: `rows` + `columns` (what the
reader uses) gathers a batch's values and turns them into one Arrow table of
`arrow_schema(entity)`, checked column-wise by `hub.columns.conform`; `page`
(and `users`) builds the pydantic models record by record, as a plain
reference (tests, tools). Pydantic per record cost more than mapping itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from pydantic import ValidationError

from hub.adapters import parsing
from hub.adapters.contract import Reject, Tombstone
from hub.columns import LOCATION, arrow_schema, conform
from hub.model import (
    ENTITIES,
    ActivityKind,
    CustomerKind,
    Record,
    base_type,
)
from hub.periods import Period, parse_period, period_of
from hub.store.types import dumps
from hub_zoho.describe import LABEL_SUFFIX, USER_FACTS, ModuleFacts, mask_personal
from hub_zoho.references import CustomerResolver, lookup_id
from hub_zoho.settings import GoalSettings, ZohoSettings

MODULE_ENTITY = {
    "Accounts": "customers",
    "Contacts": "customers",
    "Calls": "activities",
    "Tasks": "activities",
    "Events": "activities",
    "Notes": "activities",
    "Deals": "activities",
}

_TIMES = ["Owner", "Created_Time", "Modified_Time"]
NEEDED: dict[str, list[str]] = {
    "Accounts": ["Account_Name", "Phone", "Industry", "Billing_State", "Billing_Country", "Tag"],
    "Contacts": [
        *("First_Name", "Last_Name", "Full_Name", "Phone", "Mobile", "Email", "Email_Opt_Out"),
        *("Mailing_State", "Mailing_Country", "Account_Name", "Tag"),
    ],
    "Calls": [
        *("Subject", "Call_Type", "Call_Status", "Call_Start_Time", "Call_Duration"),
        *("Call_Duration_in_seconds", "Description", "What_Id", "Who_Id"),
    ],
    "Tasks": ["Subject", "Status", "Due_Date", "Closed_Time", "Description", "What_Id", "Who_Id"],
    "Events": [
        *("Event_Title", "Start_DateTime", "End_DateTime", "Description", "Check_In_Time"),
        *("What_Id", "Who_Id"),
    ],
    "Notes": ["Note_Title", "Note_Content", "Parent_Id"],
    "Deals": [
        *("Deal_Name", "Stage", "Amount", "Currency", "Closing_Date"),
        *("Account_Name", "Contact_Name"),
    ],
}
"""Fields each module's mapping reads (besides Owner and the timestamps)."""
NEEDED["Contacts"] += ["Title", "Department"]  # a contact's job, when Contacts are contacts
for _fields in NEEDED.values():
    _fields.extend(_TIMES)

MONEY_METRICS = {"sales_amount", "payment_amount"}
_FOUR_PLACES = Decimal("0.0001")
_DECIMAL_LIMIT = Decimal("1e14")

Values = dict[str, Any]
"""One record's canonical field values (`extra` a dict), not yet validated."""


class FieldError(ValueError):
    """A value that cannot be read; says which field."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")


@dataclass
class Mapped:
    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    deletes: list[Tombstone] = field(default_factory=list)


@dataclass
class Rows:
    """A batch in the making on the column path: the values of its records, the
    raw record behind each (by location) for a reject, and what was refused."""

    entity: str
    values: list[Values] = field(default_factory=list)
    raws: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Location ("Calls/123") -> module and raw record."""
    rejects: list[Reject] = field(default_factory=list)
    deletes: list[Tombstone] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values) + len(self.rejects) + len(self.deletes)


class _Row:
    """One Zoho record, remembering which fields were used (the rest is `extra`)."""

    __slots__ = ("hidden", "raw", "tz", "used")

    def __init__(
        self, raw: dict[str, Any], tz: ZoneInfo, hidden: frozenset[str] = frozenset()
    ) -> None:
        self.raw = raw
        self.tz = tz
        self.hidden = hidden
        """Fields the user left out ("-"): read as empty, kept nowhere."""
        self.used = {"id"}

    def value(self, name: str) -> Any:
        self.used.add(name)
        return None if name in self.hidden else self.raw.get(name)

    def text(self, name: str) -> str | None:
        value = self.value(name)
        if isinstance(value, dict):
            value = value.get("name")
        elif isinstance(value, list):
            value = ", ".join(_names(value)) or None
        if value is None or isinstance(value, bool):
            return None
        return str(value).strip() or None

    def ref(self, name: str) -> str | None:
        return lookup_id(self.value(name))

    def when(self, name: str) -> dt.datetime | None:
        """A datetime with its offset; a bare date is midnight in the company's zone."""
        value = self.value(name)
        if value in (None, ""):
            return None
        if isinstance(value, str) and len(value) == 25:  # the usual 2026-05-14T12:56:48+03:00
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        try:
            return parsing.datetime(str(value), self.tz, order="YMD")
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None

    def day(self, name: str) -> dt.date | None:
        value = self.value(name)
        if value in (None, ""):
            return None
        try:
            return parsing.date(str(value)[:10], order="YMD")
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None

    def end_of_day(self, name: str) -> dt.datetime | None:
        """A due date: due by the end of that day in the company's zone."""
        day = self.day(name)
        return None if day is None else dt.datetime.combine(day, dt.time(23, 59, 59), self.tz)

    def number(self, name: str) -> Decimal | None:
        value = self.value(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise FieldError(name, "not a number: a yes/no value")
        if isinstance(value, int | Decimal):
            return Decimal(value)
        if isinstance(value, float):  # a JSON number read without parse_float
            if not math.isfinite(value):
                raise FieldError(name, f"not a number: {value!r}")
            return Decimal(repr(value))  # shortest round trip: 1e-05, not 1.0000000000000001e-05
        try:
            return parsing.decimal(str(value))
        except (ValueError, InvalidOperation) as exc:
            raise FieldError(name, str(exc)) from None

    def flag(self, name: str) -> bool | None:
        value = self.value(name)
        if value is None or isinstance(value, bool):
            return value
        try:
            return parsing.boolean(str(value))
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None

    def extra(self) -> dict[str, Any]:
        extra = self.raw.copy()  # then drop the few used keys: twice as fast as filtering all
        for name in (*self.used, *self.hidden):
            extra.pop(name, None)
        return extra


def _add_labels(extra: dict[str, Any], labels: Mapping[str, Mapping[str, str]]) -> None:
    """Picklist labels beside the values the record carries (`Lead_Source__label`)."""
    for name, options in labels.items():
        value = extra.get(name)
        if isinstance(value, list):
            shown = [options.get(str(v), str(v)) for v in value]
            if shown != [str(v) for v in value]:
                extra[name + LABEL_SUFFIX] = shown
        elif value not in (None, "") and str(value) in options:
            extra[name + LABEL_SUFFIX] = options[str(value)]


def _names(items: Sequence[Any]) -> list[str]:
    """Tags `[{"name": "VIP", "id": ...}]` and multi-select values `["a", "b"]` -> names."""
    out = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if name not in (None, ""):
            out.append(str(name))
    return out


def hidden_fields(settings: ZohoSettings, entity: str) -> list[str]:
    """Fields hub.toml maps to "-": never asked for, never stored."""
    return [name for name, target in getattr(settings.fields, entity).items() if target == "-"]


def _snake(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def _convert(row: _Row, name: str, annotation: Any) -> Any:
    """Read field `name` as the canonical field's type (user field mappings)."""
    kind = base_type(annotation)
    if kind is dt.datetime:
        return row.when(name)
    if kind is dt.date:
        return row.day(name)
    if kind is bool:
        return row.flag(name)
    if kind is Decimal:
        return row.number(name)
    if kind is int:
        number = row.number(name)
        return None if number is None else int(number)
    if kind is list or getattr(kind, "__origin__", None) is list:
        value = row.value(name)
        return _names(value) if isinstance(value, list) else _names([value])
    if isinstance(kind, type) and issubclass(kind, Enum):
        text = row.text(name)
        return None if text is None else text.lower()
    return row.text(name)


@cache
def _defaults(entity: str) -> list[tuple[pa.Field, Any]]:
    """The columns a batch gives (all but `source`, the connection) and each one's
    default, as the model has it, for a record that leaves the field out."""
    fields = ENTITIES[entity].model_fields
    out = []
    for column in arrow_schema(entity):
        if column.name != "source":
            info = fields[column.name]
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            out.append((column, default))  # None for a required one: conform names it
    return out


def _exact_problem(name: str, number: Any) -> str | None:
    """Why a value cannot be an exact amount of 18 digits, 4 of them decimals."""
    if not isinstance(number, Decimal) or not number.is_finite():
        return f"{name}: not a finite number"
    try:
        if number.quantize(_FOUR_PLACES) != number:
            return f"field {name!r} has more than 4 decimals"
    except InvalidOperation:
        return f"field {name!r} has more than 18 digits"
    if abs(number) >= _DECIMAL_LIMIT:
        return f"field {name!r} has more than 18 digits"
    return None


def describe(exc: Exception) -> str:
    """One line for a reject: the field and what is wrong with it."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        return f"{where}: {first['msg'].removeprefix('Value error, ')}"
    return str(exc)


class Mapper:
    """Maps pages of one connection's Zoho records."""

    def __init__(
        self,
        connection: str,
        timezone: ZoneInfo,
        settings: ZohoSettings,
        resolver: CustomerResolver,
        goals_currency: str | None = None,
    ) -> None:
        self.connection = connection
        self.tz = timezone
        self.settings = settings
        self.resolver = resolver
        self.goals_currency = goals_currency or settings.currency
        self.won_stages = set(settings.won_stages)
        self.goal_module = settings.goals.module if settings.goals else None
        self.hidden = {
            entity: frozenset(hidden_fields(settings, entity))
            for entity in ("managers", "customers", "contacts", "activities")
        }
        self.facts: dict[str, ModuleFacts] = {}
        """Module -> what its field metadata says, set by the reader (`know`)."""
        self._mapped_credit_code = "credit_code" in settings.fields.customers.values()

    # -- pages ---------------------------------------------------------------------------

    def entity_of(self, module: str) -> str:
        if module == "Users":
            return "managers"
        if module == self.goal_module:
            return "goals"
        if module == "Contacts" and self.settings.reads_contacts:
            return "contacts"
        return MODULE_ENTITY.get(module) or "activities"

    def _converter(self, module: str) -> Callable[[dict[str, Any]], Values | Tombstone]:
        entity = self.entity_of(module)
        if entity == "goals":
            return self.goal
        if entity == "contacts":
            return self.contact
        if entity == "customers":
            return lambda raw: self.customer(module, raw)
        return lambda raw: self.activity(module, raw)

    def users(self, users: Sequence[dict[str, Any]], deleted: bool = False) -> Mapped:
        """Managers from a page of users; `deleted`: a page of the DeletedUsers listing."""
        return self._models("Users", users, self._user_converter(deleted))

    def page(self, module: str, records: Sequence[dict[str, Any]]) -> Mapped:
        """Model objects of a page, validated record by record (the row path)."""
        return self._models(module, records, self._converter(module))

    def _user_converter(self, deleted: bool) -> Callable[[dict[str, Any]], Values]:
        if deleted:
            return lambda raw: self.manager(raw, deleted=True)
        return self.manager

    def _reject(self, module: str, raw: dict[str, Any], problem: str) -> Reject:
        rid = str(raw.get("id") or "") or None
        return Reject(
            reason=f"{module} {rid or '(no id)'}: {problem}",
            raw=mask_personal(raw, self.facts_of(module)),
            source_id=rid,
            location=f"{module}/{rid}" if rid else module,
        )

    def _models(
        self,
        module: str,
        raws: Sequence[dict[str, Any]],
        convert: Callable[[dict[str, Any]], Values | Tombstone],
    ) -> Mapped:
        out = Mapped()
        model = ENTITIES[self.entity_of(module)]
        labels = self.facts_of(module).labels
        for raw in raws:
            try:
                result = convert(raw)
                if not isinstance(result, Tombstone):
                    if labels:
                        _add_labels(result["extra"], labels)
                    result = model(source=self.connection, **result)
            except (ValueError, ValidationError) as exc:
                out.rejects.append(self._reject(module, raw, describe(exc)))
                continue
            if isinstance(result, Tombstone):
                out.deletes.append(result)
            else:
                out.records.append(result)
        return out

    # -- the column path -------------------------------------------------------------------

    def rows(self, module: str, raws: Sequence[dict[str, Any]], into: Rows | None = None) -> Rows:
        """A page's values added to a batch in the making (`columns` makes the table)."""
        out = into if into is not None else Rows(self.entity_of(module))
        return self._values(module, raws, self._converter(module), out)

    def user_rows(
        self, users: Sequence[dict[str, Any]], deleted: bool = False, into: Rows | None = None
    ) -> Rows:
        out = into if into is not None else Rows("managers")
        return self._values("Users", users, self._user_converter(deleted), out)

    def _values(
        self,
        module: str,
        raws: Sequence[dict[str, Any]],
        convert: Callable[[dict[str, Any]], Values | Tombstone],
        out: Rows,
    ) -> Rows:
        labels = self.facts_of(module).labels
        for raw in raws:
            try:
                result = convert(raw)
            except ValueError as exc:
                out.rejects.append(self._reject(module, raw, describe(exc)))
                continue
            if isinstance(result, Tombstone):
                out.deletes.append(result)
                continue
            if labels:
                _add_labels(result["extra"], labels)
            where = f"{module}/{result['source_id']}"
            result[LOCATION] = where
            out.values.append(result)
            out.raws[where] = (module, raw)
        return out

    def columns(self, rows: Rows) -> tuple[pa.Table | None, list[Reject]]:
        """The batch's values as one Arrow table, checked column-wise against the
        model (`conform`), and a reject for each record that breaks it, named and
        masked as the mapping's own (module, id, field; the Zoho record's personal
        fields masked). None when no record is left."""
        entity = rows.entity
        values, rejects = self._exact(rows)
        if not values:
            return None, rejects
        columns: dict[str, pa.Array] = {}
        for column, default in _defaults(entity):
            name = column.name
            items = [v.get(name, default) for v in values]  # a field left out: its default
            if name == "extra":
                items = [dumps(x) for x in items]
            columns[name] = pa.array(items, column.type)
        columns[LOCATION] = pa.array([v[LOCATION] for v in values], pa.string())
        table, refused = conform(entity, pa.table(columns), self.connection)
        for reject in refused:
            module, raw = rows.raws[reject.location or ""]
            problem = reject.reason.removeprefix(f"{entity} {reject.source_id or '(no id)'}: ")
            rejects.append(self._reject(module, raw, problem))
        return table, rejects

    def _exact(self, rows: Rows) -> tuple[list[Values], list[Reject]]:
        """Decimals that an Arrow decimal128(18, 4) column cannot hold are refused here
        (with the reasons `conform` gives), the rest rounded to 4 places to fit it."""
        names = [c.name for c in arrow_schema(rows.entity) if pa.types.is_decimal(c.type)]
        rejects = list(rows.rejects)
        kept = []
        for v in rows.values:
            problem = None
            for name in names:
                number = v.get(name)
                if number is None:
                    continue
                problem = _exact_problem(name, number)
                if problem:
                    break
                v[name] = number.quantize(_FOUR_PLACES)
            if problem:
                module, raw = rows.raws[v[LOCATION]]
                rejects.append(self._reject(module, raw, problem))
            else:
                kept.append(v)
        return kept, rejects

    def know(self, facts: Mapping[str, ModuleFacts]) -> None:
        """What the modules' field metadata says (personal fields, labels, credit code)."""
        self.facts.update(facts)

    def facts_of(self, module: str) -> ModuleFacts:
        if module == "Users":
            return USER_FACTS
        return self.facts.get(module) or ModuleFacts()

    # -- common ----------------------------------------------------------------------------

    def _id(self, raw: dict[str, Any]) -> str:
        rid = raw.get("id")
        if rid in (None, ""):
            raise FieldError("id", "missing")
        return str(rid)

    def _finish(self, entity: str, row: _Row, values: Values) -> Values:
        """Apply the user's field mappings, put the rest in `extra`.
        A mapping applies where the record has the field (activity modules differ)."""
        model = ENTITIES[entity]
        for source, target in getattr(self.settings.fields, entity).items():
            if target != "-" and source in row.raw:
                values[target] = _convert(row, source, model.model_fields[target].annotation)
        values["extra"] = row.extra()
        values["source_id"] = self._id(row.raw)
        return values

    def _stamps(self, row: _Row) -> dict[str, Any]:
        return {"created_at": row.when("Created_Time"), "updated_at": row.when("Modified_Time")}

    # -- managers --------------------------------------------------------------------------

    def manager(self, raw: dict[str, Any], deleted: bool = False) -> Values:
        row = _Row(raw, self.tz, self.hidden["managers"])
        first, last = row.text("first_name"), row.text("last_name")
        email = row.text("email")
        name = row.text("full_name") or " ".join(p for p in (first, last) if p) or email
        status = "deleted" if deleted else (row.text("status") or "active").lower()
        updated = row.when("Modified_Time")
        values = {
            "name": name,
            "email": email,
            "phone": row.text("phone") or row.text("mobile"),
            "title": row.text("role"),
            "supervisor_source_id": row.ref("Reporting_To"),
            "active": status == "active",
            "created_at": row.when("created_time"),
            "updated_at": updated,
            # A deleted user still owns records: keep the manager, marked deleted.
            "deleted_at": (updated or dt.datetime.now(dt.UTC)) if status == "deleted" else None,
        }
        return self._finish("managers", row, values)

    # -- customers -------------------------------------------------------------------------

    def customer(self, module: str, raw: dict[str, Any]) -> Values:
        row = _Row(raw, self.tz, self.hidden["customers"])
        values: dict[str, Any] = {"owner_source_id": row.ref("Owner"), **self._stamps(row)}
        if module == "Accounts":
            values |= {
                "name": row.text("Account_Name"),
                "kind": CustomerKind.company.value,
                "phone": row.text("Phone"),
                "industry": row.text("Industry"),
                "region": row.text("Billing_State"),
                "country": row.text("Billing_Country"),
            }
        else:
            first, last = row.text("First_Name"), row.text("Last_Name")
            opt_out = row.flag("Email_Opt_Out")
            values |= {
                "name": row.text("Full_Name") or " ".join(p for p in (first, last) if p),
                "kind": CustomerKind.person.value,
                "phone": row.text("Phone") or row.text("Mobile"),
                "email": row.text("Email"),
                "marketing_consent": None if opt_out is None else not opt_out,
                "region": row.text("Mailing_State"),
                "country": row.text("Mailing_Country"),
            }
        found = self.facts_of(module).credit_code
        if found and not self._mapped_credit_code and found not in row.hidden:
            values["credit_code"] = row.text(found)  # found by its label in the metadata
        tags = row.value("Tag")
        values["tags"] = _names(tags) if isinstance(tags, list) else []
        if not values["name"]:
            raise FieldError("Account_Name" if module == "Accounts" else "Last_Name", "missing")
        return self._finish("customers", row, values)

    # -- contacts --------------------------------------------------------------------------

    def contact(self, raw: dict[str, Any]) -> Values:
        """A person at an account (customers = "Accounts"): linked to the account by the
        Account_Name lookup; Email_Opt_Out is the inverse of marketing consent. Zoho has
        no primary-contact field: map a checkbox of yours to `is_primary` if you keep one."""
        row = _Row(raw, self.tz, self.hidden["contacts"])
        first, last = row.text("First_Name"), row.text("Last_Name")
        opt_out = row.flag("Email_Opt_Out")
        values: dict[str, Any] = {
            "name": row.text("Full_Name") or " ".join(p for p in (first, last) if p),
            "customer_source_id": row.ref("Account_Name"),
            "owner_source_id": row.ref("Owner"),
            "title": row.text("Title"),
            "department": row.text("Department"),
            "mobile": row.text("Mobile"),
            "phone": row.text("Phone"),
            "email": row.text("Email"),
            "marketing_consent": None if opt_out is None else not opt_out,
            **self._stamps(row),
        }
        if not values["name"]:
            raise FieldError("Last_Name", "missing")
        return self._finish("contacts", row, values)

    # -- activities ------------------------------------------------------------------------

    def activity(self, module: str, raw: dict[str, Any]) -> Values | Tombstone:
        row = _Row(raw, self.tz, self.hidden["activities"])
        values: dict[str, Any] = {
            "manager_source_id": row.ref("Owner"),
            "customer_source_id": self.resolver.customer_of(module, raw),
            "logged_at": row.when("Created_Time"),
            **self._stamps(row),
        }
        if module == "Calls":
            values |= self._call(row)
        elif module == "Tasks":
            values |= self._task(row)
        elif module == "Events":
            values |= self._event(row)
        elif module == "Notes":
            values |= {
                "kind": ActivityKind.note.value,
                "occurred_at": values["created_at"],
                "subject": row.text("Note_Title"),
                "content": row.text("Note_Content"),
            }
            row.used.add("Parent_Id")
        elif module == "Deals":
            stage = row.text("Stage")
            if stage not in self.won_stages:
                # Not (or no longer) won: no order; remove one stored earlier.
                return Tombstone(self._id(raw), values["updated_at"])
            values |= self._deal(row, stage)
        else:
            raise FieldError("module", f"{module} is not an activity module")
        if values.get("occurred_at") is None and module != "Deals":  # an order may be undated
            raise FieldError("Created_Time", "missing, and no other time says when it happened")
        return self._finish("activities", row, values)

    def _call(self, row: _Row) -> dict[str, Any]:
        seconds = row.number("Call_Duration_in_seconds")
        duration = int(seconds) if seconds is not None else None
        text = row.text("Call_Duration")
        if duration is None and text:
            try:
                duration = parsing.duration_seconds(text)  # "mm:ss", as Zoho sends it
            except ValueError as exc:
                raise FieldError("Call_Duration", str(exc)) from None
        return {
            "kind": ActivityKind.call.value,
            "occurred_at": row.when("Call_Start_Time") or row.when("Created_Time"),
            "duration_seconds": duration,
            "status": row.text("Call_Status"),
            "subject": row.text("Subject"),
            "content": row.text("Description"),
        }

    def _task(self, row: _Row) -> dict[str, Any]:
        closed = row.when("Closed_Time")
        return {
            "kind": ActivityKind.task.value,
            "occurred_at": closed or row.when("Created_Time"),
            "due_at": row.end_of_day("Due_Date"),
            "completed_at": closed,
            "status": row.text("Status"),
            "subject": row.text("Subject"),
            "content": row.text("Description"),
        }

    def _event(self, row: _Row) -> dict[str, Any]:
        start, end = row.when("Start_DateTime"), row.when("End_DateTime")
        duration = None
        if start and end and end >= start:
            duration = int((end - start).total_seconds())
        checked_in = row.when("Check_In_Time")
        cancelled = row.flag("$event_cancelled")
        return {
            # A meeting someone checked in to (Zoho's field check-in) was a visit.
            "kind": (ActivityKind.visit if checked_in else ActivityKind.meeting).value,
            "occurred_at": checked_in or start or row.when("Created_Time"),
            "duration_seconds": duration,
            "status": "cancelled" if cancelled else None,
            "subject": row.text("Event_Title"),
            "content": row.text("Description"),
        }

    def _deal(self, row: _Row, stage: str | None) -> dict[str, Any]:
        amount = row.number("Amount")
        currency = row.text("Currency") or self.settings.currency
        closed = row.when(self.settings.deal_closed_at)
        row.used |= {"Account_Name", "Contact_Name"}
        return {
            "kind": ActivityKind.order.value,
            # Never invented: a won deal without its closing date is kept undated, left
            # out of every period, and named by the required-fields rule.
            "occurred_at": closed,
            "completed_at": closed,
            "amount": amount,
            "currency": currency if amount is not None else None,
            "status": stage,
            "subject": row.text("Deal_Name"),
        }

    # -- goals ---------------------------------------------------------------------------

    def goal(self, raw: dict[str, Any]) -> Values:
        g: GoalSettings = self.settings.goals  # type: ignore[assignment]
        row = _Row(raw, self.tz)
        label = row.text(g.metric)
        if not label:
            raise FieldError(g.metric, "missing")
        metric = g.metrics.get(label) or _snake(label)
        period = self._goal_period(row, g)
        target = row.number(g.target)
        if target is None:
            raise FieldError(g.target, "missing")
        currency = row.text(g.currency) if g.currency else None
        if metric in MONEY_METRICS:
            currency = currency or self.goals_currency
            if currency is None:
                raise FieldError(g.currency or g.target, "a money target needs a currency")
        unit = row.text(g.unit) if g.unit else None
        values = {
            "manager_source_id": row.ref(g.manager) if g.manager else None,
            "team": row.text(g.team) if g.team else None,
            "metric": metric,
            "period_start": period.start,
            "period_end": period.end,
            "period_label": period.label,
            "target": target,
            "currency": currency,
            "unit": unit or currency,
            "weight": row.number(g.weight) if g.weight else None,
            **self._stamps(row),
        }
        values["extra"] = row.extra()
        values["source_id"] = self._id(raw)
        return values

    def _goal_period(self, row: _Row, g: GoalSettings) -> Period:
        if g.period_start and g.period_end:
            start, end = row.day(g.period_start), row.day(g.period_end)
            if start is None or end is None:
                raise FieldError(g.period_start if start is None else g.period_end, "missing")
            for kind in ("month", "quarter", "half", "year"):
                named = period_of(start, kind)
                if (named.start, named.end) == (start, end):
                    return named
            return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
        text = row.text(g.period)  # type: ignore[arg-type]
        if not text:
            raise FieldError(str(g.period), "missing")
        try:
            return parse_period(text)
        except ValueError as exc:
            raise FieldError(str(g.period), str(exc)) from None
