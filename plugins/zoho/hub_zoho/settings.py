"""Settings of a Zoho CRM connection, as written in hub.toml.

[connections.zoho_global]
adapter = "zoho"
dc = "eu"
client_id = "1000.ABC..."
client_secret = "${ZOHO_CLIENT_SECRET}"
refresh_token = "${ZOHO_REFRESH_TOKEN}"
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hub.model import ENTITIES, Currency

DataCentre = Literal["us", "eu", "in", "au", "cn", "jp", "ca", "sa", "uk", "ae"]

ACCOUNTS_URLS: dict[str, str] = {
    "us": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "au": "https://accounts.zoho.com.au",
    "cn": "https://accounts.zoho.com.cn",
    "jp": "https://accounts.zoho.jp",
    "ca": "https://accounts.zohocloud.ca",  # Canada has its own accounts host, not zoho.ca
    "sa": "https://accounts.zoho.sa",
    "uk": "https://accounts.zoho.uk",
    "ae": "https://accounts.zoho.ae",
}
"""Accounts (token) server of each data centre. us…sa are Zoho's documented
CRM data centres; uk and ae come from other Zoho products' lists."""

API_DOMAINS: dict[str, str] = {
    "us": "https://www.zohoapis.com",
    "eu": "https://www.zohoapis.eu",
    "in": "https://www.zohoapis.in",
    "au": "https://www.zohoapis.com.au",
    "cn": "https://www.zohoapis.com.cn",
    "jp": "https://www.zohoapis.jp",
    "ca": "https://www.zohoapis.ca",
    "sa": "https://www.zohoapis.sa",
    "uk": "https://www.zohoapis.uk",
    "ae": "https://www.zohoapis.ae",
}
"""Fallback API domain per data centre, used only when the token answer has none."""

ActivityModule = Literal["Calls", "Tasks", "Events", "Notes", "Deals"]

# Canonical fields a user may map a Zoho field onto (hub ids and bookkeeping excluded).
_NOT_MAPPABLE = {"id", "source", "source_id", "extra", "deleted_at"}


def _mappable(entity: str) -> set[str]:
    fields = set(ENTITIES[entity].model_fields) - _NOT_MAPPABLE
    return {f for f in fields if not (f.endswith("_id") and not f.endswith("_source_id"))}


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
        raise ValueError("must be an http(s) URL such as https://accounts.zoho.eu")
    return value


class RetrySettings(BaseModel):
    """Backoff for 429 TOO_MANY_REQUESTS, 5xx answers, timeouts and lost connections."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=6, ge=1, le=20)
    initial_wait: float = Field(default=1.0, ge=0)
    """Seconds before the first retry; later waits grow exponentially (with jitter)."""
    max_wait: float = Field(default=60.0, ge=0)


class ActionsSettings(BaseModel):
    """How follow-up tasks are written (`hub actions`, docs/actions.md)."""

    model_config = ConfigDict(extra="forbid")

    module: Literal["Tasks"] = "Tasks"
    key_field: str = Field(default="Hub_Action_Key", pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """A single-line custom field of Tasks marked "Do not allow duplicate values": it
    carries each action's key, so an action is found (never written twice) after a
    crash or a timeout."""
    status: str = "Not Started"
    priorities: dict[str, str] = Field(
        default_factory=lambda: {"high": "High", "normal": "Normal", "low": "Low"}
    )
    """hub priority -> the Tasks Priority picklist value."""
    triggers: list[Literal["workflow", "approval", "blueprint", "pathfinder", "orchestration"]] = (
        Field(default_factory=lambda: ["workflow"])
    )
    """Automations to run when an action asks for triggers (`triggers = true` in
    [actions.NAME]); otherwise none run (`"trigger": []`)."""


class FieldMaps(BaseModel):
    """Zoho field API name -> canonical field, per entity; "-" leaves a field out
    entirely (not even in `extra`). Fields not mapped are kept in `extra`."""

    model_config = ConfigDict(extra="forbid")

    managers: dict[str, str] = Field(default_factory=dict)
    customers: dict[str, str] = Field(default_factory=dict)
    contacts: dict[str, str] = Field(default_factory=dict)
    activities: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _targets_exist(self) -> FieldMaps:
        for entity in ("managers", "customers", "contacts", "activities"):
            allowed = _mappable(entity)
            for source, target in getattr(self, entity).items():
                if target != "-" and target not in allowed:
                    raise ValueError(
                        f"{entity}.{source}: {target!r} is not a field of {entity} "
                        f"(one of {', '.join(sorted(allowed))}, or '-')"
                    )
        return self


class GoalSettings(BaseModel):
    """Where goals live: Zoho has no public targets API, so they are records of a
    custom module (see the README for the suggested layout). Each setting names
    the module's field (API name) that holds the canonical value."""

    model_config = ConfigDict(extra="forbid")

    module: str = Field(default="Sales_Targets", min_length=1)
    manager: str | None = "Salesperson"
    """A user lookup (or "Owner"): whose goal it is."""
    team: str | None = None
    """A text field naming a team, for goals that belong to a team."""
    metric: str = "Metric"
    metrics: dict[str, str] = Field(default_factory=dict)
    """Picklist value -> metric code ("Sales Amount" = "sales_amount"). Values
    not listed are turned into snake_case."""
    period: str | None = "Period"
    """A text field such as 2026-Q3, 2026-07, 2026-H1 or 2026."""
    period_start: str | None = None
    period_end: str | None = None
    """Two date fields, used instead of `period` when both are set."""
    target: str = "Target"
    currency: str | None = None
    """A field with the ISO currency of money targets (multi-currency orgs: "Currency")."""
    unit: str | None = None
    weight: str | None = None

    @model_validator(mode="after")
    def _period_given(self) -> GoalSettings:
        dates = (self.period_start, self.period_end)
        if any(dates) and not all(dates):
            raise ValueError("period_start and period_end go together")
        if self.period is None and not all(dates):
            raise ValueError("set period, or period_start and period_end")
        if self.manager is None and self.team is None:
            raise ValueError("set manager (a user lookup) or team")
        return self

    def source_fields(self) -> list[str]:
        names = [
            self.manager,
            self.team,
            self.metric,
            self.target,
            self.currency,
            self.unit,
            self.weight,
        ]
        if self.period_start and self.period_end:
            names += [self.period_start, self.period_end]
        else:
            names.append(self.period)
        return [n for n in names if n]


class ZohoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # -- where and who -----------------------------------------------------------------
    dc: DataCentre = "us"
    """Data centre of the Zoho account: us, eu, in, au, cn, jp, ca, sa (also uk, ae)."""
    accounts_url: str | None = None
    """Token server, instead of the data centre's (private setups, the fake)."""
    api_domain: str | None = None
    """API host, instead of the `api_domain` the token answer names."""
    environment: Literal["production", "sandbox", "developer"] = "production"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr

    # -- what to read --------------------------------------------------------------------
    customers: Literal["Accounts", "Contacts"] = "Accounts"
    """Accounts for B2B (companies), Contacts for B2C (people)."""
    contacts: bool = True
    """With customers = "Accounts": read the Contacts module as the accounts' contacts
    (the people at each company), incrementally with its deletions. Ignored with
    customers = "Contacts": there the contacts are the customers."""
    activities: list[ActivityModule] = Field(
        default_factory=lambda: ["Calls", "Tasks", "Events", "Notes", "Deals"]
    )
    """Modules read as activities. Listing Notes needs an administrator's token."""
    won_stages: list[str] = Field(default_factory=lambda: ["Closed Won"], min_length=1)
    """Deal stages that make a deal an order."""
    deal_closed_at: str = "Closing_Date"
    """The Deals field that says when a deal was won: a date (read as that day in
    the company's time zone) or a date-time field."""
    currency: Currency | None = None
    """The org's currency, needed when the org is single-currency (no Currency field)."""
    fields: FieldMaps = Field(default_factory=FieldMaps)
    credit_code_labels: list[str] = Field(
        default_factory=lambda: [
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "Unified Social Credit Code",
            "Social Credit Code",
            "Credit Code",
            "USCC",
        ]
    )
    """Labels of the custom field that holds a customer's unified social credit code
    (found in the module's field metadata; `[]`: none). A field mapped to
    `credit_code` in `fields.customers` wins."""
    goals: GoalSettings | None = None
    all_fields: bool = True
    """Read every field of each module (custom ones included) into `extra`. When
    a module has more than 50 fields, the rest are fetched by id, 100 records a
    call. False: only the fields the mapping needs."""

    actions: ActionsSettings = Field(default_factory=lambda: ActionsSettings())
    """Write-back of follow-up tasks (`hub actions apply`)."""

    # -- how -------------------------------------------------------------------------------
    max_concurrency: int = Field(default=5, ge=1, le=10)
    """Requests in flight at once. Zoho allows 5 (Free) to 25 (Ultimate) per org and
    app, and 10 for sorted record listings, which is what this adapter sends."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    deletes_every_minutes: int = Field(default=0, ge=0)
    """Ask Zoho for deleted records at most this often (0: every sync). Each ask
    costs 2 API credits per module."""
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @field_validator("accounts_url", "api_domain")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return _url(value)

    @field_validator("activities")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a module is listed twice")
        return value

    @property
    def reads_contacts(self) -> bool:
        """Whether the Contacts module feeds the contacts stream (not the customers)."""
        return self.contacts and self.customers == "Accounts"

    @property
    def token_server(self) -> str:
        return self.accounts_url or ACCOUNTS_URLS[self.dc]
