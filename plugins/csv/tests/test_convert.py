"""Column-wise converters give exactly what the row parser gives, value by value.

A seeded generator makes dirty cells from the pieces real exports are made of
(digits, separators, currency marks, 万, signs, Chinese date words, odd
spaces, placeholders, broken variants of each). Every converter runs over
`HUB_CONVERT_VALUES` cells (5,000 in CI, a few seconds; the long run before
a release sets it to 100000 or more, see the plugin's README) and must agree with the row
parser on each: the same value, or an error with the same reason.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hub_csv import convert

from hub.adapters import parsing

COUNT = int(os.environ.get("HUB_CONVERT_VALUES", "5000"))
SEED = int(os.environ.get("HUB_CONVERT_SEED", "20261203"))
ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")]

SPACES = [" ", "  ", "\t", "\u3000", "\xa0", "\u2009", "\x1f", ""]
PLACEHOLDERS = ["", "-", "--", "n/a", "N/A", "null", "None", "无", "—"]


class Dirty:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, *options: Any) -> Any:
        return self.rng.choice(options)

    def digits(self, low: int = 1, high: int = 6) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(low, high)))

    def wrap(self, core: str) -> str:
        """Mostly clean; sometimes spaces around, a placeholder, or a broken character."""
        roll = self.rng.random()
        if roll < 0.75:
            return core
        if roll < 0.85:
            return self.pick(*SPACES) + core + self.pick(*SPACES)
        if roll < 0.9:
            return self.pick(*PLACEHOLDERS)
        i = self.rng.randint(0, len(core))
        return core[:i] + self.pick("x", ",", ".", "-", "０", "O", "e5", "\u3000", "'") + core[i:]

    def number(self) -> str:
        whole = self.pick(
            self.digits(1, 3),
            self.digits(1, 14),
            f"{self.rng.randint(1, 999)},{self.digits(3, 3)}",
            f"{self.rng.randint(1, 999)},{self.digits(3, 3)},{self.digits(3, 3)}",
            f"{self.rng.randint(1, 99)},{self.digits(1, 4)}",  # a broken group
            "0",
            "-0",
        )
        frac = self.pick("", "", f".{self.digits(1, 2)}", f".{self.digits(1, 6)}", ".", ",5")
        return whole + frac

    def money(self) -> str:
        sign = self.pick("", "", "", "-", "+", "--", "(")
        mark = self.pick("", "", "¥", "￥", "$", "US$", "HK$", "RMB", "RMB ", "€", "CNY ")
        tail = self.pick("", "", "", "万", "亿", "%", "元", "k", " USD", "万元")
        core = sign + mark + self.number() + tail + (")" if sign == "(" else "")
        return self.wrap(core)

    def date(self) -> str:
        year = self.pick(
            str(self.rng.randint(1890, 3010)),
            *("2026", "2025", "2024", "2000", "1900", "2100", "2037", "2038", "0001", "9999"),
        )
        month, day = str(self.rng.randint(0, 13)), str(self.rng.randint(0, 32))
        if self.rng.random() < 0.5:
            month, day = month.zfill(2), day.zfill(2)
        style = self.rng.randint(0, 8)
        if style <= 2:
            core = f"{year}-{month}-{day}"
        elif style == 3:
            core = f"{year}/{month}/{day}"
        elif style == 4:
            core = f"{year}年{month}月{day}" + self.pick("日", "日", "")
        elif style == 5:
            core = f"{month}/{day}/{year}"
        elif style == 6:
            core = f"{year}{month.zfill(2)}{day.zfill(2)}"
        else:  # dots, mixed separators
            core = f"{year}{self.pick('.', '-', '/')}{month}{self.pick('.', '/', '月')}{day}"
        return self.wrap(core)

    def datetime(self) -> str:
        day = self.date()
        hour, minute = self.rng.randint(0, 25), self.rng.randint(0, 61)
        second = self.rng.randint(0, 61)
        clock = self.pick(
            "",
            f" {hour}:{minute:02d}",
            f" {hour:02d}:{minute:02d}:{second:02d}",
            f"T{hour:02d}:{minute:02d}:{second:02d}",
            f" {hour:02d}:{minute:02d}:{second:02d}+08:00",
            f"T{hour:02d}:{minute:02d}Z",
            f" 下午{hour % 13}:{minute:02d}",
            f" {hour % 13}:{minute:02d} PM",
            f" {hour:02d}:{minute:02d}:{second:02d}.{self.digits(1, 6)}",
            f"T{hour:02d}:{minute:02d}",
            f" {hour:02d}:{minute:02d}-05:30",
            f"T{hour:02d}:{minute:02d}:{second:02d}Z",
            f"T{hour:02d}:{minute:02d}:{second:02d}+{self.rng.randint(0, 25):02d}:{minute:02d}",
            f"{hour:02d}:{minute:02d}",  # right after the day (`2026年3月5日10:00`)
            f" {hour}:{minute}",
        )
        return day + clock

    def boolean(self) -> str:
        word = self.pick(
            *sorted(parsing._TRUE | parsing._FALSE), "maybe", "2", "YES", "Yes", "TRUE"
        )
        return self.wrap(word)

    def duration(self) -> str:
        core = self.pick(
            self.digits(1, 5),
            f"{self.rng.randint(0, 99):02d}:{self.rng.randint(0, 99):02d}",
            f"{self.rng.randint(0, 9)}:{self.rng.randint(0, 59):02d}:{self.rng.randint(0, 59):02d}",
            f"{self.rng.randint(0, 90)}分钟",
            f"{self.rng.randint(0, 5)}h {self.rng.randint(0, 59)}m",
            f"{self.digits(1, 3)}.{self.digits(1, 2)}",
        )
        return self.wrap(core)

    def text(self) -> str:
        return self.wrap(self.pick("Acme", "甲公司", "a b", "x", "N/A ", "\u3000甲\u3000", "é"))


def outcome(parse: Callable[[str], Any], cell: str) -> tuple[str, Any]:
    if not cell or cell.isspace():
        return ("value", None)  # the row mapper skips empty cells
    try:
        return ("value", parse(cell))
    except ValueError as exc:
        return ("error", str(exc))


def compare(cells: list[str], converted: convert.Converted, parse: Callable[[str], Any]) -> None:
    values = converted.values.to_pylist()
    mismatches = []
    for i, cell in enumerate(cells):
        want = outcome(parse, cell)
        got = ("error", converted.errors[i]) if i in converted.errors else ("value", values[i])
        if want != got:
            mismatches.append((cell, want, got))
    assert not mismatches, f"{len(mismatches)} of {len(cells)} differ, e.g. {mismatches[:5]}"


def cells(make: Callable[[Dirty], str], seed_offset: int) -> list[str]:
    dirty = Dirty(SEED + seed_offset)
    return [make(dirty) for _ in range(COUNT)]


def fit(value: Decimal | None) -> Decimal | None:
    """What the converter's column type holds: up to 10 decimals."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        raise ValueError(f"{value} has more than 4 decimals")
    return value


