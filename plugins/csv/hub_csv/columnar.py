"""A batch of CSV rows mapped column-wise into an Arrow table (`columnar = true`).

The rows come from the same strict reader as on the row path (so one bad
spot is still one reject), then each column is converted at once by
`hub_csv.convert` and the table goes to the engine, which checks it against
the model column-wise (`hub.columns.conform`). Cells that do not convert
reject their row with file, line, column and reason, as on the row path;
the good rows of the batch land.

Files without an id column (rows keyed by other columns or by a hash) and
goal files with period labels stay on the row path: their ids are built
from parsed values, which the row mapper does exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hub.adapters.contract import Reject
from hub.columns import LOCATION
from hub.model import base_type
from hub.store.types import dumps
from hub_csv import convert
from hub_csv.blocks import Block, Piece
from hub_csv.convert import null_as_false
from hub_csv.mapping import MONEY_FIELDS, SIGNED_AMOUNTS, RowMapper
from hub_csv.reader import Row


def supported(mapper: RowMapper) -> bool:
    return mapper.has_id and "period" not in mapper.labels


def _by_distinct(
    column: pa.Array, parse: Callable[[str], Any], out: pa.DataType
) -> convert.Converted:
    """A parser run once per distinct cell (kinds, metrics, tags): the row
    parser's very results at the cost of the column's few spellings."""
    distinct = pc.unique(column)
    values: list[Any] = []
    failed: dict[int, str] = {}
    for j, cell in enumerate(distinct.to_pylist()):
        if cell is None or not cell.strip():
            values.append(None)
            continue
        try:
            values.append(parse(cell))
        except ValueError as exc:
            values.append(None)
            failed[j] = str(exc)
    where = pc.index_in(column, value_set=distinct)
    result = pa.array(values, out).take(where)
    errors: dict[int, str] = {}
    if failed:
        bad = pc.is_in(where, value_set=pa.array(list(failed), pa.int32()))
        for i in pc.indices_nonzero(null_as_false(bad)).to_pylist():
            errors[i] = failed[where[i].as_py()]
    return convert.Converted(result, errors)


def _extra_json(extras: list[tuple[str, pa.Array]], n: int) -> pa.Array:
    """Each row's unmapped cells as the JSON object text `dumps` writes
    (`{"微信号":"wx1"}`, `{}`): stripped, blank cells left out, each distinct
    value encoded once."""
    names = [name for name, _ in extras]
    if len(set(names)) < len(names):  # one key for two columns: as the row path's dict has it
        cells = [column.to_pylist() for _, column in extras]
        return pa.array(
            [
                dumps({k: v[i].strip() for k, v in zip(names, cells, strict=True) if v[i].strip()})
                for i in range(n)
            ],
            pa.string(),
        )
    parts = []
    for name, column in extras:
        stripped = pc.utf8_trim(column, characters=convert.STRIP)
        distinct = pc.unique(stripped)
        key = "," + _json_text(name) + ":"
        encoded = pa.array([key + _json_text(v) if v else "" for v in distinct.to_pylist()])
        parts.append(encoded.take(pc.index_in(stripped, value_set=distinct)))
    if not parts:
        return pa.array(["{}"] * n, pa.string())
    # each part is `,"key":value` or empty, so the first comma goes (Arrow's
    # null_handling="skip" drops rows where every part is null: not used)
    body = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*parts, ""), 1)
    return pc.binary_join_element_wise("{", body, "}", "")


def _json_text(value: str) -> str:
    """A JSON string as `dumps` writes it (UTF-8 kept, `"` and control characters escaped)."""
    return dumps([value])[1:-1]


@dataclass
class Cells:
    """A batch's rows as string columns, what `ColumnMapper.map` maps.

    Rows from a checked block are columns already; rows from the strict
    reader are transposed into columns here (short rows padded with empty
    cells, as the row mapper reads them)."""

    columns: list[pa.Array]
    """One string column per header cell: the rows that may land."""
    joined: pa.Array
    """Each row's cells (as read) joined by U+001F, as UTF-8 bytes: what its digest covers."""
    lines: pa.Array
    """Line where each of those rows starts (int64)."""
    odd: dict[int, list[str]] = dataclasses.field(default_factory=dict)
    """Row index -> its cells as read, for rows without exactly the header's count."""
    bad: list[Row] = dataclasses.field(default_factory=list)
    """Rows that reject before mapping: a reader problem, or cells beyond the header."""

    def __len__(self) -> int:
        return len(self.lines) + len(self.bad)

    def values(self, i: int) -> list[str]:
        """Row `i`'s cells as the file has them (for a reject's raw record)."""
        if i in self.odd:
            return self.odd[i]
        return [c[i].as_py() for c in self.columns]

    def filter(self, keep: list[bool]) -> Cells:
        """The rows where `keep` is true (the bad rows all stay)."""
        mask = pa.array(keep, pa.bool_())
        odd: dict[int, list[str]] = {}
        if self.odd:
            place = pc.cumulative_sum(pc.cast(mask, pa.int64())).to_pylist()
            odd = {place[i] - 1: v for i, v in self.odd.items() if keep[i]}
        return Cells(
            [c.filter(mask) for c in self.columns],
            self.joined.filter(mask),
            self.lines.filter(mask),
            odd,
            self.bad,
        )

    @classmethod
    def of(cls, pieces: Sequence[Piece], width: int) -> Cells:
        """The pieces of one batch, in file order, as one set of columns."""
        columns: list[list[pa.Array]] = [[] for _ in range(width)]
        joined: list[pa.Array] = []
        lines: list[pa.Array] = []
        odd: dict[int, list[str]] = {}
        bad: list[Row] = []
        n = 0
        for piece in pieces:
            if isinstance(piece, Block):
                block_columns, block_joined, block_lines = piece.columns, piece.joined, piece.lines
            else:
                block_columns, block_joined, block_lines = _transposed(
                    piece.items, width, n, odd, bad
                )
            for j, column in enumerate(block_columns):
                columns[j].append(column)
            joined.append(block_joined)
            lines.append(block_lines)
            n += len(block_lines)
        return cls(
            [pa.concat_arrays(c) if c else pa.array([], pa.string()) for c in columns],
            pa.concat_arrays(joined) if joined else pa.array([], pa.binary()),
            pa.concat_arrays(lines) if lines else pa.array([], pa.int64()),
            odd,
            bad,
        )


