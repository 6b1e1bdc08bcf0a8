"""Fxiaoke records → canonical records.

Wire facts this relies on (reference §5.2): timestamps are epoch milliseconds;
numbers and currency amounts arrive as strings ("1234.50"); employee fields
(`owner`, `leader`) are lists of employee ids; lookups hold the target's
`_id`; `life_status == "invalid"` or `is_deleted == true` means the record
was invalidated (recycle bin) and becomes a tombstone. Custom `__c` fields
and other unmapped business fields are kept in `extra`; internal bookkeeping
fields and the derived `__r`/`__l` expansions are not.

A mapper raises `MappingError` naming the field; the adapter turns it into a
reject with the record's id, so one bad record never stops a sync.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from hub import masking
from hub.adapters import parsing
from hub.adapters.contract import Tombstone
from hub.model import Activity, ActivityKind, Contact, Customer, Goal, Manager, Record
from hub.periods import Period, month_period, quarter_period, year_period
from hub_fxiaoke.describe import EMPLOYEE_TYPES, Describe
from hub_fxiaoke.settings import ActivityObject, ContactObject, CustomerObject, GoalObject

Mapped = list[Record | Tombstone]

SYSTEM_FIELDS = frozenset(
    {
        "_id",
        "owner",
        "created_by",
        "last_modified_by",
        "create_time",
        "last_modified_time",
        "is_deleted",
        "version",
        "tenant_id",
        "package",
        "object_describe_api_name",
        "object_describe_id",
        "extend_obj_data_id",
        "order_by",
        "relevant_team",
        "data_own_department",
        "lock_user",
        "lock_rule",
        "searchAfterId",
        "total_num",
    }
)
_DERIVED = ("__r", "__l", "__relation_ids")

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONEY_METRICS = frozenset({"sales_amount", "payment_amount"})


class Mapper(Protocol):
    """Maps one object's records; `map` may give several records (goals) or tombstones."""

    describe: Describe | None

    def source_id(self, raw: Mapping[str, Any]) -> str: ...

    def map(self, raw: Mapping[str, Any]) -> Mapped: ...

    def use(self, describe: Describe | None) -> None:
        """Take the object's describe (before a read)."""
        ...


class Described:
    """A mapper's describe: select labels beside their codes in `extra`."""

    describe: Describe | None = None

    def use(self, describe: Describe | None) -> None:
        self.describe = describe

    def labels(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return self.describe.labels(dict(raw)) if self.describe is not None else {}


class MappingError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# -- wire values ---------------------------------------------------------------


def is_gone(raw: Mapping[str, Any]) -> bool:
    """Invalidated (作废, in the recycle bin) or deleted."""
    return raw.get("life_status") == "invalid" or raw.get("is_deleted") is True


def millis(raw: Mapping[str, Any], field: str) -> dt.datetime | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    try:
        return parsing.epoch_millis(value)
    except (TypeError, ValueError, OverflowError, OSError):
        raise MappingError(field, f"not an epoch-millisecond time: {str(value)[:40]!r}") from None


def first_id(value: Any) -> str | None:
    """Employee and lookup fields: a list of ids (or one id) → the first."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    return str(value)


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    elif isinstance(value, dict):
        return None
    return parsing.text(str(value))


def number(raw: Mapping[str, Any], field: str) -> Decimal | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MappingError(field, "not a number: a yes/no value")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # a JSON number: the text parser would refuse `1e-05`, which is how
        # Python prints some of them; the shortest round trip is exact.
        if not math.isfinite(value):
            raise MappingError(field, f"not a number: {value!r}")
        return Decimal(repr(value))
    try:
        return parsing.decimal(str(value))
    except ValueError as exc:
        raise MappingError(field, str(exc)) from None


def extra_fields(raw: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    """Custom and unmapped business fields, kept as they came."""
    return {
        k: v
        for k, v in raw.items()
        if k not in used
        and k not in SYSTEM_FIELDS
        and not k.endswith(_DERIVED)
        and v is not None
        and v != ""
    }


_EXPANSION_KEEP = frozenset(
    {"id", "_id", "dept", "deptId", "status", "tenantId", "supervisorId", "describe_api_name"}
)
"""Keys of an expansion (`owner__r`, …) that are ids or codes, not personal data."""


def mask_expansions(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A raw record for a reject with every personal value of its `__r`/`__l`
    expansions masked: an employee's name, nickname, phone and e-mail, a
    lookup's display name. The hub masks the record's own fields by name and
    content; inside an expansion every text but its ids and codes is a person's."""
    return {k: _mask_expansion(v) if k.endswith(_DERIVED) else v for k, v in raw.items()}


def _mask_expansion(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): v if k in _EXPANSION_KEEP else _mask_expansion(v, str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_expansion(v, key) for v in value]
    if isinstance(value, str) and value:
        masked = masking.mask_value(key, value)
        return masking.mask_name(value) if masked == value else masked
    return value


def build(model: type[Record], **values: Any) -> Record:
    """Validate a canonical record; a failure names the canonical field."""
    try:
        return model(**values)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(p) for p in error["loc"]) or model.__name__
        raise MappingError(field, error["msg"].removeprefix("Value error, ")) from None


