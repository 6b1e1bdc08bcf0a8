"""`contact_sla`: every customer is contacted within N days, N by value tier.

The last contact per customer is one aggregate over the activities; each
customer's verdict compares it with its tier's SLA at the evaluation time:
past the SLA is a violation, past `warn_ratio` of it a warning. A customer
never contacted is measured from its creation in the source. A customer
whose tier has no SLA (and no `default_days`) cannot be evaluated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from pydantic import Field
from sqlalchemy import or_, select

from hub.model import ActivityKind
from hub.rules.builtin.common import ComplianceParams, day, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage


class ContactSlaParams(ComplianceParams):
    days_by_tier: dict[str, int] = Field(
        default_factory=lambda: {"A": 14, "B": 30, "C": 90},
        description="tier -> most days between contacts",
    )
    default_days: int | None = Field(
        default=None, ge=1, description="for customers whose tier is not listed (or empty)"
    )
    kinds: list[ActivityKind] | None = Field(
        default=None, description="what counts as a contact (default: [rules] contact_kinds)"
    )
    warn_ratio: Decimal = Field(default=Decimal("0.75"), gt=0, le=1)


def evaluate(ctx: RuleContext, params: ContactSlaParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    kinds = [str(k) for k in params.kinds] if params.kinds else q.contact_kinds()
    last = q.last_activity(kinds, ctx.at)
    statement = (
        select(
            c.c.id,
            c.c.source,
            c.c.source_id,
            c.c.tier,
            c.c.owner_source_id,
            c.c.created_at,
            last.c.last_at,
        )
        .select_from(c.outerjoin(last, last.c.customer_id == c.c.id))
        .where(q.live(c), or_(c.c.created_at.is_(None), c.c.created_at < ctx.at))
    )
    for row in q.rows(statement):
        tier = (row.tier or "").strip()
        days = params.days_by_tier.get(tier, params.default_days)
        evidence = {
            "tier": tier or None,
            "owner": row.owner_source_id,
            "last_touch": day(row.last_at, ctx),
        }
        finding = Finding("customer", row.id, Status.passed, "", ref(row), evidence=evidence)
        if days is None:
            finding.status = Status.not_evaluated
            finding.message = (
                f"no contact SLA for tier {tier!r}" if tier else "the customer has no value tier"
            )
            finding.suggested_action = "set the customer's tier, or a default_days SLA"
            yield finding
            continue
        evidence["sla_days"] = days
        since = row.last_at or row.created_at
        if since is None:
            finding.status = Status.violation
            finding.message = f"never contacted (tier {tier or '-'}, SLA {days} days)"
            finding.suggested_action = _action(row)
            yield finding
            continue
        elapsed = ctx.at - since
        evidence["days_since"] = elapsed.days
        what = "last contact" if row.last_at else "never contacted; created"
        limit = dt.timedelta(days=days)
        if elapsed > limit:
            finding.status = Status.violation
            finding.message = (
                f"{what} {elapsed.days} days ago, SLA {days} days (tier {tier or '-'})"
            )
            finding.suggested_action = _action(row)
        elif elapsed > limit * float(params.warn_ratio):
            finding.status = Status.warning
            finding.message = f"{what} {elapsed.days} days ago, SLA {days} days: due soon"
            finding.suggested_action = _action(row)
        else:
            finding.message = f"{what} {elapsed.days} days ago, within {days} days"
        yield finding


def _action(row: object) -> str:
    owner = getattr(row, "owner_source_id", None)
    who = f"owner {owner}" if owner else "assign an owner, who should"
    return f"{who}: contact the customer (call, visit or meeting) and log it"


SPEC = RuleSpec(
    id="contact_sla",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=ContactSlaParams,
    reads=("customers", "activities"),
    evaluate=evaluate,
    summary="customers contacted within N days by value tier",
)
