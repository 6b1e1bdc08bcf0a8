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
from decimal import Decimal
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
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_MARKS = "|".join(re.escape(mark) for mark, _ in _CURRENCY_MARKS)
_CODE_OF = dict(_CURRENCY_MARKS)
_NUMBER_SHAPE = (
    r"^(?P<open>\()?\s*(?P<sign1>[+-])?\s*(?:(?P<cur1>{marks})\s*)?(?P<sign2>[+-])?"
    r"(?P<int>{int})(?:{point}(?P<frac>[0-9]+))?"
    r"\s*(?P<scale>[万亿kK%])?\s*(?P<cur2>{marks})?\s*(?P<close>\))?$"
)
_POINT_NUMBER = re.compile(
    _NUMBER_SHAPE.format(marks=_MARKS, int=r"[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+", point=r"\.")
)
_COMMA_NUMBER = re.compile(
    _NUMBER_SHAPE.format(
        marks=_MARKS,
        int=r"[1-9][0-9]{0,2}(?P<sep>[. \u00a0\u202f])[0-9]{3}(?:(?P=sep)[0-9]{3})*|[0-9]+",
        point=",",
    )
)


def decimal(value: str | None, *, decimal_comma: bool = False) -> Decimal | None:
    """`1,234.50` `(12.5)` `85%` → 0.85, `1.2万` → 12000; no currency marks."""
    number, currency = number_and_currency(value, decimal_comma=decimal_comma)
    if currency is not None:
        raise ValueError(f"unexpected currency in number: {_clip(value or '')!r}")
    return number


def money(
    value: str | None, default_currency: str, *, decimal_comma: bool = False
) -> tuple[Decimal | None, str | None]:
    """`¥1,234.50` → (1234.50, "CNY"); a bare number takes `default_currency`."""
    number, currency = number_and_currency(value, decimal_comma=decimal_comma)
    if number is None:
        return None, None
    return number, currency or default_currency


def number_and_currency(
    value: str | None, *, decimal_comma: bool = False
) -> tuple[Decimal | None, str | None]:
    """`¥1,234.50` → (1234.50, "CNY"); `1,234.50` → (1234.50, None).

    Strict, because a misread amount pays someone the wrong bonus: one sign
    (`-`, `+` or accounting parentheses), digits with thousands separators
    only in groups of three (`1,234,567.89`), one decimal separator, at most
    one currency symbol or code before or after, and `万`/`亿`/`k` or `%` at
    the end. `1,23`, `1 000,50`, `--5`, `1_000`, `1e5` are refused.
    `decimal_comma` reads `1.234,56` and `1 234,56` (and then refuses
    `1,234.56`): it is a per-column choice, never a guess.
    """
    v = text(value)
    if v is None:
        return None, None
    if not decimal_comma and _PLAIN_NUMBER.match(v):
        number = Decimal(v)
        if number.is_zero() and v.startswith("-"):
            raise ValueError(f"not a number: {_clip(v)!r} (a negative zero)")
        return number, None
    original = v
    v = unicodedata.normalize("NFKC", v)
    m = (_COMMA_NUMBER if decimal_comma else _POINT_NUMBER).match(v)
    if m is None:
        raise ValueError(f"not a number: {_clip(original)!r}{_number_hint(v, decimal_comma)}")
    signs = [g for g in (m["open"], m["sign1"], m["sign2"]) if g]
    if len(signs) > 1 or bool(m["open"]) != bool(m["close"]):
        raise ValueError(f"not a number: {_clip(original)!r} (one sign at most)")
    if m["cur1"] and m["cur2"]:
        raise ValueError(f"not a number: {_clip(original)!r} (two currency marks)")
    mark = m["cur1"] or m["cur2"]
    if mark and m["scale"] == "%":
        raise ValueError(f"not a number: {_clip(original)!r} (a percent with a currency)")
    digits = m["int"]
    digits = digits.translate(_GROUP_MARKS)
    number = Decimal(f"{digits}.{m['frac']}" if m["frac"] else digits)
    negative = signs in (["-"], ["("])
    if negative and number.is_zero():
        raise ValueError(f"not a number: {_clip(original)!r} (a negative zero)")
    scale = m["scale"]
    if scale == "%":
        number *= Decimal("0.01")
    elif scale:
        number *= _SCALE[scale]
    return (-number if negative else number), (_CODE_OF[mark] if mark else None)


_GROUP_MARKS = str.maketrans("", "", ",. \u00a0\u202f")


def _number_hint(v: str, decimal_comma: bool) -> str:
    """Why a number-like value is refused, when the reason is a common one."""
    if re.search(r"[0-9][eE][+-]?[0-9]", v):
        return " (no exponents)"
    bare = re.sub(_MARKS, "", v)
    if not re.fullmatch(r"[0-9,.\s+\-()万亿kK%]*", bare):
        return ""  # letters or other marks: the value itself says what is wrong
    if not decimal_comma and re.search(r"[0-9],[0-9]{1,2}$", v):
        return " (a decimal comma? thousands separators go in groups of three)"
    if "," in v or "." in v or " " in v.strip():
        return " (thousands separators go in groups of three, one decimal separator)"
    return ""


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


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates outside these years are refused: `0001-01-01` and `9999-12-31` are
"no date" placeholders of other systems, not days anything happened, and
year 1 overflows when moved to UTC."""


def _in_range(day: dt.date, value: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(
            f"not a date: {_clip(value)!r} (year {day.year} is outside {FIRST_YEAR}–{LAST_YEAR})"
        )


def date(value: str | None, order: DateOrder = "MDY") -> dt.date | None:
    """A calendar date. Year-first forms are always accepted; `order` says
    how to read `3/5/2026` (MDY: 5 March is `3/5/2026`)."""
    v = text(value)
    if v is None:
        return None
    day = _date(v, value or "", order)
    _in_range(day, value or "")
    return day


def _date(v: str, value: str, order: DateOrder) -> dt.date:
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
    _in_range(parsed, v)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
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
