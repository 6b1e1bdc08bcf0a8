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


def null_as_false(mask: pa.Array) -> pa.Array:
    """Null as False (much cheaper than fill_null on booleans)."""
    return pc.and_kleene(pc.is_valid(mask), mask)


def _filled(parts: pa.Array, defaults: dict[str, str]) -> pa.StructArray:
    """Null matches filled field by field (fill_null on a struct is slow)."""
    fields = [pc.fill_null(pc.struct_field(parts, name), value) for name, value in defaults.items()]
    return pa.StructArray.from_arrays(fields, names=list(defaults))


@dataclass
class Converted:
    values: pa.Array
    errors: dict[int, str] = field(default_factory=dict)
    """Row index in the column -> why its cell does not convert."""


def _finish(
    column: pa.Array,
    fast: pa.Array,
    fast_ok: pa.Array,
    out_type: pa.DataType,
    parse: Callable[[str], Any],
    to_arrow: Callable[[Any], Any] = lambda v: v,
) -> Converted:
    """Fast values where `fast_ok`; the row parser for every other non-blank
    cell (blank as the row mapper sees it: empty or `str.isspace`)."""
    fast_ok = null_as_false(fast_ok)
    errors: dict[int, str] = {}
    result = pc.if_else(fast_ok, fast.cast(out_type), pa.scalar(None, out_type))
    slow = pc.invert(fast_ok)
    if pc.any(slow).as_py():
        indices = pc.indices_nonzero(slow).to_pylist()
        cells = column.take(pa.array(indices, pa.int64())).to_pylist()
        patch: list[Any] = [None] * len(column)
        for i, cell in zip(indices, cells, strict=True):
            if not cell or cell.isspace():
                continue
            try:
                value = parse(cell)
                patch[i] = None if value is None else to_arrow(value)
            except ValueError as exc:
                errors[i] = str(exc)
        patched = pa.array(patch, out_type)
        result = pc.if_else(slow, patched, result)
    return Converted(result, errors)


def _scatter(mask: pa.Array, values: pa.Array) -> pa.Array:
    """`values` (one per true cell of `mask`) back in place; null elsewhere."""
    positions = pc.subtract(pc.cumulative_sum(pc.cast(mask, pa.int64())), 1)
    return values.take(pc.if_else(mask, positions, pa.scalar(None, pa.int64())))


def _filled_mask(column: pa.Array) -> pa.Array:
    return null_as_false(pc.greater(pc.binary_length(column), 0))


def _on_filled(
    column: pa.Array, run: Callable[[pa.Array], Converted], filled: pa.Array | None = None
) -> Converted:
    """`run` over the non-empty cells only: most columns of a wide export are
    mostly empty, and an empty cell is null whatever the converter."""
    filled = _filled_mask(column) if filled is None else filled
    count = pc.sum(filled).as_py() or 0
    if count == len(column):
        return run(column)
    sub = run(column.filter(filled))
    errors = sub.errors
    if errors:
        where = pc.indices_nonzero(filled)
        errors = {where[i].as_py(): reason for i, reason in errors.items()}
    return Converted(_scatter(filled, sub.values), errors)


def _regex(column: pa.Array, pattern: str) -> pa.Array:
    return null_as_false(pc.match_substring_regex(column, pattern))


# -- text ----------------------------------------------------------------------


def text(column: pa.Array) -> Converted:
    """`parsing.text`: stripped (of exactly what `str.strip` strips);
    placeholders (`-`, `n/a`, `无` …) null. No Python per cell."""

    def run(cells: pa.Array) -> Converted:
        stripped = pc.utf8_trim(cells, characters=STRIP)
        empty = null_as_false(pc.is_in(stripped, _EMPTY))
        return Converted(pc.if_else(empty, pa.scalar(None, pa.string()), stripped))

    return _on_filled(column, run)


STRIP = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
"""The characters `str.strip()` removes (none lies above U+3000)."""
_EMPTY = pa.array(sorted(parsing._EMPTY))


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
    codes: list[pa.Array] = []

    def run(cells: pa.Array) -> Converted:
        converted, named = _money(cells, decimal_comma)
        codes.append(named)
        return converted

    filled = _filled_mask(column)
    converted = _on_filled(column, run, filled)
    return converted, codes[0] if len(codes[0]) == len(column) else _scatter(filled, codes[0])


