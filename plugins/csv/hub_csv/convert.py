"""Column-wise conversions of CSV text, with the very results of `hub.adapters.parsing`.

Each converter takes a whole column of cells (a pyarrow string array) and
returns the typed column plus the reason for each cell that does not convert.
The common shapes (`2026-03-05`, `2026/3/5 10:00`, `¥1,234.50`, `1.2万`,
`85%`, `是`, `05:30`) are matched and converted by Arrow's compute kernels,
with no Python per cell; every other cell — rare spellings, placeholders,
errors — goes through the row parser itself, one cell at a time. So the
results are those of the row parser by construction for the rare cells, and
by the property test (`tests/test_convert.py`, ≥ 100k random dirty values per
converter) for the common ones.

Empty and whitespace-only cells are null, as the row mapper skips them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from hub.adapters import parsing

NUMBER = pa.decimal128(38, 10)
_FAST_NUMBER = pa.decimal128(24, 10)  # 14 digits and 4 decimals, times 亿, still fit NUMBER
"""Wide enough for every value the row parser gives that the model could keep."""
TIMESTAMP = pa.timestamp("us", tz="UTC")

# Python's str.strip() whitespace, as an RE2 class (RE2's \s is ASCII only)
_WS = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\x{1680}\\x{2000}-\\x{200a}"
    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"
)
_BLANK = f"^[{_WS}]*$"


def null_as_false(mask: pa.Array) -> pa.Array:
    """Null as False (much cheaper than fill_null on booleans)."""
    return pc.and_kleene(pc.is_valid(mask), mask)


def null_as_true(mask: pa.Array) -> pa.Array:
    return pc.or_kleene(pc.is_null(mask), mask)


def _filled(parts: pa.Array, defaults: dict[str, str]) -> pa.StructArray:
    """Null matches filled field by field (fill_null on a struct is slow)."""
    fields = [pc.fill_null(pc.struct_field(parts, name), value) for name, value in defaults.items()]
    return pa.StructArray.from_arrays(fields, names=list(defaults))


@dataclass
class Converted:
    values: pa.Array
    errors: dict[int, str] = field(default_factory=dict)
    """Row index in the column -> why its cell does not convert."""


def _blank(column: pa.Array) -> pa.Array:
    return null_as_true(pc.match_substring_regex(column, _BLANK))


def _finish(
    column: pa.Array,
    fast: pa.Array,
    fast_ok: pa.Array,
    out_type: pa.DataType,
    parse: Callable[[str], Any],
    to_arrow: Callable[[Any], Any] = lambda v: v,
) -> Converted:
    """Fast values where `fast_ok`; the row parser for every other non-blank cell."""
    fast_ok = null_as_false(fast_ok)
    slow = pc.and_not(pc.invert(_blank(column)), fast_ok)
    errors: dict[int, str] = {}
    result = pc.if_else(fast_ok, fast.cast(out_type), pa.scalar(None, out_type))
    if pc.any(slow).as_py():
        indices = pc.indices_nonzero(slow).to_pylist()
        cells = column.take(pa.array(indices)).to_pylist()
        patch: list[Any] = [None] * len(column)
        for i, cell in zip(indices, cells, strict=True):
            try:
                value = parse(cell)
                patch[i] = None if value is None else to_arrow(value)
            except ValueError as exc:
                errors[i] = str(exc)
        patched = pa.array(patch, out_type)
        result = pc.if_else(slow, patched, result)
    return Converted(result, errors)


def _regex(column: pa.Array, pattern: str) -> pa.Array:
    return null_as_false(pc.match_substring_regex(column, pattern))


# -- text ----------------------------------------------------------------------


def text(column: pa.Array) -> Converted:
    """`parsing.text`: stripped; placeholders (`-`, `n/a`, `无` …) null."""
    plain = pc.and_(
        _regex(column, f"^[^{_WS}](?:.*[^{_WS}])?$"),
        pc.invert(null_as_false(pc.is_in(column, pa.array(sorted(parsing._EMPTY))))),
    )
    return _finish(column, column, plain, pa.string(), parsing.text)


# -- numbers and money ------------------------------------------------------------

_MARK = "|".join(m.replace("$", "\\$") for m, _ in parsing._CURRENCY_MARKS if m not in ("元",))
_MONEY_FAST = (
    f"^(?P<sign>[+-]?)(?P<mark>{_MARK}|)(?P<int>[1-9][0-9]{{0,2}}(?:,[0-9]{{3}}){{1,3}}|[0-9]{{1,14}})"
    "(?:\\.(?P<frac>[0-9]{1,4}))?(?P<scale>万|亿|%|)(?P<yuan>元|)$"
)
_MARKS = [m for m, _ in parsing._CURRENCY_MARKS]
_CODES = pa.array([code for _, code in parsing._CURRENCY_MARKS] + ["CNY"])
_SCALES = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "%": Decimal("0.01")}


def money(column: pa.Array, *, decimal_comma: bool = False) -> tuple[Converted, pa.Array]:
    """`parsing.number_and_currency`: (the numbers, the currency codes the cells
    name, null where a cell names none)."""
    if decimal_comma:  # a per-column choice, rare enough for the row parser

        def parse_row(cell: str) -> Decimal | None:
            return parsing.number_and_currency(cell, decimal_comma=True)[0]

        converted = _finish(
            column,
            pa.nulls(len(column), NUMBER),
            pa.nulls(len(column), pa.bool_()),
            NUMBER,
            parse_row,
        )
        return converted, _currencies(column, converted, decimal_comma, None)
    parts = pc.extract_regex(column, _MONEY_FAST)
    matched = pc.is_valid(parts)
    parts = _filled(
        parts, {"sign": "", "mark": "", "int": "0", "frac": "", "scale": "", "yuan": ""}
    )
    sign, mark, integer, frac, scale, yuan = (
        pc.struct_field(parts, name) for name in ("sign", "mark", "int", "frac", "scale", "yuan")
    )
    digits = pc.replace_substring(integer, ",", "")
    text_number = pc.binary_join_element_wise(
        digits, pc.if_else(pc.equal(frac, ""), "0", frac), "."
    )
    number = pc.cast(text_number, _FAST_NUMBER)
    negative = pc.equal(sign, "-")
    zero = pc.equal(number, pa.scalar(Decimal(0), _FAST_NUMBER))
    ok = pc.and_(
        matched,
        pc.and_(
            pc.invert(pc.and_(negative, zero)),  # a negative zero is refused
            pc.invert(pc.and_(pc.not_equal(mark, ""), pc.not_equal(yuan, ""))),
        ),
    )
    ok = pc.and_(
        ok,
        pc.invert(
            pc.and_(pc.equal(scale, "%"), pc.or_(pc.not_equal(mark, ""), pc.not_equal(yuan, "")))
        ),
    )
    scaled = pc.cast(number, NUMBER)
    for mark_text, factor in _SCALES.items():
        times = pc.cast(pc.multiply(number, pa.scalar(factor, pa.decimal128(12, 2))), NUMBER)
        scaled = pc.if_else(pc.equal(scale, mark_text), times, scaled)
    number = scaled
    number = pc.if_else(negative, pc.negate(number), number)
    fast_code = pc.take(
        _CODES, pc.index_in(pc.if_else(pc.not_equal(yuan, ""), "元", mark), pa.array(_MARKS))
    )

    def parse_row(cell: str) -> Decimal | None:
        return parsing.number_and_currency(cell)[0]

    converted = _finish(column, number, ok, NUMBER, parse_row, _fit)
    ok = null_as_false(ok)
    return converted, _currencies(column, converted, False, pc.if_else(ok, fast_code, None), ok)


def _currencies(
    column: pa.Array,
    converted: Converted,
    decimal_comma: bool,
    fast: pa.Array | None,
    fast_ok: pa.Array | None = None,
) -> pa.Array:
    """The currency each cell names: fast cells from the match, the rest by the row parser."""
    if fast is None:
        codes, need = pa.nulls(len(column), pa.string()), pc.is_valid(converted.values)
    else:
        codes, need = fast, pc.and_(pc.invert(fast_ok), pc.is_valid(converted.values))
    if pc.any(need).as_py():
        indices = pc.indices_nonzero(need).to_pylist()
        patch: list[str | None] = [None] * len(column)
        for i, cell in zip(indices, column.take(pa.array(indices)).to_pylist(), strict=True):
            patch[i] = parsing.number_and_currency(cell, decimal_comma=decimal_comma)[1]
        codes = pc.if_else(need, pa.array(patch, pa.string()), codes)
    return codes


def _fit(value: Decimal) -> Decimal:
    """A row-parsed number in the column type; one that cannot fit is refused
    like the model refuses it."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        raise ValueError(f"{value} has more than 4 decimals")
    if abs(value) >= Decimal(10) ** 27:
        raise ValueError(f"{value} has more than 18 digits")
    return value


