"""Tolerant parsing of what exports really contain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from hub.adapters import parsing

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "number", "currency"),
    [
        ("1234.50", Decimal("1234.50"), None),
        ("1,234.50", Decimal("1234.50"), None),
        ("¥1,234.50", Decimal("1234.50"), "CNY"),
        ("￥1,234.50", Decimal("1234.50"), "CNY"),
        ("1,234.50元", Decimal("1234.50"), "CNY"),
        ("RMB 88", Decimal("88"), "CNY"),
        ("$12,500.00", Decimal("12500.00"), "USD"),
        ("US$10", Decimal("10"), "USD"),
        ("HK$10", Decimal("10"), "HKD"),
        ("-¥3.5", Decimal("-3.5"), "CNY"),
        ("(12.50)", Decimal("-12.50"), None),
        ("85%", Decimal("0.85"), None),
        ("1.2万", Decimal("12000"), None),
        ("３亿", Decimal("300000000"), None),
        ("１２３", Decimal("123"), None),
        ("", None, None),
        ("  ", None, None),
        ("-", None, None),
    ],
)
def test_numbers_and_money(text: str, number: Decimal | None, currency: str | None) -> None:
    assert parsing.number_and_currency(text) == (number, currency)


def test_money_defaults_the_currency() -> None:
    assert parsing.money("12", "CNY") == (Decimal("12"), "CNY")
    assert parsing.money("$12", "CNY") == (Decimal("12"), "USD")
    assert parsing.money("", "CNY") == (None, None)


@pytest.mark.parametrize("text", ["abc", "12,3O0.00", "1.2.3", "NaN", "Infinity"])
def test_bad_numbers_name_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parsing.decimal(text)


def test_decimal_refuses_currency_marks() -> None:
    with pytest.raises(ValueError, match="unexpected currency"):
        parsing.decimal("¥5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", dt.date(2026, 3, 5)),
        ("2026/3/5", dt.date(2026, 3, 5)),
        ("2026.3.5", dt.date(2026, 3, 5)),
        ("2026年3月5日", dt.date(2026, 3, 5)),
        ("20260305", dt.date(2026, 3, 5)),
        ("3/5/2026", dt.date(2026, 3, 5)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert parsing.date(text) == expected


def test_date_order_is_configurable() -> None:
    assert parsing.date("3/5/2026", "DMY") == dt.date(2026, 5, 3)
    with pytest.raises(ValueError, match="year-first"):
        parsing.date("3/5/2026", "YMD")
    with pytest.raises(ValueError, match="not a date"):
        parsing.date("2026-13-45")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05 10:00", dt.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)),
        ("2026/3/5 10:00", dt.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)),
        ("2026/3/5 下午2:30", dt.datetime(2026, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2026年3月5日 10时30分", dt.datetime(2026, 3, 5, 10, 30, tzinfo=SHANGHAI)),
        ("3/5/2026 10:00 PM", dt.datetime(2026, 3, 5, 22, 0, tzinfo=SHANGHAI)),
        ("2026-03-05", dt.datetime(2026, 3, 5, 0, 0, tzinfo=SHANGHAI)),
        ("2026-03-05T02:00:00Z", dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)),
        ("2026/3/5 10:00:00+00:00", dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC)),
    ],
)
def test_datetimes_are_local_unless_they_say(text: str, expected: dt.datetime) -> None:
    parsed = parsing.datetime(text, SHANGHAI)
    assert parsed == expected and parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["2026/3/5 25:00", "yesterday", "2026-02-30 10:00"])
def test_bad_datetimes(text: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parsing.datetime(text, SHANGHAI)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("01:30", 90),
        ("1:02:03", 3723),
        ("5分钟", 300),
        ("1h 30m", 5400),
        ("2分30秒", 150),
        ("", None),
    ],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert parsing.duration_seconds(text) == seconds


def test_booleans() -> None:
    assert [parsing.boolean(v) for v in ["yes", "是", "在职", "N", "否", "离职", ""]] == [
        True,
        True,
        True,
        False,
        False,
        False,
        None,
    ]
    with pytest.raises(ValueError, match="not yes/no"):
        parsing.boolean("maybe")


def test_epoch_millis_is_utc() -> None:
    assert parsing.epoch_millis(1790000000000) == dt.datetime(
        2026, 9, 21, 14, 13, 20, tzinfo=dt.UTC
    )
    assert parsing.epoch_millis("") is None