def _money(column: pa.Array, decimal_comma: bool) -> tuple[Converted, pa.Array]:
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
    return _on_filled(column, _integer)


def _integer(column: pa.Array) -> Converted:
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
    return _on_filled(column, _boolean)


def _boolean(column: pa.Array) -> Converted:
    ascii_lower = pc.if_else(
        null_as_false(pc.string_is_ascii(column)), pc.ascii_lower(column), column
    )
    true = null_as_false(pc.is_in(ascii_lower, pa.array(sorted(parsing._TRUE))))
    false = null_as_false(pc.is_in(ascii_lower, pa.array(sorted(parsing._FALSE))))
    return _finish(column, true, pc.or_(true, false), pa.bool_(), parsing.boolean)


# -- dates and times ------------------------------------------------------------------
#
# A cell goes to the first layout it matches, each tried on what the layouts
# before left over: ISO `2026-03-05[ 10:00[:00]]`, ISO with an offset
# (`…T10:00+08:00`, `…Z`), then `2026/3/5 9:00`, `2026年3月5日` and their kin,
# rewritten as ISO text (one regex extraction, on the leftovers only). The
# ISO patterns only match days that exist (30 February does not, 29 February
# only in leap years) in the years the row parser takes, so Arrow's own strict
# cast converts them; every other cell goes to the row parser.


_YEARS = {  # the years FIRST_YEAR (1900) to 2037 or 2999, and their leap years
    2037: (
        "(?:19[0-9]{2}|20[0-2][0-9]|203[0-7])",
        "19(?:0[48]|[2468][048]|[13579][26])|20(?:0[048]|1[26]|2[048]|3[26])",
    ),
    2999: (
        "(?:19[0-9]{2}|2[0-9]{3})",
        "(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2000|2400|2800",
    ),
}


