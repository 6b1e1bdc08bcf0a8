"""Tolerant parsing of the values CRM exports and APIs really contain.

`2026/3/5`, `2026年3月5日`, `2026-03-05 10:00`, `¥1,234.50`, `1.2万`, `85%`,
`是`/`否`, `12:30` as a call duration: each function takes the text as it
came and returns a typed value, or raises `ValueError` with a short reason.
Empty cells become None. Fast paths go first; these run once per cell.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal
from zoneinfo import ZoneInfo

DateOrder = Literal["YMD", "MDY", "DMY"]

_EMPTY = frozenset({"", "-", "--", "—", "n/a", "N/A", "null", "NULL", "None", "无"})


def text(value: str | None) -> str | None:
    """Stripped text; empty and placeholder cells become None."""
    if value is None:
        return None
    value = value.strip()
    return None if value in _EMPTY else value


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# -- numbers -----------------------------------------------------------------

_CURRENCY_MARKS = (
    # longest first: "HK$" before "$", "US$" before "$"
    ("HK$", "HKD"),
    ("US$", "USD"),
    ("RMB", "CNY"),
    ("CNY", "CNY"),
    ("USD", "USD"),
    ("EUR", "EUR"),
    ("GBP", "GBP"),
    ("HKD", "HKD"),
    ("JPY", "JPY"),
    ("¥", "CNY"),
    ("￥", "CNY"),
    ("元", "CNY"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
)
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "k": Decimal(1000), "K": Decimal(1000)}
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def decimal(value: str | None) -> Decimal | None:
    """`1,234.50` `(12.5)` `85%` → 0.85, `1.2万` → 12000; no currency marks."""
    number, currency = number_and_currency(value)
    if currency is not None:
        raise ValueError(f"unexpected currency in number: {_clip(value or '')!r}")
    return number


def money(value: str | None, default_currency: str) -> tuple[Decimal | None, str | None]:
    """`¥1,234.50` → (1234.50, "CNY"); a bare number takes `default_currency`."""
    number, currency = number_and_currency(value)
    if number is None:
        return None, None
    return number, currency or default_currency


def number_and_currency(value: str | None) -> tuple[Decimal | None, str | None]:
    """`¥1,234.50` → (1234.50, "CNY"); `1,234.50` → (1234.50, None)."""
    try:
        number, currency = _number_and_currency(value)
    except ArithmeticError:  # decimal.Overflow and friends, from exponents like 1e999999999
        raise ValueError(f"number out of range: {_clip(value or '')!r}") from None
    if number is not None and number.adjusted() >= _MAX_DIGITS:
        raise ValueError(
            f"number out of range (at most {_MAX_DIGITS} digits before the point): "
            f"{_clip(value or '')!r}"
        )
    return number, currency


_MAX_DIGITS = 14
"""The store keeps numbers as NUMERIC(18, 4): 14 digits before the point."""


def _number_and_currency(value: str | None) -> tuple[Decimal | None, str | None]:
    v = text(value)
    if v is None:
        return None, None
    if _PLAIN_NUMBER.match(v):
        return Decimal(v), None
    original = v
    v = unicodedata.normalize("NFKC", v).replace(",", "").replace(" ", "").replace("_", "")
    negative = False
    if v.startswith("(") and v.endswith(")"):
        negative, v = True, v[1:-1]
    if v.startswith("-"):
        negative, v = not negative, v[1:]
    currency = None
    for mark, code in _CURRENCY_MARKS:
        if v.startswith(mark):
            currency, v = code, v[len(mark) :]
            break
        if v.endswith(mark):
            currency, v = code, v[: -len(mark)]
            break
    if v.startswith("-"):
        negative, v = not negative, v[1:]
    factor = Decimal(1)
    if v.endswith("%"):
        factor, v = Decimal("0.01"), v[:-1]
    elif v and v[-1] in _SCALE:
        factor, v = _SCALE[v[-1]], v[:-1]
    try:
        number = Decimal(v)
    except InvalidOperation:
        raise ValueError(f"not a number: {_clip(original)!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {_clip(original)!r}")
    number *= factor
    return (-number if negative else number), currency


def integer(value: str | None) -> int | None:
    number = decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {_clip(value or '')!r}")
    return int(number)


# -- booleans ----------------------------------------------------------------

_TRUE = frozenset(
    {"true", "t", "yes", "y", "1", "on", "active", "enabled"}
    | {"是", "对", "有", "在职", "启用", "正常", "同意", "√", "✓"}
)
_FALSE = frozenset(
    {"false", "f", "no", "n", "0", "off", "inactive", "disabled"}
    | {"否", "错", "无", "离职", "停用", "禁用", "拒绝", "不同意", "×", "✗"}
)


def boolean(value: str | None) -> bool | None:
    v = value.strip().lower() if value is not None else ""
    if v == "":
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"not yes/no: {_clip(value or '')!r}")


# -- dates and times ---------------------------------------------------------

_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_OTHER = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_TIME = re.compile(
    r"^(?:(上午|下午|凌晨|中午|晚上)\s*)?(\d{1,2})\s*"
    r"(?:[:：时点]\s*(?:(\d{1,2})\s*分?)?)?"
    r"(?:[:：]?\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒)?"
    r"(?:[:：](\d{1,2})(?:\.(\d{1,6}))?)?"
    r"\s*(?i:(am|pm))?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def date(value: str | None, order: DateOrder = "MDY") -> dt.date | None:
    """A calendar date. Year-first forms are always accepted; `order` says
    how to read `3/5/2026` (MDY: 5 March is `3/5/2026`)."""
    v = text(value)
    if v is None:
        return None
    if len(v) == 10 and v[4] == "-":
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    v = unicodedata.normalize("NFKC", v)
    m = _DATE_YMD.match(v) or _DATE_COMPACT.match(v)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = _DATE_OTHER.match(v)
        if m:
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            if order == "DMY":
                return dt.date(year, b, a)
            if order == "MDY":
                return dt.date(year, a, b)
            raise ValueError("year-first dates only (date_order = 'YMD')")
    except ValueError as exc:
        raise ValueError(f"not a date: {_clip(value or '')!r} ({exc})") from None
    raise ValueError(f"not a date: {_clip(value or '')!r}")


def datetime(value: str | None, tz: ZoneInfo, order: DateOrder = "MDY") -> dt.datetime | None:
    """An aware datetime. A value without an offset is local time in `tz`;
    a bare date means midnight local time."""
    v = text(value)
    if v is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(v)
    except ValueError:
        parsed = _datetime_slow(v, order)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        parsed.astimezone(dt.UTC)  # 0001-01-01 in UTC+8 is before year 1 in UTC
    except OverflowError:
        raise ValueError(f"date and time out of range: {_clip(value or '')!r}") from None
    return parsed


def _datetime_slow(value: str, order: DateOrder) -> dt.datetime:
    v = unicodedata.normalize("NFKC", value).strip()
    date_part, _, time_part = v.replace("T", " ", 1).partition(" ")
    if not time_part and "日" in date_part and not date_part.endswith("日"):
        date_part, _, time_part = date_part.partition("日")
        date_part += "日"
    day = date(date_part, order)
    if day is None:
        raise ValueError(f"not a date and time: {_clip(value)!r}")
    time_part = time_part.strip()
    if not time_part:
        return dt.datetime(day.year, day.month, day.day)
    m = _TIME.match(time_part)
    if not m:
        raise ValueError(f"not a time: {_clip(value)!r}")
    half, hour, minute, cn_second, cn_fraction, second, fraction, ampm, offset = m.groups()
    second, fraction = second or cn_second, fraction or cn_fraction
    h = int(hour)
    if (half in ("下午", "晚上") or (ampm or "").lower() == "pm") and h < 12:
        h += 12
    if (half == "凌晨" or (ampm or "").lower() == "am") and h == 12:
        h = 0
    micro = int((fraction or "0").ljust(6, "0"))
    tzinfo = None
    if offset:
        tzinfo = dt.UTC if offset == "Z" else _offset(offset)
    try:
        return dt.datetime(
            day.year, day.month, day.day, h, int(minute or 0), int(second or 0), micro, tzinfo
        )
    except ValueError:
        raise ValueError(f"not a time: {_clip(value)!r}") from None


def _offset(text_offset: str) -> dt.timezone:
    sign = -1 if text_offset[0] == "-" else 1
    digits = text_offset[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def epoch_millis(value: int | str | None) -> dt.datetime | None:
    """Milliseconds since the epoch (Fxiaoke, many JS-backed APIs) → UTC."""
    if value is None or value == "":
        return None
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"not a time in epoch milliseconds: {_clip(str(value))!r}") from None


_DURATION_UNITS = re.compile(
    r"(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|小时|时|m|min|mins|minute|minutes|分钟|分|s|sec|secs|second|seconds|秒)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "小": 3600, "时": 3600, "分": 60, "秒": 1}


def duration_seconds(value: str | None, bare_unit: Literal["s", "min"] = "s") -> int | None:
    """`90`, `01:30` (mm:ss), `1:02:03`, `5分钟`, `1h 30m` → seconds."""
    try:
        seconds = _duration_seconds(value, bare_unit)
    except ArithmeticError:
        seconds = _MAX_SECONDS
    if seconds is not None and not -_MAX_SECONDS < seconds < _MAX_SECONDS:
        raise ValueError(f"duration out of range: {_clip(value or '')!r}")
    return seconds


_MAX_SECONDS = 2**31
"""About 68 years: anything longer is a typo, and would not fit the column."""


def _duration_seconds(value: str | None, bare_unit: Literal["s", "min"]) -> int | None:
    v = text(value)
    if v is None:
        return None
    v = unicodedata.normalize("NFKC", v)
    if _PLAIN_NUMBER.match(v):
        seconds = Decimal(v) * (60 if bare_unit == "min" else 1)
        return int(seconds.to_integral_value())
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", v):
        total = 0
        for part in v.split(":"):
            total = total * 60 + int(part)
        return total
    parts = _DURATION_UNITS.findall(v)
    if parts and _DURATION_UNITS.sub("", v).strip() == "":
        return int(sum(Decimal(n) * _UNIT_SECONDS[u[0].lower()] for n, u in parts))
    raise ValueError(f"not a duration: {_clip(value or '')!r}")