def _transposed(
    rows: list[Row], width: int, start: int, odd: dict[int, list[str]], bad: list[Row]
) -> tuple[list[pa.Array], pa.Array, pa.Array]:
    """Strict rows as columns (and their digests' text): rows that cannot
    land go to `bad`, rows with another cell count than the header's keep
    their cells in `odd`."""
    good: list[list[str]] = []
    joined: list[bytes] = []
    lines: list[int] = []
    for row in rows:
        values = row.values
        if row.problem or (len(values) > width and any(v.strip() for v in values[width:])):
            bad.append(row)
            continue
        joined.append("\x1f".join(values).encode("utf-8", "surrogatepass"))
        if len(values) != width:
            odd[start + len(good)] = values
            values = (values + [""] * (width - len(values)))[:width]
        good.append(values)
        lines.append(row.line)
    if not good:
        empty = [pa.array([], pa.string()) for _ in range(width)]
        return empty, pa.array([], pa.binary()), pa.array([], pa.int64())
    by_column = zip(*good, strict=True)  # the rows transposed, in C
    return (
        [pa.array(c, pa.string()) for c in by_column],
        pa.array(joined, pa.binary()),
        pa.array(lines, pa.int64()),
    )


class ColumnMapper:
    """The column-wise twin of `RowMapper`, for files it `supported`."""

    def __init__(self, mapper: RowMapper) -> None:
        self.mapper = mapper
        self.landed: list[int] = []
        """After `map`: the index in its cells of each row of the table (whose digest it keeps)."""

    def _convert(self, field: str, header: str | None, column: pa.Array) -> convert.Converted:
        m = self.mapper
        parse = m._parser(field, header)
        comma = m._named(m.settings.decimal_comma, field, header)
        if field in MONEY_FIELDS and field != "amount":
            converted = convert.decimal(column, decimal_comma=comma)
            return self._refuse_negative(field, header, column, converted)
        if field in ("kind", "metric"):
            return _by_distinct(column, parse, pa.string())
        if field == "tags":
            return _by_distinct(column, parse, pa.list_(pa.string()))
        if field == "duration_seconds":
            return convert.duration_seconds(column)
        info = m.model.model_fields[field]
        base = base_type(info.annotation)
        if base is dt.datetime or getattr(base, "__name__", "") == "AwareDatetime":
            return convert.datetime(column, m.timezone, m.date_order)
        if base is dt.date:
            return convert.date(column, m.date_order)
        if base is bool:
            return convert.boolean(column)
        if base is int:
            return convert.integer(column)
        if base is Decimal:
            return convert.decimal(column, decimal_comma=comma)
        return convert.text(column)

    def _refuse_negative(
        self, field: str, header: str | None, column: pa.Array, converted: convert.Converted
    ) -> convert.Converted:
        m = self.mapper
        if field in SIGNED_AMOUNTS or m._named(m.settings.negative, field, header):
            return converted
        negative = null_as_false(
            pc.less(converted.values, pa.scalar(Decimal(0), converted.values.type))
        )
        if pc.any(negative).as_py():
            for i in pc.indices_nonzero(negative).to_pylist():
                cell = column[i].as_py()
                converted.errors.setdefault(
                    i,
                    f"a negative amount {cell.strip()!r} (allow it for refund or clawback "
                    "columns with the file's `negative` setting)",
                )
            converted.values = pc.if_else(
                negative, pa.scalar(None, converted.values.type), converted.values
            )
        return converted

    def map(self, cells: Cells) -> tuple[pa.Table | None, list[Reject]]:
        """The good rows as a table (with `_location`), and the rejects."""
        m = self.mapper
        rejects: list[tuple[int, Reject]] = []  # (line of the row at fault, reject)
        for row in cells.bad:
            result = m.map(row.values, row.line, row.problem)
            assert isinstance(result, Reject)
            rejects.append((row.line, result))
        n = len(cells.lines)
        if not n:
            return None, [reject for _, reject in rejects]
        problems: dict[int, list[str]] = {}  # cells that do not convert
        late: dict[int, list[str]] = {}  # found after the id, as on the row path
        columns: dict[str, pa.Array] = {}
        extras: list[tuple[str, pa.Array]] = []
        currency_marks: pa.Array | None = None
        for index, field, parse in m._plan:
            column = cells.columns[index]
            if parse is None:
                extras.append((field, column))
                continue
            header = m.labels.get(field)
            if field == "amount":
                comma = m._named(m.settings.decimal_comma, field, header)
                converted, currency_marks = convert.money(column, decimal_comma=comma)
                converted = self._refuse_negative(field, header, column, converted)
            else:
                converted = self._convert(field, header, column)
            for i, reason in converted.errors.items():
                problems.setdefault(i, []).append(f"{m.label(field)}: {reason}")
            columns[field] = converted.values
        for field, default in m.settings.defaults.items():
            if field == "source_id":
                continue
            parse = m._parser(field) if field in m.model.model_fields else None
            try:
                value = parse(default) if parse else default
            except ValueError as exc:
                for i in range(n):
                    problems.setdefault(i, []).append(f"default for {field}: {exc}")
                continue
            if field == "amount":
                value = value[0] if value else None
            if field in columns:
                columns[field] = pc.fill_null(columns[field], pa.scalar(value, columns[field].type))
            else:
                columns[field] = pa.array([value] * n)
        self._model_defaults(columns)
        if "amount" in columns:
            self._currency(columns, currency_marks, late)
        elif isinstance(columns.get("currency"), pa.Array):
            columns["currency"] = pc.utf8_upper(columns["currency"])
        source_ids = columns.get("source_id")
        if source_ids is None:
            source_ids = pa.nulls(n, pa.string())
        self._required(columns, n, late)
        order = self._order(cells, source_ids, problems, late, rejects)
        columns["extra"] = _extra_json(extras, n)
        lines = pa.array(cells.lines, pa.int64())
        columns[LOCATION] = pc.binary_join_element_wise(
            m.path.name, pc.cast(lines, pa.string()), ":"
        )
        table = pa.table(columns)
        if order is not None:
            table = table.take(pa.array(order, pa.int64()))
        self.landed = list(range(n)) if order is None else order
        rejects.sort(key=lambda item: item[0])  # in row order, as the row path has them
        return (table if table.num_rows else None), [reject for _, reject in rejects]

    def _order(
        self,
        cells: Cells,
        source_ids: pa.Array,
        problems: dict[int, list[str]],
        late: dict[int, list[str]],
        rejects: list[tuple[int, Reject]],
    ) -> list[int] | None:
        """The rows that land, in the row path's order (None: all, as they
        are); the others become rejects: a cell that does not convert, no id,
        a `late` problem, or an id that appears again later in the batch (the
        later row wins, in the place of the earlier)."""
        m = self.mapper
        no_id = source_ids.null_count
        repeated = pc.count_distinct(source_ids).as_py() + no_id < len(source_ids)
        if not problems and not late and not no_id and not repeated:
            return None
        ids = source_ids.to_pylist()
        lines = cells.lines.to_pylist()
        order: list[int] = []
        where: dict[str, int] = {}  # source id -> its place in `order`

        def reject(i: int, reason: str, source_id: str | None) -> None:
            location = f"{m.path.name}:{lines[i]}"
            rejects.append(
                (
                    lines[i],
                    Reject(
                        reason=f"{location}: {reason}",
                        raw=m.raw(cells.values(i)),
                        source_id=source_id,
                        location=location,
                    ),
                )
            )

        for i in range(len(lines)):
            if i in problems:
                reject(i, "; ".join(problems[i]), ids[i])
                continue
            if ids[i] is None:
                reject(i, f"{m.label('source_id')}: empty (every row needs an id)", None)
                continue
            if i in late:
                reject(i, "; ".join(late[i]), ids[i])
                continue
            place = where.get(ids[i])
            if place is None:
                where[ids[i]] = len(order)
                order.append(i)
                continue
            earlier = order[place]  # the same id twice: the later row wins
            at = f"{m.path.name}:{lines[earlier]}"
            rejects.append(
                (
                    lines[i],
                    Reject(
                        reason=f"{at}: id {ids[i]!r} appears again at line {lines[i]}; "
                        "the later row is used",
                        raw=m.raw(cells.values(earlier)),
                        location=at,
                    ),
                )
            )
            order[place] = i
        return order

    def _required(self, columns: dict[str, pa.Array], n: int, late: dict[int, list[str]]) -> None:
        """A required field left empty, worded as on the row path (where the
        model refuses it), for rows with no earlier `late` problem."""
        m = self.mapper
        found: dict[int, list[str]] = {}
        for field, info in m.model.model_fields.items():
            if field in ("source", "source_id", "extra") or not info.is_required():
                continue
            column = columns.get(field)
            if column is None:
                empty: Iterable[int] = range(n)
            elif column.null_count:
                empty = pc.indices_nonzero(pc.is_null(column)).to_pylist()
            else:
                continue
            for i in empty:
                if i not in late:
                    found.setdefault(i, []).append(f"{m.label(field)}: empty")
        late.update(found)

    def _model_defaults(self, columns: dict[str, pa.Array]) -> None:
        """An empty cell takes the model's default, as a field left out does
        on the row path (`active` true, `tags` empty)."""
        for field, column in columns.items():
            info = self.mapper.model.model_fields.get(field)
            if info is None or info.is_required() or not column.null_count:
                continue
            default = info.get_default(call_default_factory=True)
            if default is None:
                continue
            if isinstance(default, enum.Enum):
                default = default.value
            columns[field] = pc.fill_null(column, pa.scalar(default, column.type))

    def _currency(
        self,
        columns: dict[str, pa.Array],
        marks: pa.Array | None,
        problems: dict[int, list[str]],
    ) -> None:
        """An amount's currency: the column's, else the cell's mark, else the
        connection's; a mark that disagrees with the column rejects the row."""
        m = self.mapper
        n = len(columns["amount"])
        marks = marks if marks is not None else pa.nulls(n, pa.string())
        stated = columns.get("currency")
        has_amount = pc.is_valid(columns["amount"])
        if stated is None:
            stated = pa.nulls(n, pa.string())
        upper = pc.utf8_upper(stated)
        clash = null_as_false(
            pc.and_(pc.and_(has_amount, pc.is_valid(marks)), pc.not_equal(marks, upper))
        )
        if pc.any(clash).as_py():
            for i in pc.indices_nonzero(clash).to_pylist():
                problems.setdefault(i, []).append(
                    f"{m.label('amount')}: says {marks[i].as_py()} but "
                    f"{m.label('currency')} says {stated[i].as_py()}"
                )
        fallback = pc.if_else(
            has_amount, pc.fill_null(marks, m.currency), pa.scalar(None, pa.string())
        )
        columns["currency"] = pc.if_else(pc.is_valid(upper), upper, fallback)
