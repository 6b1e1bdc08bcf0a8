"""Business periods: `2026`, `2026-H1`, `2026-Q3`, `2026-07` (and their Chinese forms).

A period is a pair of calendar dates (inclusive) in the company's time zone;
`bounds(tz)` turns it into the UTC instants that SQL filters use, so an order
at 23:30 on 30 September in Shanghai belongs to Q3 whatever its UTC date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_YEAR = re.compile(r"^(\d{4})\s*年?(度)?$")
_HALF = re.compile(r"^(\d{4})\s*[-/ ]?\s*(?:H([12])|年?\s*([上下])半年)$", re.I)
_QUARTER = re.compile(
    r"^(\d{4})\s*[-/ ]?\s*(?:Q([1-4])|年?\s*第?([一二三四1-4])季度?|年?\s*Q([1-4]))$", re.I
)
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    """Last day, inclusive."""
    label: str

    @property
    def kind(self) -> str:
        if "Q" in self.label:
            return "quarter"
        if "H" in self.label:
            return "half"
        return "month" if "-" in self.label else "year"

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as UTC instants: local midnight to the next local midnight."""
        start = dt.datetime.combine(self.start, dt.time(), tz).astimezone(dt.UTC)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
        return start, end

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[Period]:
        """The calendar months the period covers."""
        out = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(month_period(year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return first_next - dt.timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    return Period(dt.date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    return Period(dt.date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{quarter}")


def half_period(year: int, half: int) -> Period:
    first = 1 if half == 1 else 7
    return Period(dt.date(year, first, 1), _month_end(year, first + 5), f"{year}-H{half}")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}")


def parse_period(text: str) -> Period:
    """`2026-Q3`, `2026Q3`, `2026年第三季度`, `2026-07`, `2026年7月`, `2026-H1`,
    `2026年上半年`, `2026` → Period. Raises ValueError otherwise."""
    value = unicodedata.normalize("NFKC", text).strip()
    if m := _QUARTER.match(value):
        q = m[2] or m[3] or m[4]
        return quarter_period(int(m[1]), _CN_NUMBERS[q])
    if m := _HALF.match(value):
        half = int(m[2]) if m[2] else (1 if m[3] == "上" else 2)
        return half_period(int(m[1]), half)
    if m := _MONTH.match(value):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"not a period: {text!r} (month {month})")
        return month_period(int(m[1]), month)
    if m := _YEAR.match(value):
        return year_period(int(m[1]))
    raise ValueError(f"not a period: {text!r} (use e.g. 2026-Q3, 2026-07, 2026-H1 or 2026)")


def period_of(day: dt.date, kind: str) -> Period:
    """The period of the given kind (month, quarter, half, year) containing `day`."""
    if kind == "month":
        return month_period(day.year, day.month)
    if kind == "quarter":
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if kind == "half":
        return half_period(day.year, 1 if day.month <= 6 else 2)
    if kind == "year":
        return year_period(day.year)
    raise ValueError(f"unknown period kind {kind!r}")
