"""What a module's field metadata (`/settings/fields`) tells the mapping.

- **Personal fields**: phone and e-mail fields (by Zoho's `data_type`, whatever
  their API name), lookups (a name beside the id), person names and a
  person's address. A rejected record keeps its raw payload for someone to
  fix it; these fields are masked in it, including custom ones whose API name
  the hub's generic masking would not recognise (`Work_Line`, `Privat_Mail`).
- **Picklist labels**: a record carries a picklist's `actual_value`; where the
  org shows another `display_value`, the label goes into `extra` beside it
  (`Lead_Source__label`).
- **The unified social credit code**: a custom field found by its label
  (`统一社会信用代码`, `Unified Social Credit Code`, …; `credit_code_labels`)
  becomes the customer's `credit_code`, so identity resolution and the
  duplicates rule can use it. A field mapped in hub.toml wins.

The facts are kept in the stream's state with the field plan, so a resumed
or incremental run maps exactly as the run that read the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.masking import mask_email, mask_name, mask_phone, mask_value

LABEL_SUFFIX = "__label"

LOOKUP_TYPES = {"lookup", "ownerlookup", "userlookup"}
PERSON_MODULES = {"Contacts", "Leads", "Users"}
"""Modules whose records are people: their addresses and birthdays are personal too."""

NAME_FIELDS = {
    "First_Name",
    "Last_Name",
    "Full_Name",
    "Assistant",
    "first_name",
    "last_name",
    "full_name",
}
_PERSON_DETAIL = re.compile(
    r"(_Street|_City|_Zip|_Code|_State)$|^(Date_of_Birth|Skype_ID|Twitter|Secondary_Email"
    r"|Asst_Phone|Home_Phone|Other_Phone|Mobile|Fax)$",
    re.I,
)


def _kind(module: str, meta: Mapping[str, Any]) -> str | None:
    """How a field's value is personal: phone, email, lookup, name, detail; None if not."""
    name = str(meta.get("api_name") or "")
    data_type = str(meta.get("data_type") or "")
    if data_type == "phone":
        return "phone"
    if data_type == "email":
        return "email"
    if data_type in LOOKUP_TYPES:
        return "lookup"
    if name in NAME_FIELDS:
        return "name"
    if module in PERSON_MODULES and _PERSON_DETAIL.search(name):
        return "detail"
    return None


@dataclass
class ModuleFacts:
    personal: dict[str, str] = field(default_factory=dict)
    """API name -> phone, email, lookup, name or detail."""
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """Picklist API name -> {actual value: display label}, where they differ."""
    credit_code: str | None = None
    """API name of the field holding the unified social credit code."""

    def to_json(self) -> dict[str, Any]:
        return {"personal": self.personal, "labels": self.labels, "credit_code": self.credit_code}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ModuleFacts:
        data = data or {}
        return cls(
            personal=dict(data.get("personal") or {}),
            labels={k: dict(v) for k, v in (data.get("labels") or {}).items()},
            credit_code=data.get("credit_code"),
        )


USER_FACTS = ModuleFacts(
    personal={
        **{n: "name" for n in NAME_FIELDS},
        "email": "email",
        "phone": "phone",
        "mobile": "phone",
        "Reporting_To": "lookup",
        "created_by": "lookup",
        "Modified_By": "lookup",
    }
)
"""Users have no field metadata call: their personal keys are fixed."""


def _normal(label: str) -> str:
    return re.sub(r"[\s_\-()（）]+", "", label).casefold()


def module_facts(
    module: str, metadata: Sequence[Mapping[str, Any]], credit_code_labels: Iterable[str]
) -> ModuleFacts:
    """The facts of one module from its field metadata."""
    facts = ModuleFacts()
    wanted = {_normal(label) for label in credit_code_labels}
    for meta in metadata:
        name = str(meta.get("api_name") or "")
        if not name:
            continue
        kind = _kind(module, meta)
        if kind:
            facts.personal[name] = kind
        options = meta.get("pick_list_values") or []
        labels = {
            str(o.get("actual_value")): str(o.get("display_value"))
            for o in options
            if isinstance(o, Mapping)
            and o.get("actual_value") is not None
            and o.get("display_value") not in (None, "")
            and str(o.get("display_value")) != str(o.get("actual_value"))
        }
        if labels:
            facts.labels[name] = labels
        label = str(meta.get("field_label") or "")
        if facts.credit_code is None and wanted and _normal(label) in wanted:
            facts.credit_code = name
    return facts


def _mask_as(kind: str, value: Any) -> Any:
    if isinstance(value, Mapping):  # a lookup: {"name": ..., "id": ..., "email": ...}
        return {
            k: (
                mask_name(str(v))
                if k == "name" and v
                else _mask_as("email", v)
                if k == "email"
                else v
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_as(kind, v) for v in value]
    if value is None or isinstance(value, bool) or value == "":
        return value
    text = str(value)
    if kind == "phone":
        return mask_phone(text)
    if kind == "email":
        return mask_email(text) if "@" in text else "***"
    if kind in ("name", "lookup"):
        return mask_name(text)
    return "***"


def mask_personal(raw: Mapping[str, Any], facts: ModuleFacts) -> dict[str, Any]:
    """The raw record with its personal fields masked, where the hub's generic masking
    (applied to every reject after this) would leave them readable."""
    out = dict(raw)
    for name, kind in facts.personal.items():
        value = out.get(name)
        if value in (None, "") or mask_value(name, value) != value:
            continue  # empty, or the generic masking recognises the key
        out[name] = _mask_as(kind, value)
    return out
