"""Per-call cost of hot helpers of the ingest path, against proposed replacements.

Each pair is checked to give identical results on the sample inputs before
it is timed, so a proposal here is a drop-in change. The inputs are cells
and values as the generated activities file has them.

    .venv/bin/python bench/micro_ingest.py
"""

from __future__ import annotations

import datetime as dt
import json
import re
import timeit
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hub.adapters import parsing
from hub.store.types import _json_default, _sqlite_datetime, json_writer

SHANGHAI = ZoneInfo("Asia/Shanghai")

# -- datetimes as the store writes them on SQLite ------------------------------


def sqlite_datetime_proposed(value: dt.datetime | None) -> str | None:
    """Same text, without building a naive copy first."""
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]


# -- JSON of `extra` -------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default, separators=(",", ":"))


def json_writer_proposed(value: Any) -> str | None:
    """One encoder for the whole run instead of one per call; `{}` costs nothing."""
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return _ENCODER.encode(value)


# -- date and time cells ------------------------------------------------------------

_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))?")


def datetime_proposed(value: str | None, tz: ZoneInfo) -> dt.datetime | None:
    """A second fast path for `2026/3/5 10:00`, the other common export style."""
    v = parsing.text(value)
    if v is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(v)
    except ValueError:
        m = _SLASHED.fullmatch(v)
        if m is None:
            return parsing.datetime(v, tz, "YMD")
        y, mo, d, h, mi, s = m.groups()
        parsed = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _datetime_current(value: str) -> dt.datetime | None:
    return parsing.datetime(value, SHANGHAI, "YMD")


def _datetime_proposed(value: str) -> dt.datetime | None:
    return datetime_proposed(value, SHANGHAI)


# -- the comparison -------------------------------------------------------------------

_NOW = dt.datetime(2026, 3, 5, 2, 0, 0, tzinfo=dt.UTC)
CASES: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], list[Any], float]] = [
    # (name, current, proposed, inputs, calls per activity row)
    (
        "_sqlite_datetime (store/types.py)",
        _sqlite_datetime,
        sqlite_datetime_proposed,
        [_NOW, None, None, _NOW.replace(microsecond=120), None],
        10,
    ),
    (
        "json_writer of extra (store/types.py)",
        json_writer,
        json_writer_proposed,
        [{}, {"跟进渠道": "企业微信"}, {"跟进渠道": "Web"}],
        1,
    ),
    (
        "parsing.datetime of a cell (adapters/parsing.py)",
        _datetime_current,
        _datetime_proposed,
        # the mix of styles the generator writes (see generate._stamp)
        ["2024-12-12 17:25"] * 45
        + ["2024/4/8 08:15"] * 25
        + ["2024-12-12 17:25:00"] * 10
        + ["2025-05-28T16:35:00+08:00"] * 8
        + ["2025年5月28日 18:35"] * 5
        + ["2024-12-12"] * 7,
        1.8,  # occurred_at and logged_at; created/updated are plain ISO (already fast)
    ),
]


def main() -> None:
    print(f"{'helper':<50} {'now µs':>8} {'new µs':>8} {'saved µs/row':>13}")
    for name, current, proposed, inputs, per_row in CASES:
        for value in inputs:
            assert current(value) == proposed(value), (name, value)
        number = 20_000 // len(inputs) + 1

        def run(fn: Callable[[Any], Any], values: list[Any] = inputs) -> None:
            for value in values:
                fn(value)

        now = min(timeit.repeat(lambda c=current: run(c), number=number, repeat=5))
        new = min(timeit.repeat(lambda p=proposed: run(p), number=number, repeat=5))
        calls = number * len(inputs)
        now_us, new_us = now / calls * 1e6, new / calls * 1e6
        print(f"{name:<50} {now_us:8.2f} {new_us:8.2f} {(now_us - new_us) * per_row:13.2f}")


if __name__ == "__main__":
    main()