def record_id(raw: Mapping[str, Any]) -> str:
    value = raw.get("_id")
    if not isinstance(value, str) or not value:
        raise MappingError("_id", "missing")
    return value


# -- customers ---------------------------------------------------------------------


class CustomerMapper(Described):
    """AccountObj → Customer."""

    def __init__(self, connection: str, settings: CustomerObject) -> None:
        self.connection = connection
        self.settings = settings
        self.fields = settings.field_map()

    def use(self, describe: Describe | None) -> None:
        """The credit code may sit in a custom field: found by its label."""
        super().use(describe)
        self.fields = self.settings.field_map()
        if describe is None or "credit_code" in self.settings.fields:
            return
        if self.fields.get("credit_code") in describe.fields:
            return
        found = describe.by_label(self.settings.credit_code_labels)
        if found:
            self.fields["credit_code"] = found

    def source_id(self, raw: Mapping[str, Any]) -> str:
        return record_id(raw)

    def map(self, raw: Mapping[str, Any]) -> Mapped:
        sid = record_id(raw)
        if is_gone(raw):
            return [Tombstone(sid, millis(raw, "last_modified_time"))]
        values: dict[str, Any] = {}
        for canonical, source in self.fields.items():
            value = raw.get(source)
            if canonical == "tags":
                if isinstance(value, str):
                    value = [t.strip() for t in value.split(",") if t.strip()]
                values["tags"] = [str(t) for t in value] if isinstance(value, list) else []
                continue
            if canonical == "marketing_consent":
                try:
                    consent = parsing.boolean(None if value is None else str(value))
                except ValueError as exc:
                    raise MappingError(source, str(exc)) from None
                values["marketing_consent"] = consent
                continue
            mapped = text(value)
            table = self.settings.values.get(canonical)
            if table and mapped is not None:
                mapped = table.get(mapped, mapped)
            values[canonical] = mapped
        values.setdefault("kind", self.settings.kind)
        if values.get("kind") is None:
            values["kind"] = self.settings.kind
        if not values.get("name"):
            raise MappingError(self.fields.get("name", "name"), "empty (a customer needs a name)")
        return [
            build(
                Customer,
                source=self.connection,
                source_id=sid,
                owner_source_id=first_id(raw.get("owner")),
                created_at=millis(raw, "create_time"),
                updated_at=millis(raw, "last_modified_time"),
                extra=extra_fields(raw, set(self.fields.values())) | self.labels(raw),
                **values,
            )
        ]


# -- contacts ------------------------------------------------------------------------


def flag(raw: Mapping[str, Any], field: str) -> bool | None:
    """A yes/no field: a JSON bool, or "1"/"0", "true"/"false", 是/否."""
    value = raw.get(field)
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        value = value[0]
    try:
        return parsing.boolean(str(value).lower() if isinstance(value, bool) else str(value))
    except ValueError as exc:
        raise MappingError(field, str(exc)) from None


