"""Settings of a Fxiaoke connection, as written in hub.toml.

Field names on Fxiaoke objects differ between tenants (custom fields end in
`__c`, and many preset fields are only known from `describe`), so every
mapping below has a documented default that a connection can override.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hub.model import ActivityKind, Contact, Customer, CustomerKind

CLOUDS: dict[str, str] = {
    "fxiaoke": "https://open.fxiaoke.com",
    "huawei": "https://open-hwcloud.fxiaoke.com",
    "alibaba": "https://open-ale.fxiaoke.com",
    "frankfurt": "https://open-hws.fxiaoke.com",
    "hongkong": "https://open-ksc.sharecrm.com",
    "north_america": "https://open-na.sharecrm.com",
}
"""The documented OpenAPI gateways (`open-<login domain>`); private clouds set `host`."""

Cloud = Literal["fxiaoke", "huawei", "alibaba", "frankfurt", "hongkong", "north_america"]

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CURRENCY = r"^[A-Z]{3}$"

CUSTOMER_FIELDS: dict[str, str] = {
    "name": "name",
    "phone": "tel",
    "email": "email",
    "tier": "account_level",
    "industry": "industry_level1",
    "country": "country",
    "credit_code": "uniform_social_credit_code",
}
"""Canonical customer field → AccountObj field. `name` and `tel` are in the
official examples; the others are the commonly used preset names: check them
with `describe AccountObj` and override in `[connections.X.customers.fields]`."""

_MAPPABLE_CUSTOMER_FIELDS = {
    "name",
    "kind",
    "phone",
    "email",
    "credit_code",
    "industry",
    "region",
    "country",
    "tier",
    "segment",
    "lifecycle_stage",
    "marketing_consent",
    "tags",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerObject(_Strict):
    """How AccountObj becomes customers."""

    api_name: str = "AccountObj"
    fields: dict[str, str] = Field(default_factory=dict)
    """Canonical field → Fxiaoke field, merged over `CUSTOMER_FIELDS`; "" unmaps."""
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Canonical field → {Fxiaoke option value → hub value}, e.g. tier {"1" = "A"}."""
    kind: CustomerKind = CustomerKind.company
    credit_code_labels: list[str] = Field(
        default_factory=lambda: [
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "Unified Social Credit Code",
        ]
    )
    """Labels `describe` may give the field holding the unified social credit
    code, when the tenant has no `uniform_social_credit_code` (a custom `__c`
    field). A field set in `fields.credit_code` wins; `[]` looks for none."""

    @field_validator("fields", "values")
    @classmethod
    def _known_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name not in _MAPPABLE_CUSTOMER_FIELDS:
                known = ", ".join(sorted(_MAPPABLE_CUSTOMER_FIELDS))
                raise ValueError(f"{name!r} is not a customer field (one of {known})")
        return value

    def field_map(self) -> dict[str, str]:
        merged = {**CUSTOMER_FIELDS, **self.fields}
        return {k: v for k, v in merged.items() if v and k in Customer.model_fields}


CONTACT_FIELDS: dict[str, str] = {
    "name": "name",
    "customer": "account_id",
    "title": "job_title",
    "department": "department",
    "mobile": "mobile1",
    "phone": "tel1",
    "email": "email",
    "is_primary": "primary_contact",
}
"""Canonical contact field → ContactObj field. `name` and the `account_id`
lookup are documented; the others are the common preset names (unverified):
check them with `describe ContactObj` and override in
`[connections.X.contacts.fields]`."""

_MAPPABLE_CONTACT_FIELDS = {
    "name",
    "customer",
    "title",
    "department",
    "mobile",
    "phone",
    "email",
    "is_primary",
    "marketing_consent",
}


class ContactObject(_Strict):
    """How ContactObj (联系人) becomes contacts."""

    enabled: bool = True
    api_name: str = "ContactObj"
    fields: dict[str, str] = Field(default_factory=dict)
    """Canonical field → Fxiaoke field, merged over `CONTACT_FIELDS`; "" unmaps."""

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in _MAPPABLE_CONTACT_FIELDS:
                known = ", ".join(sorted(_MAPPABLE_CONTACT_FIELDS))
                raise ValueError(f"{name!r} is not a contact field (one of {known})")
        return value

    def field_map(self) -> dict[str, str]:
        merged = {**CONTACT_FIELDS, **self.fields}
        return {
            k: v for k, v in merged.items() if v and (k == "customer" or k in Contact.model_fields)
        }


