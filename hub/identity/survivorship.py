"""The unified record: each field from the connection config names for it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from hub.identity.settings import Survivorship

EMPTY_JSON = ("[]", "{}", "null")
"""An empty list or object as the store holds it (JSON text)."""


def _empty(value: Any, json: bool = False) -> bool:
    if json and value in EMPTY_JSON:
        return True
    return value is None or value == "" or value == [] or value == {}


def _newest_first(value: Any) -> tuple[bool, Any]:
    """A sort key for a timestamp as the store holds it (text on SQLite, a
    datetime on PostgreSQL); missing ones sort as oldest."""
    return (value is not None, value if value is not None else 0)


def survive(
    rows: Sequence[dict[str, Any]],
    fields: Sequence[str],
    rules: Survivorship,
    json_fields: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the unified values, the connection each came from).

    For each field: the connections its rule lists, in order, then the other
    members, most recently updated first; the first non-empty value wins.
    Values are taken as the store holds them (`json_fields` as JSON text)."""
    recent = sorted(
        rows,
        key=lambda r: (
            _newest_first(r.get("updated_at")),
            _newest_first(r.get("synced_at")),
            r["id"],
        ),
        reverse=True,
    )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    by_order: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for field in fields:
        order = tuple(rules.order(field))
        ranked = by_order.get(order)
        if ranked is None:  # most fields share the default order: rank once for them all
            rank = {name: i for i, name in enumerate(order)}
            ranked = sorted(recent, key=lambda r: rank.get(r["source"], len(order)))
            by_order[order] = ranked
        values[field] = None
        json = field in json_fields
        for row in ranked:
            if not _empty(row.get(field), json):
                values[field] = row[field]
                sources[field] = row["source"]
                break
    return values, sources