def decimal(column: pa.Array, *, decimal_comma: bool = False) -> Converted:
    """`parsing.decimal`: numbers, refusing currency marks."""
    converted, codes = money(column, decimal_comma=decimal_comma)
    named = null_as_false(pc.is_valid(codes))
    if pc.any(named).as_py():
        for i, cell in zip(
            pc.indices_nonzero(named).to_pylist(),
            column.filter(named).to_pylist(),
            strict=True,
        ):
            try:
                parsing.decimal(cell, decimal_comma=decimal_comma)
            except ValueError as exc:
                converted.errors[i] = str(exc)
        converted.values = pc.if_else(named, pa.scalar(None, NUMBER), converted.values)
    return converted


def integer(column: pa.Array) -> Converted:
    """`parsing.integer`."""
    ok = pc.and_(_regex(column, "^[+-]?[0-9]{1,18}$"), pc.invert(_regex(column, "^-0+$")))
    unsigned = pc.replace_substring_regex(column, "^\\+", "")
    fast = pc.cast(pc.if_else(ok, unsigned, "0"), pa.int64())
    return _finish(column, fast, ok, pa.int64(), parsing.integer, _int64)


def _int64(value: int) -> int:
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} is too large a number")
    return value


# -- booleans -------------------------------------------------------------------------