class ActivityObject(_Strict):
    """One Fxiaoke object read as activities (one stream per object)."""

    api_name: str
    enabled: bool = True
    kind: ActivityKind = ActivityKind.other
    """The activity kind of every record, unless `kind_field` says otherwise."""
    kind_field: str | None = None
    kinds: dict[str, ActivityKind] = Field(default_factory=dict)
    """Value of `kind_field` → kind; values not listed keep `kind`."""
    customer_field: str | None = "account_id"
    """Lookup to AccountObj. When empty, `related_object_data` is searched."""
    manager_field: str = "owner"
    occurred_at_field: str = "create_time"
    """Epoch-ms field with the moment the activity happened (create_time if empty)."""
    subject_field: str | None = "name"
    content_field: str | None = None
    status_field: str | None = "life_status"
    amount_field: str | None = None
    currency_field: str | None = None
    """A field holding the ISO currency (multi-currency tenants); else `currency`."""
    due_at_field: str | None = None
    completed_at_field: str | None = None

    @field_validator("api_name")
    @classmethod
    def _api_name(cls, value: str) -> str:
        if not _API_NAME.match(value):
            raise ValueError(f"{value!r} is not an object apiName (e.g. ActiveRecordObj)")
        return value


BUILTIN_ACTIVITIES: dict[str, dict[str, Any]] = {
    "ActiveRecordObj": {
        "kind": "note",
        "content_field": "active_record_content",
        "kind_field": "active_record_type",
    },
    "CheckinsObj": {
        "kind": "visit",
        "customer_field": "customer_id",
        "content_field": "communicate_record",
    },
    "SalesOrderObj": {
        "kind": "order",
        "occurred_at_field": "order_time",
        "amount_field": "order_amount",
    },
    "PaymentObj": {
        "kind": "payment",
        "occurred_at_field": "payment_time",
        "amount_field": "payment_amount",
        "content_field": "remark",
    },
}
"""The objects read as activities unless disabled: follow-ups (跟进记录), field
visits (外勤签到), sales orders and payments (回款). Field names from the
official examples and Fxiaoke's own server code; override any of them."""


class GoalObject(_Strict):
    """How GoalValueObj (目标值) becomes goals: one goal per month with a value."""

    enabled: bool = True
    api_name: str = "GoalValueObj"
    metric: str = Field(default="sales_amount", pattern=r"^[a-z][a-z0-9_]*$")
    metrics_by_rule: dict[str, str] = Field(default_factory=dict)
    """goal_rule_id → metric, for tenants with several target rules."""
    unit: str | None = None
    """Unit of non-money metrics (money metrics carry the currency)."""
    derive: list[Literal["quarter", "year"]] = Field(default_factory=list)
    """Also write quarterly and/or yearly goals summed from the months."""
    person_field: str | None = None
    """The field naming a goal's person, for every target rule (e.g.
    `check_dimension_value1`); else found per record: `person_fields_by_rule`,
    the employee-typed `check_dimension_valueN` fields of `describe`, then
    `check_object_id`."""
    person_fields_by_rule: dict[str, str] = Field(default_factory=dict)
    """goal_rule_id → the field naming the person for that rule's goals."""
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    """The target rule's start month: month m of fiscal year Y is in calendar
    year Y when m >= start, else Y + 1."""

    @model_validator(mode="after")
    def _derivable(self) -> GoalObject:
        if "year" in self.derive and self.fiscal_year_start_month != 1:
            raise ValueError("derive = ['year'] needs fiscal_year_start_month = 1")
        if "quarter" in self.derive and self.fiscal_year_start_month not in (1, 4, 7, 10):
            raise ValueError("derive = ['quarter'] needs a fiscal year starting on a quarter")
        return self


