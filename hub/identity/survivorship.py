"""The unified record: each field from the connection config names for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hub.identity.settings import Survivorship

_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def survive(
    rows: Sequence[dict[str, Any]], fields: Sequence[str], rules: Survivorship
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the unified values, the connection each came from).

    For each field: the connections its rule lists, in order, then the other
    members, most recently updated first; the first non-empty value wins."""
    recent = sorted(
        rows,
        key=lambda r: (r.get("updated_at") or _MIN, r.get("synced_at") or _MIN, r["id"]),
        reverse=True,
    )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for field in fields:
        order = rules.order(field)
        rank = {name: i for i, name in enumerate(order)}
        ranked = sorted(recent, key=lambda r: rank.get(r["source"], len(order)))
        values[field] = None
        for row in ranked:
            if not _empty(row.get(field)):
                values[field] = row[field]
                sources[field] = row["source"]
                break
    return values, sources
