"""`required_fields`: the fields each kind of record must have filled in.

Fields are canonical field names; a reference is named without its suffix
(`owner`, `manager`, `customer`, `supervisor`); `extra.KEY` checks a custom
field. Emptiness is computed in SQL (NULL or blank), so the rule reads one
row of flags per record. A reference whose source id is set but whose record
is not in the store cannot be evaluated (it may arrive with the next sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import JSON, ColumnElement, case, func, or_, select

from hub.model import ENTITIES
from hub.rules.builtin.common import ComplianceParams, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage

SUBJECT = {
    "customers": "customer",
    "managers": "manager",
    "activities": "activity",
    "goals": "goal",
}


class RequiredFieldsParams(ComplianceParams):
    customers: list[str] = Field(
        default_factory=lambda: ["owner", "phone", "tier", "industry", "region"]
    )
    managers: list[str] = Field(default_factory=lambda: ["email", "phone", "team"])
    activities: list[str] = Field(default_factory=list)
    orders: list[str] = Field(default_factory=lambda: ["occurred_at", "amount"])
    """Fields every order must have: a won deal without its closing date or amount is
    kept as it is (never invented) and left out of attainment, so someone must fix it
    in the CRM."""
    goals: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> RequiredFieldsParams:
        for entity, key in [*((e, e) for e in SUBJECT), ("activities", "orders")]:
            model = ENTITIES[entity]
            for name in getattr(self, key):
                if name.startswith("extra.") and len(name) > len("extra."):
                    continue
                if name in model.references or name in model.model_fields:
                    continue
                raise ValueError(f"{entity}: {model.__name__} has no field {name!r}")
        return self


def _empty(column: ColumnElement[Any]) -> ColumnElement[bool]:
    if getattr(column.type, "python_type", None) is str:
        return or_(column.is_(None), func.trim(column) == "")
    return column.is_(None)


def evaluate(ctx: RuleContext, params: RequiredFieldsParams) -> Iterator[Finding]:
    for entity, subject in SUBJECT.items():
        fields = getattr(params, entity)
        if fields:
            yield from _check(ctx, entity, subject, fields)
    orders = [f for f in params.orders if f not in params.activities]
    if orders:
        yield from _check(ctx, "activities", "activity", orders, kind="order")


def _check(
    ctx: RuleContext, entity: str, subject: str, fields: list[str], kind: str | None = None
) -> Iterator[Finding]:
    """`kind`: only activities of that kind (orders)."""
    q = ctx.query
    t = q.table(entity)
    model = ENTITIES[entity]
    flags: list[ColumnElement[Any]] = []
    plain = [f for f in fields if not f.startswith("extra.")]
    custom = [f.removeprefix("extra.") for f in fields if f.startswith("extra.")]
    lists = [f for f in plain if f in t.c and isinstance(t.c[f].type, JSON)]
    plain = [f for f in plain if f not in lists]
    for name in lists:
        flags.append(t.c[name])
    for name in plain:
        if name in model.references:
            source_id, hub_id = t.c[f"{name}_source_id"], t.c[f"{name}_id"]
            flags.append(
                case(
                    (_empty(source_id), "missing"),
                    (hub_id.is_(None), "unresolved"),
                    else_="ok",
                ).label(name)
            )
            flags.append(source_id.label(f"{name}__source"))
        else:
            flags.append(case((_empty(t.c[name]), "missing"), else_="ok").label(name))
    columns = [t.c.id, t.c.source, t.c.source_id, *flags]
    if custom:
        columns.append(t.c.extra)
    only = [t.c.kind == kind] if kind else []
    for row in q.rows(select(*columns).where(q.live(t), *only)):
        missing = [n for n in plain if getattr(row, n) == "missing"]
        missing += [n for n in lists if not getattr(row, n)]
        unresolved = {
            n: getattr(row, f"{n}__source") for n in plain if getattr(row, n) == "unresolved"
        }
        extra = row.extra if custom else {}
        missing += [f"extra.{k}" for k in custom if extra.get(k) in (None, "", [])]
        evidence: dict[str, Any] = {"required": fields, "missing": missing}
        finding = Finding(
            subject, row.id, Status.passed, "all required fields are filled", ref(row)
        )
        if missing:
            finding.status = Status.violation
            finding.message = f"missing {', '.join(missing)}"
            finding.suggested_action = f"fill in {', '.join(missing)} in the source CRM"
        elif unresolved:
            finding.status = Status.not_evaluated
            names = ", ".join(f"{n} {v!r}" for n, v in unresolved.items())
            finding.message = f"{names}: not in the store yet, so cannot be checked"
            finding.suggested_action = "sync the referenced records (hub sync)"
            evidence["unresolved"] = unresolved
        finding.evidence = evidence
        yield finding


SPEC = RuleSpec(
    id="required_fields",
    version="1",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=RequiredFieldsParams,
    reads=("customers", "managers", "activities", "goals"),
    evaluate=evaluate,
    summary="required fields per entity are filled in",
)