class ContactMapper(Described):
    """ContactObj → Contact: the people at a customer, linked by `account_id`."""

    def __init__(self, connection: str, settings: ContactObject) -> None:
        self.connection = connection
        self.fields = settings.field_map()

    def source_id(self, raw: Mapping[str, Any]) -> str:
        return record_id(raw)

    def map(self, raw: Mapping[str, Any]) -> Mapped:
        sid = record_id(raw)
        if is_gone(raw):
            return [Tombstone(sid, millis(raw, "last_modified_time"))]
        values: dict[str, Any] = {}
        for canonical, source in self.fields.items():
            if canonical == "customer":
                values["customer_source_id"] = first_id(raw.get(source))
            elif canonical in ("is_primary", "marketing_consent"):
                values[canonical] = flag(raw, source)
            else:
                values[canonical] = text(raw.get(source))
        if not values.get("name"):
            raise MappingError(self.fields.get("name", "name"), "empty (a contact needs a name)")
        return [
            build(
                Contact,
                source=self.connection,
                source_id=sid,
                owner_source_id=first_id(raw.get("owner")),
                created_at=millis(raw, "create_time"),
                updated_at=millis(raw, "last_modified_time"),
                extra=extra_fields(raw, set(self.fields.values())) | self.labels(raw),
                **values,
            )
        ]


# -- activities ------------------------------------------------------------------------


class ActivityMapper(Described):
    """One object (follow-ups, visits, orders, payments, …) → Activity.

    Source ids are `<apiName>:<_id>`: several objects feed the activities
    table, and the prefix keeps their ids apart and says where each came from."""

    def __init__(self, connection: str, obj: ActivityObject, currency: str) -> None:
        self.connection = connection
        self.obj = obj
        self.currency = currency

    def source_id(self, raw: Mapping[str, Any]) -> str:
        return f"{self.obj.api_name}:{record_id(raw)}"

    def map(self, raw: Mapping[str, Any]) -> Mapped:
        obj = self.obj
        sid = self.source_id(raw)
        if is_gone(raw):
            return [Tombstone(sid, millis(raw, "last_modified_time"))]
        created = millis(raw, "create_time")
        occurred = millis(raw, obj.occurred_at_field) or created
        if occurred is None:
            raise MappingError(obj.occurred_at_field, "empty, and so is create_time")
        kind = obj.kind
        if obj.kind_field:
            found = first_id(raw.get(obj.kind_field))
            kind = obj.kinds.get(found, kind) if found is not None else kind
        amount = currency = None
        if obj.amount_field:
            amount = number(raw, obj.amount_field)
            if amount is not None:
                currency = self._currency(raw)
        used = {
            f
            for f in (
                obj.kind_field,
                obj.customer_field,
                obj.manager_field,
                obj.occurred_at_field,
                obj.subject_field,
                obj.content_field,
                obj.amount_field,
                obj.currency_field,
                obj.due_at_field,
                obj.completed_at_field,
            )
            if f
        }
        return [
            build(
                Activity,
                source=self.connection,
                source_id=sid,
                kind=ActivityKind(kind),
                customer_source_id=self._customer(raw),
                manager_source_id=first_id(raw.get(obj.manager_field)),
                occurred_at=occurred,
                logged_at=created,
                due_at=millis(raw, obj.due_at_field) if obj.due_at_field else None,
                completed_at=(
                    millis(raw, obj.completed_at_field) if obj.completed_at_field else None
                ),
                status=text(raw.get(obj.status_field)) if obj.status_field else None,
                subject=text(raw.get(obj.subject_field)) if obj.subject_field else None,
                content=text(raw.get(obj.content_field)) if obj.content_field else None,
                amount=amount,
                currency=currency,
                created_at=created,
                updated_at=millis(raw, "last_modified_time"),
                extra=extra_fields(raw, used) | self.labels(raw),
            )
        ]

    def _customer(self, raw: Mapping[str, Any]) -> str | None:
        if self.obj.customer_field:
            found = first_id(raw.get(self.obj.customer_field))
            if found:
                return found
        related = raw.get("related_object_data")
        if isinstance(related, list):
            for item in related:
                if isinstance(item, dict) and item.get("describe_api_name") == "AccountObj":
                    return first_id(item.get("id"))
        return None

    def _currency(self, raw: Mapping[str, Any]) -> str:
        field = self.obj.currency_field
        if field and raw.get(field):
            value = str(raw[field]).strip().upper()
            if len(value) != 3 or not value.isalpha():
                raise MappingError(field, f"not an ISO currency code: {value[:10]!r}")
            return value
        return self.currency


# -- goals -----------------------------------------------------------------------------


