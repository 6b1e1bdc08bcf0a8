"""Reading an object's records, 100 at a time, past the 10,000 wall.

Three reads, all with offset 0 (offset paging stops at 10,000 with errorCode
10013, and below it a record invalidated between two pages shifts every
later row up by one, so the row at the page boundary is never read):

- `pages`: every record in `_id` order, each page asking for `_id GT <last
  id seen>` — the deep-paging recipe of Fxiaoke's FAQ. A complete read
  (snapshot) and the deletes read use it; its position (`after_id`) is a
  checkpoint that stays valid across runs.
- `changed_pages`: records modified since a moment, in (`last_modified_time`,
  `_id`) order, each page asking for `last_modified_time GTE <last time
  read>`, skipping what it already read at that time (the `_id` tie-break).
  A record changed while the read is under way moves to the end, so it is
  read in this pass, never skipped; the highest time read is the next
  cursor, on the vendor's clock. When more than a page of records share one
  millisecond (a bulk import), those are drained by `_id` first.
- `latest_change`: the newest `last_modified_time` of an object and the ids
  changed in that millisecond, one call: where a complete read's cursor
  starts.

`data/query` hides invalidated records (`life_status: invalid`, `is_deleted:
true`) unless a filter names `is_deleted` or `life_status`, so an
incremental read also asks for `is_deleted EQ true` since the cursor
(`DELETED`).
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
MODIFIED = "last_modified_time"
BY_ID = [{"fieldName": "_id", "isAsc": True}]
BY_CHANGE = [{"fieldName": MODIFIED, "isAsc": True}, {"fieldName": "_id", "isAsc": True}]
DELETED = [{"field_name": "is_deleted", "operator": "EQ", "field_values": ["true"]}]
"""The filter that makes `data/query` list invalidated records (recycle bin)."""


def query_path(api_name: str) -> str:
    """Custom objects (apiName ending in __c) have their own endpoint."""
    return CUSTOM_QUERY if api_name.endswith("__c") else PRESET_QUERY


def condition(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field_name": field, "operator": operator, "field_values": [str(value)]}


@dataclass
class Page:
    rows: list[dict[str, Any]]
    last_id: str | None
    total: int | None
    """Rows matching the query, when asked for (first page only)."""
    last_change: tuple[int, str] | None = None
    """(last_modified_time, _id) of the last row (`changed_pages` only)."""
    drained: bool = False
    """`changed_pages`: every record at `last_change`'s time has been read."""


