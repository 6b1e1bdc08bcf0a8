"""What a rule returns: measurements, findings, earnings and awards.

Rules yield these plain objects; the engine stamps them with the rule, its
version and the run, masks personal data in them, and stores them. Nothing a
rule returns is ever changed afterwards.

A missing input is never a silent pass: a result that could not be computed
says so with `status = not_evaluated` and a `cause`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of a compliance check on one subject."""

    passed = "pass"
    violation = "violation"
    warning = "warning"
    not_evaluated = "not_evaluated"


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


OK = "ok"
NOT_EVALUATED = "not_evaluated"
"""Status of a measurement or earning: computed, or not (see `cause`)."""


class Trace(list[dict[str, str]]):
    """The intermediate values behind a number, in the order they were computed.

    Each step is `{"step": what, "value": the value, "note": how}`; values are
    written as text so Decimals keep every digit.
    """

    def add(self, step: str, value: Any, note: str = "") -> Any:
        entry = {"step": step, "value": _text(value)}
        if note:
            entry["note"] = note
        self.append(entry)
        return value

    def extend_from(self, other: list[dict[str, str]], prefix: str = "") -> None:
        for entry in other:
            self.append({**entry, "step": f"{prefix}{entry['step']}"})


def num(value: Decimal | int, grouping: bool = False) -> str:
    """A Decimal exactly, without trailing zeros: 111226.4000 -> 111226.4."""
    value = Decimal(value)
    whole = value == value.to_integral_value()
    value = value.quantize(Decimal(1)) if whole else value.normalize()
    return format(value, ",f" if grouping else "f")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return num(value)
    return str(value)


@dataclass(slots=True)
class Measurement:
    """Attainment of one goal (or any measured value) for a manager or team."""

    metric: str
    period: str
    """Label of the period measured, e.g. 2026-Q3."""
    manager_id: str | None = None
    team: str | None = None
    actual: Decimal | None = None
    target: Decimal | None = None
    attainment: Decimal | None = None
    weight: Decimal | None = None
    unit: str | None = None
    status: str = OK
    cause: str | None = None
    goal_id: str | None = None
    trace: Trace = field(default_factory=Trace)


@dataclass(slots=True)
class Finding:
    """One compliance result about one subject (customer, manager, activity)."""

    subject_type: str
    subject_id: str
    status: Status
    message: str
    subject_ref: str = ""
    """How people find the subject: `connection:source_id`."""
    severity: Severity | None = None
    """None: the rule's configured severity for violations, `info` otherwise."""
    evidence: dict[str, Any] = field(default_factory=dict)
    """The inputs the verdict rests on; personal data is masked before storing."""
    suggested_action: str | None = None


@dataclass(slots=True)
class Earning:
    """One incentive line for one manager: an amount in a currency, explained."""

    manager_id: str
    component: str
    plan_period: str
    currency: str
    amount: Decimal | None
    base: Decimal | None = None
    rate: Decimal | str | None = None
    tier: str | None = None
    attainment: Decimal | None = None
    status: str = OK
    cause: str | None = None
    ref: str | None = None
    """What the line is about when it is not the whole period, e.g. an order."""
    trace: Trace = field(default_factory=Trace)


@dataclass(slots=True)
class Award:
    """A non-monetary award (recognition), with an optional reporting value."""

    manager_id: str
    award: str
    title: str
    reason: str
    rank: int | None = None
    value: Decimal | None = None
    currency: str | None = None
    trace: Trace = field(default_factory=Trace)


Result = Measurement | Finding | Earning | Award
