"""Key accounts (tier A by default) get at least `min_visits` visits or meetings
in every period; the ones that do not are reported to their owner.

The rule reads the store through the query API: the visits are counted per
customer by one aggregate query, and the rule only turns each customer's
count into a verdict. A customer without a tier cannot be evaluated — we do
not know whether it is a key account — and says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field
from sqlalchemy import func, select

from hub.model import ActivityKind
from hub.rules import Finding, Kind, RuleContext, RuleParams, RuleSpec, Severity, Stage, Status


class KeyAccountVisits(RuleParams):
    """Parameters, as written under `[rules.NAME]` in hub.toml."""

    tiers: list[str] = Field(default_factory=lambda: ["A"], min_length=1)
    min_visits: int = Field(default=1, ge=1, description="visits per period and key account")
    kinds: list[ActivityKind] = Field(
        default_factory=lambda: [ActivityKind.visit, ActivityKind.meeting]
    )
    severity: Severity = Severity.medium


def evaluate(ctx: RuleContext, params: KeyAccountVisits) -> Iterator[Finding]:
    q = ctx.query
    customers = q.table("customers")
    activities = q.table("activities")
    start, end = ctx.window(ctx.period)  # the period in the company time zone, up to --as-of

    visits = (
        select(activities.c.customer_id, func.count().label("visits"))
        .where(
            activities.c.kind.in_([str(k) for k in params.kinds]),
            q.live(activities),
            q.in_window(activities.c.occurred_at, start, end),
        )
        .group_by(activities.c.customer_id)
        .subquery()
    )
    statement = (
        select(
            customers.c.id,
            customers.c.source,
            customers.c.source_id,
            customers.c.tier,
            customers.c.owner_source_id,
            func.coalesce(visits.c.visits, 0).label("visits"),
        )
        .select_from(customers.outerjoin(visits, visits.c.customer_id == customers.c.id))
        .where(q.live(customers))
    )
    for row in q.rows(statement):
        ref = f"{row.source}:{row.source_id}"
        evidence = {"tier": row.tier, "visits": row.visits, "owner": row.owner_source_id}
        if not row.tier:
            yield Finding(
                "customer",
                row.id,
                Status.not_evaluated,
                "no tier: cannot tell whether this is a key account",
                ref,
                evidence=evidence,
                suggested_action="set the customer's tier in the CRM",
            )
        elif row.tier not in params.tiers:
            continue  # not a key account: not a subject of this policy
        elif row.visits < params.min_visits:
            yield Finding(
                "customer",
                row.id,
                Status.violation,
                f"{row.visits} visits in {ctx.period}, at least {params.min_visits} expected",
                ref,
                evidence=evidence | {"min_visits": params.min_visits},
                suggested_action=f"owner {row.owner_source_id or '(none)'}: plan a visit",
            )
        else:
            yield Finding(
                "customer", row.id, Status.passed, f"{row.visits} visits", ref, evidence=evidence
            )


SPEC = RuleSpec(
    id="example.key_account_visits",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=KeyAccountVisits,
    reads=("customers", "activities"),
    evaluate=evaluate,
    summary="key accounts are visited at least N times a period",
)
