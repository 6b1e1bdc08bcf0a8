"""Walking Zoho's listings page by page, the way the API allows.

- Records: sorted by Modified_Time ascending, 200 a page, `fields` always
  sent. Past page one the next page is asked for with `page_token` alone
  (`page` only reaches the first 2,000 records). A page token stops working
  after 100,000 records or 24 hours, or when any parameter changes; then the
  listing restarts from the newest Modified_Time seen (If-Modified-Since), so
  an org of any size is read completely.
- Deleted records and users: numbered pages (`page`), 200 each.
- Every listing treats 204 No Content and 304 Not Modified as "nothing".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from hub.errors import SourceDataError
from hub_zoho.client import API, ZohoApiError, ZohoClient

PER_PAGE = 200
MAX_FIELDS = 50
"""Zoho accepts at most 50 field names in `fields`."""
MAX_IDS = 100
"""Records fetched by id in one call."""

_RESTART = {"PAGINATION_LIMIT_EXCEEDED", "EXPIRED_VALUE", "TOKEN_BOUND_DATA_MISMATCH"}
"""Page-token failures cured by listing again from the newest record seen."""

_log = logging.getLogger(__name__)


ONE_SECOND = dt.timedelta(seconds=1)
"""Zoho's times have whole seconds: "before T" is "at or before T - 1 s"."""


def since_header(moment: dt.datetime | None) -> str | None:
    """If-Modified-Since value: ISO 8601 with offset. Zoho answers with the
    records modified after it."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def modified_time(record: dict[str, Any]) -> dt.datetime | None:
    value = record.get("Modified_Time")
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value))


def record_pages(
    client: ZohoClient,
    module: str,
    fields: Sequence[str],
    since: dt.datetime | None,
    *,
    upto: dt.datetime | None = None,
    sorted_by_time: bool = True,
) -> Iterator[list[dict[str, Any]]]:
    """Every record of `module` modified after `since` (None: all) and, when
    `upto` is given, at or before `upto`, a page at a time."""
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"{module}: {len(fields)} fields in one listing, Zoho allows {MAX_FIELDS}")
    params: dict[str, Any] = {"fields": ",".join(fields), "per_page": PER_PAGE}
    if sorted_by_time:
        params |= {"sort_by": "Modified_Time", "sort_order": "asc"}
    path = f"{API}/{module}"
    token: str | None = None
    newest: dt.datetime | None = None
    restarted_at: dt.datetime | None = None
    while True:
        query = {**params, "page_token": token} if token else params
        try:
            answer = client.get(path, query, since=since_header(since))
        except ZohoApiError as exc:
            if token is None or exc.code not in _RESTART or not sorted_by_time:
                raise
            if newest is None or newest == restarted_at:
                raise SourceDataError(
                    f"{module}: the listing cannot move past {newest} ({exc.code}): more than "
                    "a page token's reach of records share one Modified_Time"
                ) from None
            _log.info("%s: %s; listing again from %s", module, exc.code, newest.isoformat())
            # Records sharing the newest second may not all have been read yet.
            since, restarted_at, token = newest - ONE_SECOND, newest, None
            continue
        if answer.empty:
            return
        body = answer.body or {}
        records = body.get("data") or []
        if upto is not None:
            inside = [r for r in records if (modified_time(r) or upto) <= upto]
            if len(inside) < len(records):  # the listing has gone past the span's end
                if inside:
                    yield inside
                return
        if records:
            yield records
            if sorted_by_time:
                newest = max(filter(None, map(modified_time, records)), default=newest)
        info = body.get("info") or {}
        if not info.get("more_records"):
            return
        token = info.get("next_page_token")
        if not token:
            raise SourceDataError(
                f"{module}: Zoho said more records follow but gave no next_page_token"
            )


def newest_first(
    client: ZohoClient, module: str, fields: Sequence[str], since: dt.datetime | None
) -> tuple[list[dict[str, Any]], bool]:
    """The newest page of records modified after `since`, and whether more exist."""
    answer = client.get(
        f"{API}/{module}",
        {
            "fields": ",".join(fields),
            "per_page": PER_PAGE,
            "sort_by": "Modified_Time",
            "sort_order": "desc",
        },
        since=since_header(since),
    )
    if answer.empty:
        return [], False
    body = answer.body or {}
    return list(body.get("data") or []), bool((body.get("info") or {}).get("more_records"))


def oldest_time(client: ZohoClient, module: str) -> dt.datetime | None:
    """Modified_Time of the module's least recently modified record."""
    answer = client.get(
        f"{API}/{module}",
        {"fields": "Modified_Time", "per_page": 1, "sort_by": "Modified_Time", "sort_order": "asc"},
    )
    records = [] if answer.empty else (answer.body or {}).get("data") or []
    return modified_time(records[0]) if records else None


def numbered_pages(
    client: ZohoClient,
    path: str,
    key: str,
    params: dict[str, Any],
    since: dt.datetime | None,
) -> Iterator[list[dict[str, Any]]]:
    """A listing paged with `page` (deleted records, users)."""
    page = 1
    while True:
        answer = client.get(
            path, {**params, "page": page, "per_page": PER_PAGE}, since=since_header(since)
        )
        if answer.empty:
            return
        body = answer.body or {}
        items = body.get(key) or []
        if items:
            yield items
        if not (body.get("info") or {}).get("more_records"):
            return
        page += 1


def deleted_pages(
    client: ZohoClient, module: str, since: dt.datetime | None
) -> Iterator[list[dict[str, Any]]]:
    """Records of `module` deleted after `since` (recycle bin and permanent)."""
    return numbered_pages(client, f"{API}/{module}/deleted", "data", {"type": "all"}, since)


def user_pages(client: ZohoClient, since: dt.datetime | None) -> Iterator[list[dict[str, Any]]]:
    """Active and deactivated users (`AllUsers`, changed after `since`)."""
    return numbered_pages(client, f"{API}/users", "users", {"type": "AllUsers"}, since)


def deleted_user_pages(client: ZohoClient) -> Iterator[list[dict[str, Any]]]:
    """Deleted users, which Zoho lists only under `type=DeletedUsers` (they still own
    records). Always all of them: a deletion need not change `Modified_Time`, and an org
    has few."""
    return numbered_pages(client, f"{API}/users", "users", {"type": "DeletedUsers"}, None)


def records_by_id(
    client: ZohoClient, module: str, ids: Sequence[str], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """The records with these ids (at most 100), with these fields (at most 50)."""
    if len(ids) > MAX_IDS or len(fields) > MAX_FIELDS:
        raise ValueError(f"{module}: at most {MAX_IDS} ids and {MAX_FIELDS} fields a call")
    answer = client.get(f"{API}/{module}", {"ids": ",".join(ids), "fields": ",".join(fields)})
    return [] if answer.empty else list((answer.body or {}).get("data") or [])


def module_fields(client: ZohoClient, module: str) -> list[dict[str, Any]]:
    """Field metadata of a module (api_name, data_type, custom_field, ...)."""
    answer = client.get(f"{API}/settings/fields", {"module": module})
    return [] if answer.empty else list((answer.body or {}).get("fields") or [])