class ActionsSettings(_Strict):
    """How follow-up tasks are written (`hub actions`, docs/actions.md): a record of
    `object` (跟进记录 by default) created through `data/create`."""

    object: str = "ActiveRecordObj"
    key_field: str = Field(default="hub_action_key__c", pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$")
    """A custom text field on `object` that carries each action's key, so an action is
    found (never written twice) after a crash or a timeout."""
    content_field: str = "active_record_content"
    customer_field: str | None = "account_id"
    """Lookup to the customer; `related_object_data` is always filled as well."""
    fields: dict[str, Any] = Field(default_factory=dict)
    """Constant fields to set on every record, e.g. {active_record_type = "…"}."""


class FxiaokeSettings(_Strict):
    """A `[connections.NAME]` table with `adapter = "fxiaoke"`."""

    auth: Literal["corp_access_token", "oauth"] = "corp_access_token"
    """corp_access_token: `/cgi/corpAccessToken/get/V2`, credentials in the body;
    oauth: `/oauth2.0/token`, Bearer token and x-fs-ea / x-fs-userid headers."""
    cloud: Cloud | None = None
    host: str | None = None
    """Base URL of the gateway, for private clouds and fakes (instead of `cloud`)."""
    app_id: str = Field(min_length=1)
    app_secret: SecretStr
    permanent_code: SecretStr
    operator_user_id: str = Field(min_length=1)
    """The employee every call runs as (use a CRM admin): an openUserId
    `FSUID_…` with corp_access_token, a CRM employee id like `1000` with oauth."""
    currency: str | None = Field(default=None, pattern=_CURRENCY)
    """Currency of amounts (default: the hub's base currency)."""
    timeout_seconds: float = Field(default=30.0, gt=0)
    calls_per_20s: int = Field(default=100, ge=1, le=100_000, strict=True)
    """Per-interface rate limit (documented: 100 calls / 20 s; more with 独立库):
    the most calls in any `rate_window_seconds`; fewer while the tenant answers
    30004 (learned, and remembered for the next run)."""
    rate_window_seconds: float = Field(
        default=20.0, ge=1, le=3600, strict=True, allow_inf_nan=False
    )
    """The window Fxiaoke counts `calls_per_20s` calls in (documented: 20 s), for
    a tenant counted over a longer one."""
    concurrent_streams: bool = True
    """Read all objects at the same time, within the same per-interface limit
    (false: one after another)."""
    reconcile_every_days: float | None = Field(default=7.0, ge=0)
    """After this long an incremental read becomes a complete read, so records
    deleted in Fxiaoke are tombstoned (None: only on --full-refresh)."""
    managers_from: Literal["directory", "personnel"] = "directory"
    """directory: /cgi/user/list (always readable); personnel: PersonnelObj,
    incremental, needs the tenant's 人员 read permission and oauth ids."""
    customers: CustomerObject = Field(default_factory=CustomerObject)
    contacts: ContactObject = Field(default_factory=ContactObject)
    activities: list[ActivityObject] = Field(default_factory=list, validate_default=True)
    """Built-in objects with overrides, and further objects, by api_name."""
    goals: GoalObject = Field(default_factory=GoalObject)
    describe: bool = True
    """Ask `describe` once per object and run (one call each): select fields get
    their labels in `extra` beside the codes (`account_level__label`), and
    fields are found by label (credit code) or type (a goal's person)."""
    actions: ActionsSettings = Field(default_factory=lambda: ActionsSettings())
    """Write-back of follow-up tasks (`hub actions apply`)."""

    @field_validator("host")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be a URL like https://open.fxiaoke.com")
        return value.rstrip("/") if value else value

    @field_validator("activities", mode="before")
    @classmethod
    def _merge_builtins(cls, value: Any) -> Any:
        entries = list(value or [])
        names = set()
        merged: list[Any] = []
        for entry in entries:
            if isinstance(entry, dict):
                name = entry.get("api_name")
                if name in names:
                    raise ValueError(f"{name} is listed twice")
                names.add(name)
                entry = {**BUILTIN_ACTIVITIES.get(name, {}), **entry}
            merged.append(entry)
        for name, defaults in BUILTIN_ACTIVITIES.items():
            if name not in names:
                merged.append({"api_name": name, **defaults})
        return merged

    @model_validator(mode="after")
    def _consistent(self) -> FxiaokeSettings:
        if self.cloud is not None and self.host is not None:
            raise ValueError("set either cloud or host, not both")
        op = self.operator_user_id
        if self.auth == "corp_access_token" and not op.startswith("FSUID_"):
            raise ValueError(
                "operator_user_id: with auth = 'corp_access_token' this is an openUserId "
                "starting with FSUID_ (look it up with /cgi/user/getByMobile)"
            )
        if self.auth == "oauth" and not op.lstrip("-").isdigit():
            raise ValueError(
                "operator_user_id: with auth = 'oauth' this is the CRM employee id "
                "sent as x-fs-userid, e.g. 1000"
            )
        if self.managers_from == "personnel" and self.auth != "oauth":
            raise ValueError(
                "managers_from = 'personnel' needs auth = 'oauth': PersonnelObj.user_id is "
                "the numeric employee id, while corp_access_token owners are FSUID_ ids"
            )
        return self

    @property
    def base_url(self) -> str:
        return self.host or CLOUDS[self.cloud or "fxiaoke"]

    def activity_objects(self) -> list[ActivityObject]:
        return [a for a in self.activities if a.enabled]
