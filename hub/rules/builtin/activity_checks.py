"""Checks on how managers log their work, one finding per manager and period.

`logging_lag`: activities logged long after they happened (backdating).
Lags are computed by the database (hours between `occurred_at` and
`logged_at`); the finding counts the late ones and names the worst few.
A manager none of whose activities has a logged time cannot be evaluated.

`pii_notes`: phone numbers written unmasked into the free text (subject,
content) of activities. The database narrows the candidates to texts with a
run of digits; the phone pattern is then matched on those only. The finding
lists the activities with the text masked. A manager without any free text
in the period has nothing to check and is not evaluated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import ColumnElement, case, func, or_, select

from hub.masking import has_unmasked_phone, mask_text
from hub.model import ActivityKind
from hub.rules.builtin.common import ComplianceParams, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Severity, Status
from hub.rules.spec import Kind, RuleSpec, Stage

EXAMPLES = 5


class LoggingLagParams(ComplianceParams):
    max_lag_hours: Decimal = Field(default=Decimal(72), gt=0)
    warn_lag_hours: Decimal | None = Field(default=Decimal(24), gt=0)
    kinds: list[ActivityKind] | None = Field(default=None, description="default: every kind")

    @model_validator(mode="after")
    def _order(self) -> LoggingLagParams:
        if self.warn_lag_hours is not None and self.warn_lag_hours > self.max_lag_hours:
            raise ValueError("warn_lag_hours is above max_lag_hours")
        return self


def _managers(ctx: RuleContext) -> dict[str, Any]:
    m = ctx.query.table("managers")
    return {
        row.id: row
        for row in ctx.query.rows(
            select(m.c.id, m.c.source, m.c.source_id).where(ctx.query.live(m))
        )
    }


def logging_lag(ctx: RuleContext, params: LoggingLagParams) -> Iterator[Finding]:
    q = ctx.query
    a = q.table("activities")
    start, end = ctx.window(ctx.period)
    lag = q.hours_between(a.c.logged_at, a.c.occurred_at)
    where = [a.c.manager_id.is_not(None), q.live(a), q.in_window(a.c.occurred_at, start, end)]
    if params.kinds:
        where.append(a.c.kind.in_([str(k) for k in params.kinds]))
    late_limit = float(params.max_lag_hours)
    warn_limit = float(params.warn_lag_hours or params.max_lag_hours)
    statement = (
        select(
            a.c.manager_id,
            func.count(),
            func.count(a.c.logged_at),
            func.sum(case((lag > late_limit, 1), else_=0)),
            func.sum(case((lag > warn_limit, 1), else_=0)),
            func.max(lag),
        )
        .where(*where)
        .group_by(a.c.manager_id)
    )
    totals = {row[0]: row[1:] for row in q.rows(statement)}
    examples: dict[str, list[str]] = defaultdict(list)
    for row in q.rows(
        select(a.c.manager_id, a.c.source, a.c.source_id, lag.label("lag"))
        .where(*where, lag > warn_limit)
        .order_by(a.c.manager_id, lag.desc())
    ):
        if len(examples[row.manager_id]) < EXAMPLES:
            examples[row.manager_id].append(f"{ref(row)} ({row.lag:.0f} h)")
    staff = _managers(ctx)
    for manager_id in sorted(totals, key=lambda i: ref(staff[i]) if i in staff else i):
        if manager_id not in staff:
            continue
        count, with_time, late, slow, worst = totals[manager_id]
        evidence: dict[str, Any] = {
            "activities": count,
            "without_logged_time": count - with_time,
            "late": late,
            "max_lag_hours": str(params.max_lag_hours),
            "worst_lag_hours": None if worst is None else round(worst, 1),
        }
        finding = Finding("manager", manager_id, Status.passed, "", ref(staff[manager_id]))
        if not with_time:
            finding.status = Status.not_evaluated
            finding.message = f"none of {count} activities has a logged time"
        elif late:
            finding.status = Status.violation
            finding.message = (
                f"{late} of {with_time} activities logged more than {params.max_lag_hours} h "
                "after they happened"
            )
            finding.suggested_action = "log activities the same day; review the late ones"
            evidence["examples"] = examples[manager_id]
        elif params.warn_lag_hours is not None and slow:
            finding.status = Status.warning
            finding.message = (
                f"{slow} of {with_time} activities logged more than {params.warn_lag_hours} h late"
            )
            evidence["examples"] = examples[manager_id]
        else:
            finding.message = f"{with_time} activities logged on time"
        finding.evidence = evidence
        yield finding


LOGGING_LAG_SPEC = RuleSpec(
    id="logging_lag",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=LoggingLagParams,
    reads=("activities", "managers"),
    evaluate=logging_lag,
    summary="activities logged long after they happened (backdating)",
)


class PiiNotesParams(ComplianceParams):
    severity: Severity = Severity.high
    fields: list[Literal["subject", "content"]] = Field(
        default_factory=lambda: ["subject", "content"], min_length=1
    )


def _digits(q: Any, column: ColumnElement[Any]) -> ColumnElement[bool]:
    """Text with three digits in a row: the cheap filter before the phone pattern."""
    if q.dialect == "sqlite":
        return column.op("GLOB")("*[0-9][0-9][0-9]*")
    return column.op("~")("[0-9]{3}")


def pii_notes(ctx: RuleContext, params: PiiNotesParams) -> Iterator[Finding]:
    q = ctx.query
    a = q.table("activities")
    start, end = ctx.window(ctx.period)
    columns = [a.c[f] for f in params.fields]
    has_text = or_(*(func.length(func.trim(col)) > 0 for col in columns))
    where = [a.c.manager_id.is_not(None), q.live(a), q.in_window(a.c.occurred_at, start, end)]
    counts = dict(
        q.rows(
            select(a.c.manager_id, func.sum(case((has_text, 1), else_=0)))
            .where(*where)
            .group_by(a.c.manager_id)
        )
    )
    leaks: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in q.rows(
        select(a.c.manager_id, a.c.source, a.c.source_id, *columns)
        .where(*where, or_(*(_digits(q, col) for col in columns)))
        .order_by(a.c.occurred_at)
    ):
        for name in params.fields:
            text = getattr(row, name)
            if text and has_unmasked_phone(text):
                leaks[row.manager_id].append(
                    {"activity": ref(row), "field": name, "text": mask_text(text)}
                )
    staff = _managers(ctx)
    for manager_id in sorted(counts, key=lambda i: ref(staff[i]) if i in staff else i):
        if manager_id not in staff:
            continue
        texts = counts[manager_id] or 0
        found = leaks.get(manager_id, [])
        finding = Finding("manager", manager_id, Status.passed, "", ref(staff[manager_id]))
        finding.evidence = {"texts_checked": texts, "with_phone_numbers": len(found)}
        if found:
            finding.status = Status.violation
            finding.message = f"{len(found)} note(s) contain an unmasked phone number"
            finding.suggested_action = "mask or remove the phone numbers in these notes"
            finding.evidence["examples"] = found[:EXAMPLES]
        elif not texts:
            finding.status = Status.not_evaluated
            finding.message = "no free text in the period to check"
        else:
            finding.message = f"{texts} notes checked, no phone numbers"
        yield finding


PII_NOTES_SPEC = RuleSpec(
    id="pii_notes",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=PiiNotesParams,
    reads=("activities", "managers"),
    evaluate=pii_notes,
    summary="unmasked phone numbers in free-text notes",
)
