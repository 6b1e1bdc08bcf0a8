"""The canonical model: managers, customers, contacts, activities and goals.

These pydantic models are the single source of truth. The SQL tables
(`hub.store.tables`) and `schemas/*.json` are derived from them, and every
adapter produces them. Invariants the rest of the hub relies on:

- datetimes are timezone-aware and normalised to UTC;
- money is a `Decimal` with an ISO 4217 currency, never a float;
- references to other records arrive as *source ids* (`owner_source_id`) and
  are resolved by the store into hub ids (`owner_id`);
- fields the model does not know are kept in `extra`, never dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)


def _to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are refused:
an adapter must say which time zone a source value is in."""

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CNY")]

Exact = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
"""An exact number with at most 4 decimals (what the store keeps exactly)."""

Metric = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

KNOWN_METRICS = (
    "sales_amount",
    "order_count",
    "order_completion_rate",
    "new_customers",
    "retention_rate",
    "satisfaction",
    "contact_count",
    "payment_amount",
    "visit_count",
)
"""Goal metrics the built-in measures compute. Other snake_case metrics are
accepted so rule plugins can measure their own."""


class CustomerKind(StrEnum):
    company = "company"
    person = "person"


class ActivityKind(StrEnum):
    call = "call"
    visit = "visit"
    meeting = "meeting"
    email = "email"
    message = "message"
    task = "task"
    note = "note"
    order = "order"
    payment = "payment"
    complaint = "complaint"
    feedback = "feedback"
    other = "other"


class Record(BaseModel):
    """Fields every canonical record carries."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)

    entity: ClassVar[str]
    """Name of the entity, its stream and its table (plural, e.g. "customers")."""

    references: ClassVar[dict[str, str]] = {}
    """Reference name -> target entity. Reference `owner` means the fields
    `owner_source_id` (set by adapters) and `owner_id` (resolved by the store)."""

    id: str | None = Field(
        default=None, description="hub id; assigned by the store, stable across syncs"
    )
    source: str = Field(min_length=1, description="connection the record came from")
    source_id: str = Field(min_length=1, max_length=255, description="id in the source system")
    created_at: UtcDatetime | None = Field(default=None, description="created in the source")
    updated_at: UtcDatetime | None = Field(default=None, description="last changed in the source")
    deleted_at: UtcDatetime | None = Field(
        default=None, description="tombstone: deleted or invalidated in the source"
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="custom and unmapped source fields, kept as they came"
    )


class Manager(Record):
    """A customer manager (客户经理): the person who owns customers."""

    entity: ClassVar[str] = "managers"
    references: ClassVar[dict[str, str]] = {"supervisor": "managers"}

    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    employee_number: str | None = None
    department: str | None = None
    team: str | None = None
    title: str | None = None
    supervisor_source_id: str | None = None
    supervisor_id: str | None = None
    active: bool = True
    hired_at: dt.date | None = None
    region: str | None = None


class Customer(Record):
    """A customer (客户): a company or a person, owned by a manager."""

    entity: ClassVar[str] = "customers"
    references: ClassVar[dict[str, str]] = {"owner": "managers"}

    name: str = Field(min_length=1)
    kind: CustomerKind = CustomerKind.company
    owner_source_id: str | None = None
    owner_id: str | None = None
    phone: str | None = None
    email: str | None = None
    credit_code: str | None = Field(default=None, description="unified social credit code")
    industry: str | None = None
    region: str | None = None
    country: str | None = None
    tier: str | None = Field(default=None, description="value tier, e.g. A/B/C or VIP")
    segment: str | None = None
    lifecycle_stage: str | None = None
    marketing_consent: bool | None = None
    tags: list[str] = Field(default_factory=list)


class Contact(Record):
    """A person at a customer (联系人): a buyer, someone in finance, the boss.

    Kept as its own entity so a contact's changes and deletes are synced, its
    e-mail and mobile can help identity resolution, and contact rules can
    count them. Name, mobile, phone and e-mail are personal data: masked
    wherever they leave the hub."""

    entity: ClassVar[str] = "contacts"
    references: ClassVar[dict[str, str]] = {"customer": "customers", "owner": "managers"}

    name: str = Field(min_length=1)
    customer_source_id: str | None = Field(default=None, description="the company they work for")
    customer_id: str | None = None
    owner_source_id: str | None = None
    owner_id: str | None = None
    title: str | None = Field(default=None, description="job title, e.g. 采购经理")
    department: str | None = None
    mobile: str | None = None
    phone: str | None = Field(default=None, description="landline / office phone")
    email: str | None = None
    is_primary: bool | None = Field(
        default=None, description="the customer's primary (main) contact"
    )
    marketing_consent: bool | None = None


UNDATED = "occurred_at is required (only an order may be without a date)"


class Activity(Record):
    """Anything a manager does with or for a customer (跟进记录)."""

    entity: ClassVar[str] = "activities"
    references: ClassVar[dict[str, str]] = {"customer": "customers", "manager": "managers"}

    kind: ActivityKind
    customer_source_id: str | None = None
    customer_id: str | None = None
    manager_source_id: str | None = None
    manager_id: str | None = None
    occurred_at: UtcDatetime | None = Field(
        description="when it happened; only an order may lack it (a won deal without its "
        "closing date): the date is never invented, the order is left out of every period",
    )
    logged_at: UtcDatetime | None = Field(default=None, description="when it was recorded")
    due_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    status: str | None = None
    subject: str | None = None
    content: str | None = None
    amount: Exact | None = Field(default=None, description="orders and payments")
    currency: Currency | None = None
    score: Exact | None = Field(default=None, description="feedback score")
    first_response_at: UtcDatetime | None = Field(default=None, description="complaints")
    resolved_at: UtcDatetime | None = Field(default=None, description="complaints")
    duration_seconds: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _amount_has_currency(self) -> Activity:
        if self.amount is not None and self.currency is None:
            raise ValueError("amount needs a currency")
        if self.occurred_at is None and self.kind != ActivityKind.order:
            raise ValueError(UNDATED)
        return self


class Goal(Record):
    """A target for one metric, one manager (or team), one period (目标)."""

    entity: ClassVar[str] = "goals"
    references: ClassVar[dict[str, str]] = {"manager": "managers"}

    manager_source_id: str | None = None
    manager_id: str | None = None
    team: str | None = None
    metric: Metric
    period_start: dt.date
    period_end: dt.date = Field(description="last day of the period, inclusive")
    period_label: str = Field(min_length=1, description="e.g. 2026-Q3, 2026-07, 2026")
    target: Exact
    unit: str | None = Field(default=None, description="unit, or the currency for money metrics")
    currency: Currency | None = None
    weight: Exact | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Goal:
        if self.manager_source_id is None and self.team is None:
            raise ValueError("a goal needs a manager or a team")
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


ENTITIES: dict[str, type[Record]] = {
    model.entity: model for model in (Manager, Customer, Contact, Activity, Goal)
}
"""Entity name -> model, in the order streams are synced by default (targets
of references first, so most references resolve in the same run)."""


def base_type(annotation: object) -> object:
    """Strip Optional[...] and Annotated[...] down to the Python type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def reference_fields(model: type[Record]) -> list[tuple[str, str, str]]:
    """(source id field, hub id field, target entity) for each reference."""
    return [(f"{ref}_source_id", f"{ref}_id", target) for ref, target in model.references.items()]


def json_schemas() -> dict[str, str]:
    """JSON Schema text of each entity, as committed in schemas/ (`hub schemas`)."""
    out = {}
    for name, model in ENTITIES.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        schema |= model.model_json_schema()
        out[name] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out