def test_money() -> None:
    column = cells(Dirty.money, 1)
    converted, codes = convert.money(pa.array(column))
    compare(column, converted, lambda c: fit(parsing.number_and_currency(c)[0]))
    currencies = codes.to_pylist()
    for i, cell in enumerate(column):
        if i not in converted.errors and cell.strip():
            assert currencies[i] == parsing.number_and_currency(cell)[1], cell


def test_money_with_a_decimal_comma() -> None:
    column = [
        c.replace(".", "§").replace(",", ".").replace("§", ",") for c in cells(Dirty.money, 2)
    ]
    converted, _ = convert.money(pa.array(column), decimal_comma=True)
    compare(column, converted, lambda c: fit(parsing.number_and_currency(c, decimal_comma=True)[0]))


def test_decimal() -> None:
    column = cells(Dirty.money, 3)
    compare(column, convert.decimal(pa.array(column)), lambda c: fit(parsing.decimal(c)))


def test_integer() -> None:
    column = cells(Dirty.money, 4)

    def row(cell: str) -> int | None:
        value = parsing.integer(cell)
        if value is not None and not -(2**63) <= value < 2**63:
            raise ValueError(f"{value} is too large a number")
        return value

    compare(column, convert.integer(pa.array(column)), row)


@pytest.mark.parametrize("order", ["YMD", "MDY", "DMY"])
def test_date(order: str) -> None:
    column = cells(Dirty.date, 5)
    compare(column, convert.date(pa.array(column), order), lambda c: parsing.date(c, order))


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_datetime(zone: ZoneInfo) -> None:
    column = cells(Dirty.datetime, 6)

    def row(cell: str) -> dt.datetime | None:
        value = parsing.datetime(cell, zone, "MDY")
        return None if value is None else value.astimezone(dt.UTC)

    compare(column, convert.datetime(pa.array(column), zone, "MDY"), row)