def boolean(column: pa.Array) -> Converted:
    """`parsing.boolean`."""
    ascii_lower = pc.if_else(
        null_as_false(pc.string_is_ascii(column)), pc.ascii_lower(column), column
    )
    true = null_as_false(pc.is_in(ascii_lower, pa.array(sorted(parsing._TRUE))))
    false = null_as_false(pc.is_in(ascii_lower, pa.array(sorted(parsing._FALSE))))
    return _finish(column, true, pc.or_(true, false), pa.bool_(), parsing.boolean)


# -- dates and times ------------------------------------------------------------------

_YMD = "(?P<y>[0-9]{4})[-/](?P<m>[0-9]{1,2})[-/](?P<d>[0-9]{1,2})"
_HMS = "(?:[ T](?P<H>[01]?[0-9]|2[0-3]):(?P<M>[0-5][0-9])(?::(?P<S>[0-5][0-9]))?)?"


def _ymd_text(parts: pa.Array) -> pa.Array:
    pad = lambda name: pc.utf8_lpad(pc.struct_field(parts, name), 2, "0")  # noqa: E731
    return pc.binary_join_element_wise(pc.struct_field(parts, "y"), pad("m"), pad("d"), "-")


def _strict_strptime(texts: pa.Array, fmt: str, unit: str) -> pa.Array:
    """Arrow's strptime rolls 2026-02-30 over into March: only a time that
    formats back to its very text counts."""
    stamp = pc.strptime(texts, format=fmt, unit=unit, error_is_null=True)
    same = pc.equal(pc.strftime(stamp, format=fmt), texts)
    return pc.if_else(null_as_false(same), stamp, pa.scalar(None, stamp.type))


def _in_years(year: pa.Array, last: int = parsing.LAST_YEAR) -> pa.Array:
    y = pc.cast(year, pa.int32())
    return pc.and_(pc.greater_equal(y, parsing.FIRST_YEAR), pc.less_equal(y, last))


