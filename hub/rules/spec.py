"""`RuleSpec`: what a plugin registers for each rule.

A rule is a function `evaluate(ctx, params)` that reads the store through
`ctx.query` and yields results. The spec says what the rule is (id, version,
kind, stage), which parameters it takes (a pydantic model, filled from the
rule's table in hub.toml) and what it reads::

    @hookimpl
    def hub_register_rules():
        yield RuleSpec(
            id="visits_per_key_account",
            version="1",
            kind=Kind.compliance,
            stage=Stage.compliance,
            params=VisitParams,
            reads=("customers", "activities"),
            evaluate=evaluate,
            summary="key accounts get at least N visits a quarter",
        )
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from hub.model import ENTITIES

if TYPE_CHECKING:
    from hub.rules.context import RuleContext
    from hub.rules.results import Result


class Kind(StrEnum):
    incentive = "incentive"
    compliance = "compliance"


class Stage(StrEnum):
    """Stages run in this order; each sees the results of the ones before."""

    measure = "measure"
    """Attainment per goal and period, scorecards."""
    reward = "reward"
    """Earnings and awards, from measures."""
    settle = "settle"
    """Caps across components, clawbacks: adjustments to earnings."""
    compliance = "compliance"
    """Findings; runs on the same data snapshot as the incentive stages."""


STAGE_ORDER = (Stage.measure, Stage.reward, Stage.settle, Stage.compliance)

RESULT_READS = ("measures", "earnings", "ledger")
"""Besides entities, what a rule may read: results of earlier stages in the
same run, and the ledger of closed periods (frozen earnings, paid to date)."""

_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,127}$")


class NoParams(BaseModel):
    """For rules without parameters: refuses any key."""

    model_config = ConfigDict(extra="forbid")


class RuleParams(BaseModel):
    """Base for parameter models: unknown keys are configuration errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RuleSpec:
    id: str
    """Stable, lowercase id, e.g. `commission` or `acme.visit_quota`."""
    version: str
    """Bump it when the rule's logic changes; results record it."""
    kind: Kind
    stage: Stage
    evaluate: Callable[[RuleContext, Any], Iterable[Result]]
    params: type[BaseModel] = NoParams
    reads: tuple[str, ...] = ()
    """Entities (`customers`, `activities`, …) and results (`measures`,
    `earnings`, `ledger`) the rule reads; the query API refuses others."""
    summary: str = ""

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"rule id {self.id!r}: use lowercase letters, digits, _ . -")
        if not str(self.version).strip():
            raise ValueError(f"rule {self.id!r}: version is empty")
        if (self.kind is Kind.compliance) != (self.stage is Stage.compliance):
            raise ValueError(
                f"rule {self.id!r}: compliance rules run in the compliance stage, "
                "incentive rules in measure, reward or settle"
            )
        unknown = set(self.reads) - set(ENTITIES) - set(RESULT_READS)
        if unknown:
            known = ", ".join([*ENTITIES, *RESULT_READS])
            raise ValueError(f"rule {self.id!r}: reads unknown {sorted(unknown)} (known: {known})")
        if not (isinstance(self.params, type) and issubclass(self.params, BaseModel)):
            raise ValueError(f"rule {self.id!r}: params must be a pydantic model class")

    def parameters(self) -> list[dict[str, Any]]:
        """Name, type, default and description of each parameter (for `hub rules`)."""
        schema = self.params.model_json_schema()
        required = set(schema.get("required", ()))
        out = []
        for name, field in self.params.model_fields.items():
            prop = schema.get("properties", {}).get(name, {})
            out.append(
                {
                    "name": name,
                    "type": _type_text(prop, schema.get("$defs", {})),
                    "required": name in required,
                    "default": None
                    if field.is_required()
                    else _jsonable(field.get_default(call_default_factory=True)),
                    "description": field.description or prop.get("description", ""),
                }
            )
        return out


def _type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    if "anyOf" in prop:
        kinds = [_type_text(p, defs) for p in prop["anyOf"]]
        if kinds[:2] == ["number", "string"]:  # how pydantic describes a Decimal
            kinds[:2] = ["decimal"]
        return " | ".join(kinds)
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        target = defs.get(name, {})
        return _type_text(target, defs) if "enum" in target else name
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list[{_type_text(prop.get('items', {}), defs)}]"
    if kind == "object" and "additionalProperties" in prop:
        return f"dict[str, {_type_text(prop['additionalProperties'], defs)}]"
    if kind == "string" and prop.get("format") == "decimal":
        return "decimal"
    return str(kind)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