def query_body(
    api_name: str,
    since_ms: int | None,
    after_id: str | None,
    *,
    count: bool,
    limit: int,
    filters: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    found = list(filters or [])
    if since_ms is not None:
        found.append(condition(MODIFIED, "GTE", since_ms))
    if after_id is not None:
        found.append(condition("_id", "GT", after_id))
    return {
        "data": {
            "dataObjectApiName": api_name,
            "find_explicit_total_num": count,
            "search_query_info": {
                "limit": limit,
                "offset": 0,
                "filters": found,
                "orders": orders or BY_ID,
            },
        }
    }


def _rows(client: FxiaokeClient, api_name: str, body: dict[str, Any]) -> tuple[list[Any], Any]:
    answer = client.post(query_path(api_name), body)
    data = answer.get("data")
    if not isinstance(data, dict):
        data = answer  # some custom-object answers put dataList at the top
    rows = data.get("dataList") or []
    if not isinstance(rows, list):
        raise SourceDataError(f"Fxiaoke {api_name}: dataList is not a list")
    return rows, data.get("total")


def pages(
    client: FxiaokeClient,
    api_name: str,
    *,
    since_ms: int | None,
    after_id: str | None,
    limit: int | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> Iterator[Page]:
    """Pages of records with `_id > after_id` (and modified since), in `_id` order."""
    limit = limit or PAGE_SIZE
    first = True
    while True:
        body = query_body(api_name, since_ms, after_id, count=first, limit=limit, filters=filters)
        rows, total = _rows(client, api_name, body)
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
        total = total if first else None
        yield Page(rows, last, total if isinstance(total, int) and total > 0 else None)
        if len(rows) < limit:
            return
        after_id, first = last, False


def modified_ms(row: Any) -> int | None:
    """A row's last_modified_time in epoch ms (None when it has none)."""
    value = row.get(MODIFIED) if isinstance(row, dict) else None
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def changed_pages(
    client: FxiaokeClient,
    api_name: str,
    *,
    since_ms: int,
    after: tuple[int, str] | None = None,
    drained: bool = False,
    skip: frozenset[str] = frozenset(),
    limit: int | None = None,
) -> Iterator[Page]:
    """Pages of records modified at or after `since_ms` and after `after`
    = (time, _id), in (last_modified_time, _id) order. `drained` means every
    record at `after`'s time was read already; `skip` are ids already read
    at `since_ms` itself (the last run's newest millisecond)."""
    limit = limit or PAGE_SIZE
    position = after
    while True:
        at = position[0] if position else since_ms
        operator = "GT" if position and drained else "GTE"
        body = query_body(
            api_name,
            None,
            None,
            count=False,
            limit=limit,
            filters=[condition(MODIFIED, operator, at)],
            orders=BY_CHANGE,
        )
        rows, _ = _rows(client, api_name, body)
        fresh, last = [], position
        for row in rows:
            key = _change_key(row)
            if key is None:
                fresh.append(row)  # no time or id: the mapper rejects it
                continue
            if (position is not None and key <= position) or (
                key[0] == since_ms and key[1] in skip
            ):
                last = max(last, key) if last is not None else key
                continue  # read already, at the same millisecond
            if last is not None and key < last:
                raise SourceDataError(
                    f"Fxiaoke {api_name}: rows are not in ascending last_modified_time order "
                    f"after {last!r} (got {key!r}); the incremental read cannot continue safely"
                )
            fresh.append(row)
            last = key
        if len(rows) == limit and last is None:
            raise SourceDataError(
                f"Fxiaoke {api_name}: a full page without last_modified_time or _id; "
                "the incremental read cannot continue safely"
            )
        if len(rows) == limit and position is not None and not fresh:
            # A whole page of records at one millisecond, all read: drain that
            # millisecond by _id, then go on after it.
            for page in pages(
                client,
                api_name,
                since_ms=None,
                after_id=position[1],
                limit=limit,
                filters=[condition(MODIFIED, "EQ", position[0])],
            ):
                tied = page.last_id or position[1]
                done = len(page.rows) < limit
                yield Page(page.rows, tied, None, (position[0], tied), drained=done)
                position = (position[0], tied)
            drained = True
            continue
        if last is not None and last != position:
            drained = False
        yield Page(fresh, last[1] if last else None, None, last, drained)
        if len(rows) < limit:
            return
        position = last


def _change_key(row: Any) -> tuple[int, str] | None:
    ms = modified_ms(row)
    rid = row.get("_id") if isinstance(row, dict) else None
    if ms is None or not isinstance(rid, str):
        return None
    return (ms, rid)


def latest_change(client: FxiaokeClient, api_name: str) -> tuple[int, list[str]] | None:
    """The newest last_modified_time of the object's records, on the vendor's
    clock, and the ids changed in that millisecond (up to a page of them)."""
    body = query_body(
        api_name,
        None,
        None,
        count=False,
        limit=PAGE_SIZE,
        orders=[{"fieldName": MODIFIED, "isAsc": False}, {"fieldName": "_id", "isAsc": False}],
    )
    rows, _ = _rows(client, api_name, body)
    keys = [k for k in (_change_key(r) for r in rows) if k is not None]
    if not keys:
        return None
    newest = keys[0][0]
    return newest, sorted(rid for ms, rid in keys if ms == newest)
