"""Ownership checks: `customer_owner` (every customer has an active owner)
and `owner_load` (nobody holds far more customers than they can serve).

customer_owner: no owner, an owner deleted in the source, or an inactive
owner (left the company) is a violation — the customer should go to the
public pool (公海) or a new owner. An owner reference that is not in the
store cannot be evaluated.

owner_load: customers per active manager, counted in SQL, against a hard
`max_customers` (violation) and against `median_factor` × the median of the
manager's team (warning). A manager without a team, or in a team smaller
than `min_team_size`, cannot be compared with a median.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from pydantic import Field, model_validator
from sqlalchemy import case, select

from hub.rules.builtin.common import ComplianceParams, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage


class CustomerOwnerParams(ComplianceParams):
    pass


def customer_owner(ctx: RuleContext, params: CustomerOwnerParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    m = q.table("managers")
    state = case(
        (c.c.owner_source_id.is_(None), "none"),
        (c.c.owner_id.is_(None), "unresolved"),
        (m.c.id.is_(None), "unresolved"),
        (m.c.deleted_at.is_not(None), "deleted"),
        (m.c.active.is_(False), "inactive"),
        else_="ok",
    )
    statement = (
        select(c.c.id, c.c.source, c.c.source_id, c.c.owner_source_id, state.label("state"))
        .select_from(c.outerjoin(m, m.c.id == c.c.owner_id))
        .where(q.live(c))
    )
    pool = "move the customer to the public pool (公海) or assign an active owner"
    for row in q.rows(statement):
        evidence = {"owner": row.owner_source_id, "owner_state": row.state}
        finding = Finding("customer", row.id, Status.violation, "", ref(row), evidence=evidence)
        if row.state == "none":
            finding.message, finding.suggested_action = "no owner", pool
        elif row.state == "deleted":
            finding.message = f"owner {row.owner_source_id} was deleted in the source"
            finding.suggested_action = pool
        elif row.state == "inactive":
            finding.message = f"owner {row.owner_source_id} is inactive"
            finding.suggested_action = pool
        elif row.state == "unresolved":
            finding.status = Status.not_evaluated
            finding.message = f"owner {row.owner_source_id} is not in the store"
            finding.suggested_action = "sync the managers (hub sync), or fix the owner id"
        else:
            finding.status, finding.message = Status.passed, f"owned by {row.owner_source_id}"
        yield finding


CUSTOMER_OWNER_SPEC = RuleSpec(
    id="customer_owner",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=CustomerOwnerParams,
    reads=("customers", "managers"),
    evaluate=customer_owner,
    summary="customers with no owner, or an owner who is inactive or deleted",
)


class OwnerLoadParams(ComplianceParams):
    max_customers: int | None = Field(default=None, ge=1, description="hard cap (default: none)")
    median_factor: Decimal | None = Field(
        default=None, gt=1, description="warn above this multiple of the team median (e.g. 2)"
    )
    min_team_size: int = Field(default=3, ge=2)
    tiers: list[str] | None = Field(default=None, description="count only these tiers")

    @model_validator(mode="after")
    def _something(self) -> OwnerLoadParams:
        if self.max_customers is None and self.median_factor is None:
            raise ValueError("set max_customers, median_factor or both")
        return self


def owner_load(ctx: RuleContext, params: OwnerLoadParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    m = q.table("managers")
    where = [q.live(c), c.c.owner_id.is_not(None)]
    if params.tiers:
        where.append(c.c.tier.in_(params.tiers))
    counts = q.count_by(c, c.c.owner_id, where)
    staff = list(
        q.rows(
            select(m.c.id, m.c.source, m.c.source_id, m.c.team).where(
                q.live(m), m.c.active.is_(True)
            )
        )
    )
    teams: dict[str, list[int]] = defaultdict(list)
    for row in staff:
        if row.team:
            teams[row.team].append(counts.get(row.id, 0))
    for row in sorted(staff, key=lambda r: (r.source, r.source_id)):
        held = counts.get(row.id, 0)
        evidence: dict[str, object] = {"customers": held, "team": row.team}
        finding = Finding("manager", row.id, Status.passed, f"holds {held} customers", ref(row))
        if params.max_customers is not None:
            evidence["max_customers"] = params.max_customers
            if held > params.max_customers:
                finding.status = Status.violation
                finding.message = f"holds {held} customers, more than {params.max_customers}"
                finding.suggested_action = (
                    "reassign customers or move inactive ones to the public pool"
                )
        if params.median_factor is not None and finding.status is Status.passed:
            members = teams.get(row.team or "", [])
            if len(members) < params.min_team_size:
                if params.max_customers is None:
                    finding.status = Status.not_evaluated
                    finding.message = (
                        "no team to compare with"
                        if not row.team
                        else f"team {row.team} has {len(members)} active managers, "
                        f"fewer than {params.min_team_size}"
                    )
                else:
                    evidence["median_check"] = "not enough team members"
            else:
                median = Decimal(str(statistics.median(members)))
                evidence["team_median"] = str(median)
                if held > median * params.median_factor:
                    finding.status = Status.warning
                    finding.message = (
                        f"holds {held} customers, over {params.median_factor}× the team "
                        f"median of {median}"
                    )
                    finding.suggested_action = "rebalance customers within the team"
        finding.evidence = evidence
        yield finding


OWNER_LOAD_SPEC = RuleSpec(
    id="owner_load",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=OwnerLoadParams,
    reads=("customers", "managers"),
    evaluate=owner_load,
    summary="customers per manager above a cap or far above the team median",
)
