"""Reading every record of an object, 100 at a time, past the 10,000 wall.

Pages are ordered by `_id` and each one asks for `_id GT <last id seen>`
with offset 0: the deep-paging recipe of Fxiaoke's FAQ, used from the first
page on. Offset paging would stop at offset 10,000 (errorCode 10013), and
below it a record invalidated or deleted between two page requests shifts
every later row up by one, so the row at the page boundary is never read;
keyset paging has neither problem, and its position (`after_id`) is a
checkpoint that stays valid across runs.

The filter `last_modified_time GTE since` (epoch ms, as a string) makes a
read incremental.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hub.errors import SourceDataError
from hub_fxiaoke.client import FxiaokeClient

PAGE_SIZE = 100
"""The documented maximum `limit` of a query."""
PRESET_QUERY = "/cgi/crm/v2/data/query"
CUSTOM_QUERY = "/cgi/crm/custom/v2/data/query"


def query_path(api_name: str) -> str:
    """Custom objects (apiName ending in __c) have their own endpoint."""
    return CUSTOM_QUERY if api_name.endswith("__c") else PRESET_QUERY


@dataclass
class Page:
    rows: list[dict[str, Any]]
    last_id: str | None
    total: int | None
    """Rows matching the query, when asked for (first page only)."""


def query_body(
    api_name: str, since_ms: int | None, after_id: str | None, *, count: bool, limit: int
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if since_ms is not None:
        filters.append(
            {"field_name": "last_modified_time", "operator": "GTE", "field_values": [str(since_ms)]}
        )
    if after_id is not None:
        filters.append({"field_name": "_id", "operator": "GT", "field_values": [after_id]})
    return {
        "data": {
            "dataObjectApiName": api_name,
            "find_explicit_total_num": count,
            "search_query_info": {
                "limit": limit,
                "offset": 0,
                "filters": filters,
                "orders": [{"fieldName": "_id", "isAsc": True}],
            },
        }
    }


def pages(
    client: FxiaokeClient,
    api_name: str,
    *,
    since_ms: int | None,
    after_id: str | None,
    limit: int = PAGE_SIZE,
) -> Iterator[Page]:
    """Pages of records with `_id > after_id` (and modified since), in `_id` order."""
    path = query_path(api_name)
    first = True
    while True:
        body = query_body(api_name, since_ms, after_id, count=first, limit=limit)
        answer = client.post(path, body)
        data = answer.get("data")
        if not isinstance(data, dict):
            data = answer  # some custom-object answers put dataList at the top
        rows = data.get("dataList") or []
        if not isinstance(rows, list):
            raise SourceDataError(f"Fxiaoke {api_name}: dataList is not a list")
        last = after_id
        for row in rows:
            row_id = row.get("_id") if isinstance(row, dict) else None
            if not isinstance(row_id, str):
                continue  # the mapper rejects it; the keyset goes on from the last good id
            if last is not None and row_id <= last:
                raise SourceDataError(
                    f"Fxiaoke {api_name}: rows are not in ascending _id order after "
                    f"{last!r} (got {row_id!r}); keyset paging cannot continue safely"
                )
            last = row_id
        total = data.get("total") if first else None
        yield Page(rows, last, total if isinstance(total, int) and total > 0 else None)
        if len(rows) < limit:
            return
        after_id, first = last, False
