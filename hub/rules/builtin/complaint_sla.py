"""`complaint_sla`: complaints answered within T1 hours and resolved within T2.

Each complaint received in the period is checked on both clocks (wall-clock
hours; business calendars are not modelled). A clock still running at the
evaluation time is a violation once past its limit and a warning past
`warn_ratio` of it. A complaint resolved without a recorded first response,
or with times before the complaint itself, cannot be evaluated on that clock.
The verdict is the worst of the two: violation, not evaluated, warning, pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select

from hub.rules.builtin.common import ComplianceParams, local, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage

_ORDER = [Status.violation, Status.not_evaluated, Status.warning, Status.passed]


class ComplaintSlaParams(ComplianceParams):
    first_response_hours: Decimal = Field(default=Decimal(24), gt=0)
    resolution_hours: Decimal = Field(default=Decimal(72), gt=0)
    warn_ratio: Decimal = Field(default=Decimal("0.75"), gt=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> ComplaintSlaParams:
        if self.resolution_hours < self.first_response_hours:
            raise ValueError("resolution_hours is shorter than first_response_hours")
        return self


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.1"))


def _clock(
    name: str,
    opened: dt.datetime,
    done: dt.datetime | None,
    limit: Decimal,
    warn: Decimal,
    at: dt.datetime,
    evidence: dict[str, Any],
) -> tuple[Status, str]:
    if done is not None and done < opened:
        return Status.not_evaluated, f"{name} is recorded before the complaint itself"
    end = done if done is not None and done <= at else at
    hours = _hours(end - opened)
    evidence[f"{name.replace(' ', '_')}_hours"] = str(hours)
    finished = done is not None and done <= at
    if hours > limit:
        state = f"took {hours} h" if finished else f"still open after {hours} h"
        return Status.violation, f"{name} {state} (limit {limit} h)"
    if finished:
        return Status.passed, f"{name} in {hours} h"
    if hours > limit * warn:
        return Status.warning, f"{name} open for {hours} h (limit {limit} h)"
    return Status.passed, f"{name} open for {hours} h, within {limit} h"


def evaluate(ctx: RuleContext, params: ComplaintSlaParams) -> Iterator[Finding]:
    q = ctx.query
    a = q.table("activities")
    start, end = ctx.window(ctx.period)
    statement = (
        select(
            a.c.id,
            a.c.source,
            a.c.source_id,
            a.c.manager_source_id,
            a.c.customer_source_id,
            a.c.occurred_at,
            a.c.first_response_at,
            a.c.resolved_at,
        )
        .where(a.c.kind == "complaint", q.live(a), q.in_window(a.c.occurred_at, start, end))
        .order_by(a.c.occurred_at)
    )
    for row in q.rows(statement):
        evidence: dict[str, Any] = {
            "received": local(row.occurred_at, ctx),
            "first_response": local(row.first_response_at, ctx),
            "resolved": local(row.resolved_at, ctx),
            "manager": row.manager_source_id,
            "customer": row.customer_source_id,
        }
        if row.first_response_at is None and row.resolved_at is not None:
            response = (Status.not_evaluated, "resolved without a recorded first response")
        else:
            response = _clock(
                "first response",
                row.occurred_at,
                row.first_response_at,
                params.first_response_hours,
                params.warn_ratio,
                ctx.at,
                evidence,
            )
        resolution = _clock(
            "resolution",
            row.occurred_at,
            row.resolved_at,
            params.resolution_hours,
            params.warn_ratio,
            ctx.at,
            evidence,
        )
        status = min(response[0], resolution[0], key=_ORDER.index)
        finding = Finding(
            "activity",
            row.id,
            status,
            f"{response[1]}; {resolution[1]}",
            ref(row),
            evidence=evidence,
        )
        if status in (Status.violation, Status.warning):
            finding.suggested_action = (
                f"manager {row.manager_source_id or '(none)'}: answer and resolve the complaint, "
                "and log the times"
            )
        elif status is Status.not_evaluated:
            finding.suggested_action = "record the first response time in the CRM"
        yield finding


SPEC = RuleSpec(
    id="complaint_sla",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=ComplaintSlaParams,
    reads=("activities",),
    evaluate=evaluate,
    summary="complaints: first response within T1 hours, resolution within T2",
)