def person_id(value: Any) -> str | None:
    """An employee field in any of the shapes tenants send: a list of ids,
    one id, or a list written as a string ("[1000]", '["FSUID_…"]'); either
    id form (FSUID_… or numeric) is kept as it came."""
    if isinstance(value, str):
        text_ = value.strip()
        if text_.startswith("[") and text_.endswith("]"):
            parts = [p.strip().strip("'\"") for p in text_[1:-1].split(",")]
            value = [p for p in parts if p]
    return first_id(value)


class GoalMapper(Described):
    """GoalValueObj → one Goal per month with a value (and derived quarters/years).

    A GoalValueObj holds one fiscal year of one target rule for one person
    (goal_type "2") or department (goal_type "1", `check_object_id` is the
    department). Source ids are `<_id>:<period>`, e.g. `65f…:2026-03`. A month
    whose value was cleared becomes a tombstone."""

    def __init__(
        self,
        connection: str,
        settings: GoalObject,
        currency: str,
        department_names: Callable[[], Mapping[str, str]],
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.currency = currency
        self.department_names = department_names
        self.person_dimensions: list[str] = []

    def use(self, describe: Describe | None) -> None:
        """The employee-typed assessment dimensions (`check_dimension_valueN`)
        of GoalValueObj may carry the goal's person."""
        super().use(describe)
        self.person_dimensions = [
            f
            for f in (describe.of_type(EMPLOYEE_TYPES) if describe else [])
            if f.startswith("check_dimension_value")
        ]

    def person(self, raw: Mapping[str, Any]) -> tuple[str | None, list[str]]:
        """(the goal's person, the fields tried)."""
        s = self.settings
        tried: list[str] = []
        rule = str(raw.get("goal_rule_id"))
        for name in (s.person_fields_by_rule.get(rule), s.person_field, *self.person_dimensions):
            if name and name not in tried:
                tried.append(name)
        for name in tried:
            found = person_id(raw.get(name))
            if found is not None:
                return found, tried
        return None, tried

    def source_id(self, raw: Mapping[str, Any]) -> str:
        return record_id(raw)

    def periods(self, year: int) -> list[tuple[Period, tuple[int, ...]]]:
        """(period, month numbers in the record) for every goal a record can give."""
        start = self.settings.fiscal_year_start_month
        out = []
        for month in range(1, 13):
            out.append((month_period(year if month >= start else year + 1, month), (month,)))
        if "quarter" in self.settings.derive:
            for q in range(1, 5):
                first = 3 * q - 2
                cal_year = year if first >= start else year + 1
                out.append((quarter_period(cal_year, q), (first, first + 1, first + 2)))
        if "year" in self.settings.derive:
            out.append((year_period(year), tuple(range(1, 13))))
        return out

    def map(self, raw: Mapping[str, Any]) -> Mapped:
        gid = record_id(raw)
        year_text = text(raw.get("fiscal_year"))
        if year_text is None or not year_text.isdigit() or len(year_text) != 4:
            raise MappingError("fiscal_year", f"not a year: {str(raw.get('fiscal_year'))[:20]!r}")
        periods = self.periods(int(year_text))
        if is_gone(raw):
            at = millis(raw, "last_modified_time")
            return [Tombstone(f"{gid}:{p.label}", at) for p, _ in periods]
        months = {i: number(raw, f"{name}_value") for i, name in enumerate(MONTHS, 1)}
        annual = number(raw, "annual_value")
        s = self.settings
        metric = s.metrics_by_rule.get(str(raw.get("goal_rule_id")), s.metric)
        money = metric in MONEY_METRICS
        manager, tried = self.person(raw)
        team = None
        if manager is None:
            target_of = person_id(raw.get("check_object_id"))
            tried.append("check_object_id")
            if target_of is None:
                raise MappingError(
                    ", ".join(tried), "all empty (whose goal is it? set goals.person_field)"
                )
            if str(raw.get("goal_type")) == "1":
                team = self.department_names().get(target_of, target_of)
            else:
                manager = target_of
        common = {
            "source": self.connection,
            "manager_source_id": manager,
            "team": team,
            "metric": metric,
            "unit": self.currency if money else s.unit,
            "currency": self.currency if money else None,
            "created_at": millis(raw, "create_time"),
            "updated_at": millis(raw, "last_modified_time"),
            "extra": extra_fields(raw, {f"{m}_value" for m in MONTHS} | {"annual_value"})
            | self.labels(raw),
        }
        out: Mapped = []
        for period, numbers in periods:
            values = [months[n] for n in numbers if months[n] is not None]
            target = sum(values, Decimal(0)) if values else None
            if len(numbers) == 12 and annual is not None:
                target = annual
            sid = f"{gid}:{period.label}"
            if target is None:
                out.append(Tombstone(sid))
                continue
            out.append(
                build(
                    Goal,
                    source_id=sid,
                    period_start=period.start,
                    period_end=period.end,
                    period_label=period.label,
                    target=target,
                    **common,
                )
            )
        return out


# -- managers --------------------------------------------------------------------------

_USER_FIELDS_DROPPED = frozenset({"birthDate", "gender", "profileImageUrl"})
"""Personal data the hub has no use for (PIPL: collect the minimum)."""
_USER_FIELDS_MAPPED = frozenset(
    {
        "openUserId",
        "name",
        "email",
        "mobile",
        "employeeNumber",
        "position",
        "leaderId",
        "isStop",
        "hireDate",
        "createTime",
        "mainDepartmentId",
    }
)


def _local_date(value: Any, field: str, tz: ZoneInfo) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) > 8):
        moment = millis({field: value}, field)
        return moment.astimezone(tz).date() if moment else None
    try:
        return parsing.date(str(value), "YMD")
    except ValueError as exc:
        raise MappingError(field, str(exc)) from None


