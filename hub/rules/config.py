"""The `[rules]` section of hub.toml.

Plain keys directly under `[rules]` are the shared definitions every rule
uses (which order statuses mean cancelled, which activity kinds count as a
contact …). Each sub-table `[rules.NAME]` configures one rule: `rule` names
the registered rule (default: NAME itself, so `[rules.commission]` needs no
`rule` key), `enabled` switches it off without deleting it, and every other
key is a parameter of the rule, checked against its parameter model::

    [rules]
    cancelled_statuses = ["cancelled", "refunded", "已取消"]

    [rules.commission_domestic]
    rule = "commission"
    semantics = "marginal"
    tiers = [{ upto = "300000", rate = "0.03" }, { rate = "0.05" }]

Only configured rules run: nothing pays or flags anyone unless hub.toml says so.
Errors are one line naming the file and the key.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from hub.config import HubConfig, describe_validation_error
from hub.errors import ConfigError
from hub.rules.definitions import Definitions
from hub.rules.spec import RuleSpec

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")

RuleRef = Annotated[str, Field(json_schema_extra={"rule_ref": True})]
"""A parameter naming another configured rule whose results this one reads
(e.g. the scorecard a bonus is paid on). The engine checks it exists, is
enabled and runs in an earlier stage."""


@dataclass(frozen=True)
class ConfiguredRule:
    """One `[rules.NAME]` table, validated against its rule."""

    name: str
    spec: RuleSpec
    plugin: str
    params: BaseModel
    enabled: bool

    def references(self) -> dict[str, str]:
        """Dotted parameter key -> configured rule it names (`RuleRef` fields,
        also inside nested tables and lists)."""
        return _references(self.params, "")

    def described(self) -> dict[str, Any]:
        """What a run records about the rule: enough to explain its results later."""
        return {
            "rule": self.spec.id,
            "version": self.spec.version,
            "kind": str(self.spec.kind),
            "stage": str(self.spec.stage),
            "plugin": self.plugin,
            "params": self.params.model_dump(mode="json"),
        }


def _references(model: BaseModel, prefix: str) -> dict[str, str]:
    refs: dict[str, str] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra
        is_ref = bool(isinstance(extra, dict) and extra.get("rule_ref"))
        is_ref = is_ref or _annotated_ref(field.annotation)  # inside list[...] / ... | None
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            key = f"{prefix}{name}" + (f".{i}" if isinstance(value, list) else "")
            if isinstance(item, BaseModel):
                refs |= _references(item, f"{key}.")
            elif is_ref and isinstance(item, str) and item:
                refs[key] = item
    return refs


def _annotated_ref(annotation: Any) -> bool:
    for arg in typing.get_args(annotation):
        if arg is RuleRef or _annotated_ref(arg):
            return True
        for meta in getattr(arg, "__metadata__", ()):
            extra = getattr(meta, "json_schema_extra", None)
            if isinstance(extra, dict) and extra.get("rule_ref"):
                return True
    return False


def load_rules(
    config: HubConfig, specs: dict[str, tuple[RuleSpec, str]]
) -> tuple[Definitions, list[ConfiguredRule]]:
    """Validate `[rules]`: the shared definitions and every configured rule."""
    path: Path = config.path
    settings = {k: v for k, v in config.rules.items() if not isinstance(v, dict)}
    try:
        definitions = Definitions.model_validate(settings)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc, ("rules",))) from None
    configured = []
    for name, table in config.rules.items():
        if not isinstance(table, dict):
            continue
        if not _NAME.match(name):
            raise ConfigError(f"{path}: rules.{name}: use letters, digits, _ . - in rule names")
        table = dict(table)
        rule_id = table.pop("rule", name)
        enabled = table.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{path}: rules.{name}.enabled: must be true or false")
        if not isinstance(rule_id, str) or rule_id not in specs:
            known = ", ".join(sorted(specs)) or "none installed"
            key = f"rules.{name}.rule" if "rule" in config.rules[name] else f"rules.{name}"
            raise ConfigError(
                f"{path}: {key}: no rule named {rule_id!r} is installed (installed: {known}; "
                "name one with `rule = ...`)"
            )
        spec, plugin = specs[rule_id]
        try:
            params = spec.params.model_validate(table)
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(path, exc, ("rules", name))) from None
        configured.append(ConfiguredRule(name, spec, plugin, params, enabled))
    return definitions, configured