def test_datetimes_in_the_hours_a_dst_change_skips_or_repeats() -> None:
    zone = ZoneInfo("America/New_York")
    column = [f"2026-03-08 02:{m:02d}" for m in range(60)] + [
        f"2026-11-01 01:{m:02d}" for m in range(60)
    ]
    compare(
        column,
        convert.datetime(pa.array(column), zone),
        lambda c: parsing.datetime(c, zone).astimezone(dt.UTC),
    )


@pytest.mark.parametrize("last", [2037, 2999])
def test_the_iso_day_pattern_takes_exactly_the_days_that_exist(last: int) -> None:
    days = [
        f"{y}-{m:02d}-{d:02d}"
        for y in range(1000, 3200)
        for m in (0, 1, 2, 4, 12, 13)
        for d in (0, 1, 28, 29, 30, 31, 32)
    ]
    matched = convert._regex(pa.array(days), f"^{convert._iso_day(last)}$").to_pylist()

    def exists(text: str) -> bool:
        try:
            return 1900 <= dt.date.fromisoformat(text).year <= last
        except ValueError:
            return False

    assert matched == [exists(d) for d in days]


def test_boolean() -> None:
    column = cells(Dirty.boolean, 7)
    compare(column, convert.boolean(pa.array(column)), parsing.boolean)


@pytest.mark.parametrize("unit", ["s", "min"])
def test_duration(unit: str) -> None:
    column = cells(Dirty.duration, 8)
    compare(
        column,
        convert.duration_seconds(pa.array(column), unit),
        lambda c: parsing.duration_seconds(c, unit),
    )


def test_text() -> None:
    column = cells(Dirty.text, 9)
    compare(column, convert.text(pa.array(column)), parsing.text)


def test_most_clean_cells_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the converters: the row parser sees only the rare cells."""
    calls = []
    real = parsing.number_and_currency
    monkeypatch.setattr(
        parsing, "number_and_currency", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    column = pa.array(["¥1,234.50", "1.2万", "85%", "$99.90", "1234.5", "-5"] * 1000)
    converted, codes = convert.money(column)
    assert not calls and not converted.errors
    assert converted.values[1].as_py() == Decimal("12000") and codes[0].as_py() == "CNY"


def test_the_common_date_and_time_layouts_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    for name in ("date", "datetime"):
        real = getattr(parsing, name)
        monkeypatch.setattr(
            parsing,
            name,
            lambda cell, *a, real=real, **k: calls.append(cell) or real(cell, *a, **k),
        )
    times = [
        "2026-03-05 10:00",
        "2026-03-05T10:00:00+08:00",
        "2026/3/5 9:05",
        "2025年3月30日 18:05",
    ]
    column = pa.array([*times, "2024-02-29", "", "2026-03-05T10:00Z", "2026.3.5"] * 500)
    converted = convert.datetime(column, ZoneInfo("Asia/Shanghai"), "YMD")
    assert not calls and not converted.errors
    assert converted.values.null_count == 500
    assert converted.values[1].as_py() == dt.datetime(2026, 3, 5, 2, tzinfo=dt.UTC)
    assert converted.values[2].as_py() == dt.datetime(2026, 3, 5, 1, 5, tzinfo=dt.UTC)
    days = convert.date(pa.array(["2026-03-05", "2026/3/5", "2026年3月5日", "", "2024.2.29"] * 500))
    assert not calls and not days.errors
    assert days.values[4].as_py() == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    "cells", [["", "", ""], ["", " ", "\u3000"], []], ids=["empty", "blank", "none"]
)
def test_blank_columns_are_null(cells: list[str]) -> None:
    zone = ZONES[0]
    column = pa.array(cells, pa.string())
    results = [
        convert.money(column)[0],
        convert.decimal(column),
        convert.integer(column),
        convert.boolean(column),
        convert.date(column),
        convert.datetime(column, zone),
        convert.duration_seconds(column),
        convert.text(column),
    ]
    for converted in results:
        assert converted.values.to_pylist() == [None] * len(cells) and not converted.errors
    assert convert.money(column)[1].to_pylist() == [None] * len(cells)
