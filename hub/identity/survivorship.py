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


class Survivor:
    """Survivorship for one match: the rules' connection orders are grouped
    once (most fields share the default order), so each cluster ranks its
    members once per order instead of once per field."""

    def __init__(
        self, fields: Sequence[str], rules: Survivorship, json_fields: Collection[str] = ()
    ) -> None:
        groups: dict[tuple[str, ...], list[tuple[str, bool]]] = {}
        for field in fields:
            groups.setdefault(tuple(rules.order(field)), []).append((field, field in json_fields))
        self.groups = [
            ({name: i for i, name in enumerate(order)}, len(order), members)
            for order, members in groups.items()
        ]

    def __call__(self, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
        """(the unified values, the connection each came from).

        For each field: the connections its rule lists, in order, then the
        other members, most recently updated first; the first non-empty value
        wins. Values are taken as the store holds them (JSON fields as text)."""
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
        for rank, last, members in self.groups:
            ranked = sorted(recent, key=lambda r: rank.get(r["source"], last))
            for field, json in members:
                values[field] = None
                for row in ranked:
                    value = row.get(field)
                    if not _empty(value, json):
                        values[field] = value
                        sources[field] = row["source"]
                        break
        return values, sources
