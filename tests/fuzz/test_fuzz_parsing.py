"""Every parser in `hub.adapters.parsing`, fed anything a CRM export or API
could hold: it returns a typed value or raises ValueError with one short line
(which becomes a reject naming the file, line and column). Nothing else may
escape: any other exception fails the whole stream instead of one row.

Round trips check that well-formed values are read back exactly."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hub.adapters import parsing

pytestmark = pytest.mark.fuzz

ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles"), ZoneInfo("UTC")]

# what real cells are made of, so the fuzzer reaches past the first check
PIECES = st.sampled_from(
    [
        *"0123456789",
        *"+-.,_ eE%()/:年月日时分秒万亿kK",
        "¥",
        "￥",
        "$",
        "US$",
        "HK$",
        "€",
        "£",
        "元",
        "RMB",
        "CNY",
        "USD",
        "JPY",
        "1,234",
        "1.5",
        "-",
        "--",
        "(",
        ")",
        "1e999999999",
        "9" * 30,
        "2026",
        "-03-",
        "05",
        "T",
        "Z",
        "+08:00",
        "上午",
        "下午",
        "am",
        "pm",
        "0001-01-01",
        "9999-12-31",
        "12:30",
        "23:59:59.999999",
        "h",
        "m",
        "s",
        "min",
        "小时",
        "分钟",
        "是",
        "否",
        "true",
        "no",
        "\x00",
        "\ufeff",
        "\u3000",
        "１２３",
    ]
)
CELLS = st.one_of(
    st.text(max_size=40),
    st.lists(PIECES, max_size=8).map("".join),
    st.from_regex(r"\A[+-]?\d{1,25}([.,]\d{0,8})?([eE][+-]?\d{1,12})?\Z"),
)


def is_one_line_reason(exc: ValueError) -> bool:
    message = str(exc)
    return bool(message) and "\n" not in message and "\r" not in message and len(message) <= 200


ORDERS = ("YMD", "MDY", "DMY")


def pick(options: tuple[Any, ...] | list[Any], choice: int) -> Any:
    return options[choice % len(options)]


# public parser -> how to call it with one cell (and a choice among its options)
CALLS: dict[str, Callable[[str, int], Any]] = {
    "text": lambda cell, c: parsing.text(cell),
    "decimal": lambda cell, c: parsing.decimal(cell, decimal_comma=c % 2 == 1),
    "money": lambda cell, c: parsing.money(cell, pick(("CNY", "USD"), c), decimal_comma=c % 4 >= 2),
    "number_and_currency": lambda cell, c: parsing.number_and_currency(
        cell, decimal_comma=c % 2 == 1
    ),
    "integer": lambda cell, c: parsing.integer(cell),
    "boolean": lambda cell, c: parsing.boolean(cell),
    "date": lambda cell, c: parsing.date(cell, pick(ORDERS, c)),
    "datetime": lambda cell, c: parsing.datetime(cell, pick(ZONES, c), pick(ORDERS, c // 3)),
    "epoch_millis": lambda cell, c: parsing.epoch_millis(cell),
    "duration_seconds": lambda cell, c: parsing.duration_seconds(cell, pick(("s", "min"), c)),
}


def public_parsers() -> list[str]:
    return sorted(
        name
        for name, value in inspect.getmembers(parsing, inspect.isfunction)
        if not name.startswith("_") and value.__module__ == parsing.__name__
    )


def test_every_public_parser_is_fuzzed() -> None:
    missing = set(public_parsers()) - set(CALLS)
    assert not missing, f"add these parsers to CALLS in {__file__}: {sorted(missing)}"


def checked(value: Any) -> None:
    """What a parser returns must be storable: finite numbers, aware
    datetimes that exist in UTC, dates in range."""
    if isinstance(value, tuple):
        for part in value:
            checked(part)
    elif isinstance(value, Decimal):
        assert value.is_finite()
    elif isinstance(value, dt.datetime):
        assert value.tzinfo is not None
        value.astimezone(dt.UTC)  # must not overflow
    elif isinstance(value, int) and not isinstance(value, bool):
        assert -(2**63) <= value < 2**63  # fits a BIGINT column


@pytest.mark.parametrize("name", sorted(CALLS))
@given(cell=CELLS, choice=st.integers(min_value=0, max_value=8))
@example(cell="0001-01-01", choice=0)
@example(cell="0001-01-01 00:00", choice=0)
@example(cell="9999-12-31 23:59:59", choice=1)
@example(cell="1e999999999", choice=0)
@example(cell="9" * 400, choice=0)
@example(cell="99999999999999999", choice=0)
def test_a_parser_returns_a_value_or_one_line(name: str, cell: str, choice: int) -> None:
    try:
        value = CALLS[name](cell, choice)
    except ValueError as exc:
        assert is_one_line_reason(exc), (name, cell, str(exc))
        return
    checked(value)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_money_round_trip(value: Decimal) -> None:
    grouped = f"{value:,.2f}"
    assert parsing.money(grouped, "CNY") == (value, "CNY")
    assert parsing.money(f"¥{value:,.2f}" if value >= 0 else f"-¥{-value:,.2f}", "USD") == (
        value,
        "CNY",
    )
    assert parsing.decimal(str(value)) == value


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_integer_round_trip(value: int) -> None:
    assert parsing.integer(str(value)) == value


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_date_round_trip(day: dt.date) -> None:
    assert parsing.date(day.isoformat(), "YMD") == day
    assert parsing.date(f"{day.year}/{day.month}/{day.day}", "YMD") == day
    assert parsing.date(f"{day.year}年{day.month}月{day.day}日", "YMD") == day
    assert parsing.date(f"{day.month}/{day.day}/{day.year}", "MDY") == day
    assert parsing.date(f"{day.day}/{day.month}/{day.year}", "DMY") == day


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from(ZONES),
)
def test_datetime_round_trip(moment: dt.datetime, zone: ZoneInfo) -> None:
    parsed = parsing.datetime(moment.strftime("%Y-%m-%d %H:%M:%S"), zone, "YMD")
    assert parsed is not None and parsed.replace(tzinfo=None) == moment
    aware = moment.replace(tzinfo=dt.UTC)
    assert parsing.datetime(aware.isoformat(), zone, "YMD") == aware


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_epoch_millis_round_trip(millis: int) -> None:
    moment = parsing.epoch_millis(millis)
    assert moment is not None and round(moment.timestamp() * 1000) == millis


@given(st.integers(min_value=0, max_value=10**6))
def test_duration_round_trip(seconds: int) -> None:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    assert parsing.duration_seconds(str(seconds), "s") == seconds
    assert parsing.duration_seconds(f"{hours}:{minutes:02d}:{secs:02d}", "s") == seconds