def manager_from_user(
    connection: str, user: Mapping[str, Any], departments: Mapping[str, str], tz: ZoneInfo
) -> Manager:
    """A user of /cgi/user/list (the employee directory) → Manager."""
    uid = first_id(user.get("openUserId"))
    if uid is None:
        raise MappingError("openUserId", "missing")
    name = text(user.get("name")) or text(user.get("nickName"))
    if name is None:
        raise MappingError("name", "empty")
    department_id = first_id(user.get("mainDepartmentId"))
    if department_id is None:
        department_id = first_id(user.get("departmentIds"))
    extra = {
        k: v
        for k, v in user.items()
        if k not in _USER_FIELDS_MAPPED and k not in _USER_FIELDS_DROPPED and v not in (None, "")
    }
    if department_id is not None:
        extra["mainDepartmentId"] = department_id
    return build(
        Manager,
        source=connection,
        source_id=uid,
        name=name,
        email=text(user.get("email")),
        phone=text(user.get("mobile")),
        employee_number=text(user.get("employeeNumber")),
        department=departments.get(department_id, department_id) if department_id else None,
        title=text(user.get("position")),
        supervisor_source_id=first_id(user.get("leaderId")),
        active=not bool(user.get("isStop")),
        hired_at=_local_date(user.get("hireDate"), "hireDate", tz),
        created_at=millis(user, "createTime"),
        extra=extra,
    )


class PersonnelMapper(Described):
    """PersonnelObj (人员) → Manager, keyed by the CRM employee id `user_id`."""

    def __init__(self, connection: str) -> None:
        self.connection = connection

    def source_id(self, raw: Mapping[str, Any]) -> str:
        uid = first_id(raw.get("user_id"))
        if uid is None:
            raise MappingError("user_id", "missing")
        return uid

    def map(self, raw: Mapping[str, Any]) -> Mapped:
        uid = self.source_id(raw)
        if is_gone(raw):
            return [Tombstone(uid, millis(raw, "last_modified_time"))]
        name = text(raw.get("full_name")) or text(raw.get("name"))
        if name is None:
            raise MappingError("full_name", "empty")
        used = {"user_id", "full_name", "name", "phone", "email", "leader", "status"}
        return [
            build(
                Manager,
                source=self.connection,
                source_id=uid,
                name=name,
                phone=text(raw.get("phone")),
                email=text(raw.get("email")),
                employee_number=text(raw.get("employee_number")),
                supervisor_source_id=first_id(raw.get("leader")),
                active=str(raw.get("status", "0")) == "0",
                created_at=millis(raw, "create_time"),
                updated_at=millis(raw, "last_modified_time"),
                extra=extra_fields(raw, used),
            )
        ]