def date(column: pa.Array, order: Literal["YMD", "MDY", "DMY"] = "MDY") -> Converted:
    """`parsing.date`."""
    parts = pc.extract_regex(column, f"^{_YMD}$")
    matched = pc.is_valid(parts)
    parts = _filled(parts, {"y": "2000", "m": "1", "d": "1"})
    day = _ymd_text(parts)
    stamp = _strict_strptime(day, "%Y-%m-%d", "s")
    ok = pc.and_(pc.and_(matched, pc.is_valid(stamp)), _in_years(pc.struct_field(parts, "y")))
    return _finish(
        column, pc.cast(stamp, pa.date32()), ok, pa.date32(), lambda v: parsing.date(v, order)
    )


def datetime(
    column: pa.Array, tz: ZoneInfo, order: Literal["YMD", "MDY", "DMY"] = "MDY"
) -> Converted:
    """`parsing.datetime`, in UTC: a time without an offset is local time in `tz`."""
    parts = pc.extract_regex(column, f"^{_YMD}{_HMS}$")
    matched = pc.is_valid(parts)
    parts = _filled(parts, {"y": "2000", "m": "1", "d": "1", "H": "", "M": "", "S": ""})
    hour = pc.struct_field(parts, "H")
    has_time = pc.not_equal(hour, "")
    clock = pc.binary_join_element_wise(
        pc.utf8_lpad(pc.if_else(has_time, hour, "0"), 2, "0"),
        pc.if_else(has_time, pc.struct_field(parts, "M"), "00"),
        pc.if_else(pc.equal(pc.struct_field(parts, "S"), ""), "00", pc.struct_field(parts, "S")),
        ":",
    )
    naive = _strict_strptime(
        pc.binary_join_element_wise(_ymd_text(parts), clock, "T"), "%Y-%m-%dT%H:%M:%S", "s"
    ).cast(pa.timestamp("us"))
    # after 2037 Arrow's time zone rules stop where Python's go on: the row parser decides
    ok = pc.and_(
        pc.and_(matched, pc.is_valid(naive)), _in_years(pc.struct_field(parts, "y"), last=2037)
    )
    safe = pc.if_else(ok, naive, pa.scalar(0, naive.type))
    zone = str(tz.key)
    aware = pc.assume_timezone(safe, timezone=zone, ambiguous="earliest", nonexistent="earliest")
    # a local time skipped by a DST change: the row parser's reading, not Arrow's
    ok = pc.and_(ok, pc.equal(pc.cast(pc.local_timestamp(aware), naive.type), safe))
    utc = pc.cast(aware, TIMESTAMP)

    def to_utc(value: dt.datetime) -> dt.datetime:
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(f"{value} is out of range") from None

    return _finish(column, utc, ok, TIMESTAMP, lambda v: parsing.datetime(v, tz, order), to_utc)


# -- durations ------------------------------------------------------------------------


def duration_seconds(column: pa.Array, bare_unit: Literal["s", "min"] = "s") -> Converted:
    """`parsing.duration_seconds`: `90`, `05:30` (mm:ss) fast; the rest by the row parser."""
    bare = _regex(column, "^[0-9]{1,9}$")
    factor = 60 if bare_unit == "min" else 1
    seconds = pc.multiply(pc.cast(pc.if_else(bare, column, "0"), pa.int64()), factor)
    parts = pc.extract_regex(column, "^(?P<m>[0-9]{1,6}):(?P<s>[0-9]{2})$")
    clock = pc.is_valid(parts)
    parts = _filled(parts, {"m": "0", "s": "0"})
    mm_ss = pc.add(
        pc.multiply(pc.cast(pc.struct_field(parts, "m"), pa.int64()), 60),
        pc.cast(pc.struct_field(parts, "s"), pa.int64()),
    )
    fast = pc.if_else(bare, seconds, mm_ss)
    return _finish(
        column,
        fast,
        pc.or_(bare, clock),
        pa.int64(),
        lambda v: parsing.duration_seconds(v, bare_unit),
    )
