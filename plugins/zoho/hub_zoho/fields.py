"""Which fields to ask for, module by module.

Zoho returns only the fields named in `fields`, at most 50 a call. Connectors
that send a fixed list lose every custom field; this one reads the module's
field metadata and asks for all of them: the fields the mapping needs come
first, then custom fields, then the remaining standard ones. The first 50
travel with the paged listing; any more are fetched for each page by record
id (100 ids a call), so nothing is dropped.

Subform, multi-select lookup and multi-user lookup values come back only
when a single record is read, so they are not asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hub.errors import ConfigError
from hub_zoho.paging import MAX_FIELDS

NOT_IN_LISTINGS = {"subform", "multiselectlookup", "multiuserlookup"}

SYSTEM_KEYS: dict[str, list[str]] = {
    "Calls": ["$se_module"],
    "Tasks": ["$se_module"],
    "Events": ["$se_module", "$event_cancelled"],
    "Notes": ["$se_module"],
}
"""Keys that are not in the field metadata but must be asked for by name."""


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n and n != "id"))


def plan_fields(
    module: str,
    metadata: Sequence[dict[str, Any]],
    needed: Sequence[str],
    configured: Sequence[str],
    all_fields: bool,
    where: str,
    hidden: Sequence[str] = (),
) -> list[list[str]]:
    """Field names in chunks of at most 50; the first chunk holds what the mapping needs.

    `needed`: fields the built-in mapping reads (skipped when the org has hidden them).
    `configured`: fields named in hub.toml (an error when the module lacks them).
    `hidden`: fields hub.toml maps to "-": not asked for at all.
    """
    known = {str(f.get("api_name")): f for f in metadata if f.get("api_name")}
    missing = [name for name in configured if name not in known]
    if missing:
        raise ConfigError(
            f"{where}: Zoho module {module} has no field {missing[0]!r} "
            "(use the field's API name, shown under Setup > Developer Hub > APIs)"
        )
    first = _unique([*SYSTEM_KEYS.get(module, []), *(n for n in needed if n in known), *configured])
    rest: list[str] = []
    if all_fields:
        listable = [
            (name, bool(f.get("custom_field")))
            for name, f in known.items()
            if f.get("data_type") not in NOT_IN_LISTINGS
        ]
        rest = [n for n, custom in listable if custom] + [n for n, custom in listable if not custom]
    names = [n for n in _unique([*first, *rest]) if n not in hidden]
    if len(first) > MAX_FIELDS:
        raise ConfigError(f"{where}: more than {MAX_FIELDS} fields of {module} are mapped")
    return [names[i : i + MAX_FIELDS] for i in range(0, len(names), MAX_FIELDS)]