def _iso_day(last: int) -> str:
    """`YYYY-MM-DD` of a day that exists, from 1900 to `last`."""
    assert parsing.FIRST_YEAR == 1900 and parsing.LAST_YEAR == 2999
    years, leap = _YEARS[last]
    month_day = (
        "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
        "|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    )
    return f"(?:{years}-{month_day}|(?:{leap})-02-29)"


_ISO_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
_ISO_DATE = f"^{_iso_day(parsing.LAST_YEAR)}$"
# after 2037 Arrow's time zone rules stop where Python's go on: the row parser decides
_ISO_LOCAL = f"^{_iso_day(2037)}(?:[ T]{_ISO_CLOCK})?$"
_ISO_OFFSET = (
    f"^{_iso_day(parsing.LAST_YEAR)}[ T]{_ISO_CLOCK}(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_YMD = "(?P<y>[0-9]{4})(?:[-/.]|年)(?P<m>[0-9]{1,2})(?:[-/.]|月)(?P<d>[0-9]{1,2})"
_HMS = "(?P<H>[01]?[0-9]|2[0-3]):(?P<M>[0-5][0-9])(?::(?P<S>[0-5][0-9]))?"
_OTHER_DAY = f"^{_YMD}日?$"
_OTHER_TIME = f"^{_YMD}(?:(?:日?[ T]|日){_HMS}|日?)$"


def _as_iso(cells: pa.Array, pattern: str) -> pa.Array:
    """`2026/3/5 9:00`-like cells (`_OTHER_*`) rewritten `2026-03-05T09:00:00`;
    null where a cell does not match."""
    parts = pc.extract_regex(cells, pattern)
    pad = lambda name: pc.utf8_lpad(pc.struct_field(parts, name), 2, "0")  # noqa: E731
    day = pc.binary_join_element_wise(pc.struct_field(parts, "y"), pad("m"), pad("d"), "-")
    if "P<H>" not in pattern:
        return day
    hour = pc.struct_field(parts, "H")
    timed = pc.not_equal(hour, "")
    second = pc.struct_field(parts, "S")
    clock = pc.binary_join_element_wise(
        pc.utf8_lpad(pc.if_else(timed, hour, "0"), 2, "0"),
        pc.if_else(timed, pc.struct_field(parts, "M"), "00"),
        pc.if_else(pc.equal(second, ""), "00", second),
        ":",
    )
    return pc.binary_join_element_wise(day, clock, "T")


def _leftover(done: pa.Array, cells: pa.Array) -> pa.Array | None:
    """The cells no layout took yet, or None when there are none."""
    rest = pc.invert(done)
    return cells.filter(rest) if pc.any(rest).as_py() else None


def _cast_where(ok: pa.Array, texts: pa.Array, filler: str, to: pa.DataType) -> pa.Array:
    """Arrow's strict cast of the `ok` texts (the others would fail it)."""
    return pc.cast(pc.if_else(ok, texts, filler), to)


def date(column: pa.Array, order: Literal["YMD", "MDY", "DMY"] = "MDY") -> Converted:
    """`parsing.date`."""
    return _on_filled(column, lambda cells: _date(cells, order))


def _date(cells: pa.Array, order: Literal["YMD", "MDY", "DMY"]) -> Converted:
    ok = _regex(cells, _ISO_DATE)
    days = _cast_where(ok, cells, "2000-01-01", pa.date32())
    rest = _leftover(ok, cells)
    if rest is not None:
        texts = _as_iso(rest, _OTHER_DAY)
        fits = _regex(texts, _ISO_DATE)
        rest_mask = pc.invert(ok)
        other = _cast_where(fits, texts, "2000-01-01", pa.date32())
        days = pc.if_else(rest_mask, _scatter(rest_mask, other), days)
        ok = pc.if_else(rest_mask, _scatter(rest_mask, fits), ok)
    return _finish(cells, days, ok, pa.date32(), lambda v: parsing.date(v, order))


def datetime(
    column: pa.Array, tz: ZoneInfo, order: Literal["YMD", "MDY", "DMY"] = "MDY"
) -> Converted:
    """`parsing.datetime`, in UTC: a time without an offset is local time in `tz`."""
    return _on_filled(column, lambda cells: _datetime(cells, tz, order))


def _datetime(cells: pa.Array, tz: ZoneInfo, order: Literal["YMD", "MDY", "DMY"]) -> Converted:
    naive_type = pa.timestamp("s")
    local = _regex(cells, _ISO_LOCAL)
    naive = _cast_where(local, cells, "2000-01-01", naive_type)
    done = local
    utc = pa.nulls(len(cells), TIMESTAMP)
    rest = _leftover(done, cells)
    if rest is not None:
        # an explicit offset: no time zone rules at stake, every year the row parser takes
        offset = _regex(cells, _ISO_OFFSET)
        if pc.any(offset).as_py():
            aware = _cast_where(offset, cells, "2000-01-01T00:00Z", pa.timestamp("s", "UTC"))
            utc = pc.if_else(offset, pc.cast(aware, TIMESTAMP), utc)
            done = pc.or_(done, offset)
            rest = _leftover(done, cells)
    if rest is not None:
        texts = _as_iso(rest, _OTHER_TIME)
        fits = _regex(texts, _ISO_LOCAL)
        other = _cast_where(fits, texts, "2000-01-01", naive_type)
        rest_mask = pc.invert(done)
        other_ok = _scatter(rest_mask, fits)
        naive = pc.if_else(rest_mask, _scatter(rest_mask, other), naive)
        local = pc.if_else(rest_mask, other_ok, local)
        done = pc.if_else(rest_mask, other_ok, done)
    if pc.any(local).as_py():
        safe = pc.if_else(local, naive, pa.scalar(0, naive_type))
        aware = pc.assume_timezone(
            safe, timezone=str(tz.key), ambiguous="earliest", nonexistent="earliest"
        )
        # a local time skipped by a DST change: the row parser's reading, not Arrow's
        kept = pc.equal(pc.cast(pc.local_timestamp(aware), naive_type), safe)
        utc = pc.if_else(local, pc.cast(aware, TIMESTAMP), utc)
        done = pc.and_(done, pc.or_(pc.invert(local), kept))

    def to_utc(value: dt.datetime) -> dt.datetime:
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(f"{value} is out of range") from None

    return _finish(cells, utc, done, TIMESTAMP, lambda v: parsing.datetime(v, tz, order), to_utc)


# -- durations ------------------------------------------------------------------------


def duration_seconds(column: pa.Array, bare_unit: Literal["s", "min"] = "s") -> Converted:
    """`parsing.duration_seconds`: `90`, `05:30` (mm:ss) fast; the rest by the row parser."""
    return _on_filled(column, lambda cells: _duration_seconds(cells, bare_unit))


def _duration_seconds(column: pa.Array, bare_unit: Literal["s", "min"]) -> Converted:
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
