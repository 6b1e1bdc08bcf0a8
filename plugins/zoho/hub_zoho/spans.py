"""Splitting a long listing into time spans read at the same time.

A Zoho listing is a chain: each page's token comes with the page before, so
one module's pages cannot be fetched in parallel. Its Modified_Time range
can be cut, though: each span is listed on its own (If-Modified-Since its
start, stopping at its end), and the spans run side by side within the
connection's concurrency. A span's progress is a valid resume point, so the
state holds the spans of a listing under way.

The cut is even in time, sized from the density of the newest page; a
module whose changes crowd into a short stretch of time gets uneven spans
(still correct, just less parallel).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from hub_zoho.paging import PER_PAGE

PAGES_PER_SPAN = 4
"""A span is worth starting for about this many pages (each costs a partial page)."""


@dataclass
class Span:
    after: dt.datetime | None
    """Records modified after this instant (None: from the first) ..."""
    upto: dt.datetime | None
    """... up to and including this one (None: to the newest)."""
    done: bool = False

    def to_json(self) -> list[Any]:
        return [_iso(self.after), _iso(self.upto), self.done]

    @classmethod
    def from_json(cls, data: list[Any]) -> Span:
        after, upto, done = data
        return cls(_parse(after), _parse(upto), bool(done))


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _parse(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def estimate(oldest: dt.datetime, newest: dt.datetime, newest_page: list[dt.datetime]) -> int:
    """Records between `oldest` and `newest`, guessed from the newest page's density."""
    if len(newest_page) < 2:
        return len(newest_page)
    covered = (max(newest_page) - min(newest_page)).total_seconds()
    total = (newest - oldest).total_seconds()
    if covered <= 0:
        return len(newest_page) * 1000 if total > 0 else len(newest_page)
    return int(len(newest_page) * total / covered)


def cut(
    after: dt.datetime | None,
    oldest: dt.datetime,
    newest: dt.datetime,
    records: int,
    most: int,
) -> list[Span]:
    """Spans covering everything after `after`: even slices of [oldest, newest],
    the last one open-ended (it also catches what changes during the read)."""
    count = max(1, min(most, math.ceil(records / (PAGES_PER_SPAN * PER_PAGE))))
    width = (newest - oldest) / count
    if count == 1 or width < dt.timedelta(seconds=1):
        return [Span(after, None)]
    bounds = [(oldest + width * i).replace(microsecond=0) for i in range(1, count)]
    starts = [after, *bounds]
    ends: list[dt.datetime | None] = [*bounds, None]
    return [Span(a, b) for a, b in zip(starts, ends, strict=True)]
