from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hub.periods import parse_period, period_of


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-Q3", "2026-07-01", "2026-09-30", "2026-Q3"),
        ("2026Q1", "2026-01-01", "2026-03-31", "2026-Q1"),
        ("2026年第三季度", "2026-07-01", "2026-09-30", "2026-Q3"),
        ("2026-07", "2026-07-01", "2026-07-31", "2026-07"),
        ("2026年2月", "2026-02-01", "2026-02-28", "2026-02"),
        ("2024-02", "2024-02-01", "2024-02-29", "2024-02"),
        ("2026-H2", "2026-07-01", "2026-12-31", "2026-H2"),
        ("2026年上半年", "2026-01-01", "2026-06-30", "2026-H1"),
        ("2026", "2026-01-01", "2026-12-31", "2026"),
    ],
)
def test_parse(text: str, start: str, end: str, label: str) -> None:
    p = parse_period(text)
    assert (p.start.isoformat(), p.end.isoformat(), p.label) == (start, end, label)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "next quarter", ""])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        parse_period(text)


def test_quarter_boundary_is_local_midnight() -> None:
    start, end = parse_period("2026-Q3").bounds(ZoneInfo("Asia/Shanghai"))
    assert start == dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 9, 30, 16, 0, tzinfo=dt.UTC)
    late_order = dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    assert start <= late_order < end


def test_period_of_and_months() -> None:
    q = period_of(dt.date(2026, 8, 15), "quarter")
    assert q.label == "2026-Q3"
    assert [m.label for m in q.months()] == ["2026-07", "2026-08", "2026-09"]
