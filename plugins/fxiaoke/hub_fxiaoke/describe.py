"""What `describe` says about an object's fields: types, labels, select options.

Field apiNames and option codes are per tenant (reference §5.2: "call
describe"). The adapter asks once per object and run
(`/cgi/crm/v2/object/describe`, one call) and uses the answer to put the
labels of select fields beside their codes in `extra`, to find fields by
their label (统一社会信用代码), and to find the employee field that names a
goal's person. A describe that fails is not fatal: the mapping falls back to
the configured field names and no labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.errors import QuotaExhausted, SourceDataError, SourceError
from hub_fxiaoke.client import FxiaokeClient

DESCRIBE_PATH = "/cgi/crm/v2/object/describe"
SELECT_TYPES = frozenset({"select_one", "select_many"})
EMPLOYEE_TYPES = frozenset({"employee", "employee_many"})


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    label: str
    options: dict[str, str] = field(default_factory=dict)
    """Option value (the code stored on records) → label."""


@dataclass(frozen=True)
class Describe:
    api_name: str
    fields: dict[str, FieldInfo]

    def by_label(self, labels: list[str]) -> str | None:
        """The apiName of the first field whose label is one of `labels`."""
        wanted = [label.strip().casefold() for label in labels]
        for label in wanted:
            for info in self.fields.values():
                if info.label.strip().casefold() == label:
                    return info.name
        return None

    def of_type(self, types: frozenset[str]) -> list[str]:
        return sorted(n for n, info in self.fields.items() if info.type in types)

    def labels(self, raw: dict[str, Any]) -> dict[str, Any]:
        """`<field>__label` for every select field of a record with a known code."""
        out: dict[str, Any] = {}
        for name, info in self.fields.items():
            if info.type not in SELECT_TYPES or not info.options or name not in raw:
                continue
            value = raw[name]
            if isinstance(value, list):
                found = [info.options[str(v)] for v in value if str(v) in info.options]
                if found:
                    out[f"{name}__label"] = found
            elif value is not None and str(value) in info.options:
                out[f"{name}__label"] = info.options[str(value)]
        return out


def parse(api_name: str, answer: dict[str, Any]) -> Describe:
    data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
    describe = data.get("describe") if isinstance(data, dict) else None
    fields = describe.get("fields") if isinstance(describe, dict) else None
    found: dict[str, FieldInfo] = {}
    for name, spec in (fields or {}).items():
        if not isinstance(spec, dict):
            continue
        options = {
            str(o["value"]): str(o.get("label") or o["value"])
            for o in spec.get("options") or []
            if isinstance(o, dict) and o.get("value") is not None
        }
        found[str(name)] = FieldInfo(
            str(spec.get("api_name") or name),
            str(spec.get("type") or ""),
            str(spec.get("label") or ""),
            options,
        )
    return Describe(api_name, found)


def describe(client: FxiaokeClient, api_name: str) -> Describe | None:
    """The object's describe, or None when Fxiaoke refuses it (the quota stop
    still stops the run)."""
    body = {"apiName": api_name, "includeDetail": False, "data": {"apiName": api_name}}
    try:
        answer = client.post(DESCRIBE_PATH, body)
    except QuotaExhausted:
        raise
    except (SourceError, SourceDataError) as exc:
        client.log.warning("Fxiaoke describe %s: %s; mapping without it", api_name, exc)
        return None
    return parse(api_name, answer)
