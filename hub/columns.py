"""Arrow at the boundary: the columnar form of the canonical records.

A batch crosses from adapter to engine to store as a `pyarrow.Table` whose
schema is derived here from the pydantic models in `hub.model`, which stay the
single source of truth (a test fails when the two drift). Two ways in:

- a row adapter yields model objects; `to_table` turns them into columns;
- an Arrow adapter yields a table of `arrow_schema(entity)` (any subset of its
  columns, in any order); `conform` checks it column-wise against the same
  constraints the model enforces and splits off the rows that break one as
  `Reject`s, so the good rows of the batch still land.

Types: strings and enums are `string`, money and scores `decimal128(18, 4)`,
datetimes `timestamp[us, UTC]` (naive timestamps are refused, as the model
refuses naive datetimes), dates `date32`, `extra` is JSON object text and
`tags` a `list<string>`. The store assigns `id` and the resolved reference
ids (`owner_id`, ...): they are not part of a batch.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import typing
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import AwareDatetime
from pydantic.fields import FieldInfo

from hub.model import ENTITIES, UNDATED, Record, _to_utc, base_type, reference_fields
from hub.store.types import dumps

LOCATION = "_location"
"""Optional string column of an Arrow batch: where each row came from
("activities.csv:17"). It names the row in rejects and is not stored."""

MONEY = pa.decimal128(18, 4)
TIMESTAMP = pa.timestamp("us", tz="UTC")
JSON_TEXT = pa.string()


def store_assigned(entity: str) -> set[str]:
    """Model fields the store fills in, never an adapter: the hub id and the
    resolved reference ids."""
    return {"id"} | {hub for _, hub, _ in reference_fields(ENTITIES[entity])}


def _optional(field: FieldInfo) -> bool:
    annotation = field.annotation
    return type(None) in typing.get_args(annotation)


def arrow_type(field: FieldInfo) -> pa.DataType:
    """The Arrow type of one model field."""
    base = base_type(field.annotation)
    origin = typing.get_origin(base)
    if base is dict or origin is dict:
        return JSON_TEXT
    if base is list or origin is list:
        return pa.list_(pa.string())
    if base is AwareDatetime:
        return TIMESTAMP
    if isinstance(base, type):
        if issubclass(base, bool):
            return pa.bool_()
        if issubclass(base, enum.Enum | str):
            return pa.string()
        if issubclass(base, int):
            return pa.int64()
        if issubclass(base, Decimal):
            return MONEY
        if issubclass(base, dt.datetime):
            return TIMESTAMP
        if issubclass(base, dt.date):
            return pa.date32()
    raise TypeError(f"no Arrow type for {field.annotation!r}")


@cache
def arrow_schema(entity: str) -> pa.Schema:
    """The schema of a batch of `entity` (e.g. "activities")."""
    model = ENTITIES[entity]
    skip = store_assigned(entity)
    fields = [
        pa.field(name, arrow_type(info), nullable=_optional(info))
        for name, info in model.model_fields.items()
        if name not in skip
    ]
    return pa.schema(fields)


# -- rows -> columns -------------------------------------------------------------


def to_table(entity: str, records: Sequence[Record]) -> pa.Table:
    """Columns of already validated model objects (the row adapters' path)."""
    schema = arrow_schema(entity)
    model = ENTITIES[entity]
    for record in records:
        if type(record) is not model:
            raise TypeError(f"expected {model.__name__} records, got a {type(record).__name__}")
    if not records:
        return schema.empty_table()
    rows = [record.__dict__ for record in records]
    arrays = []
    for field in schema:
        name = field.name
        values = [row[name] for row in rows]
        if name == "extra":
            values = [dumps(v) for v in values]
        # aware datetimes are converted to UTC by Arrow itself
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def to_records(entity: str, table: pa.Table | pa.RecordBatch) -> list[Record]:
    """Model objects of a conformed table (tests, hooks and small tools)."""
    model = ENTITIES[entity]
    rows = table.drop_columns([LOCATION]) if LOCATION in table.column_names else table
    out = []
    for row in rows.to_pylist():
        if row.get("extra") is not None:
            row["extra"] = json.loads(row["extra"])
        out.append(model.model_validate(row))
    return out


# -- validating an Arrow batch ---------------------------------------------------


class ColumnError(TypeError):
    """An Arrow batch that does not fit the schema at all (an adapter bug, not
    a bad record): unknown column, wrong type, missing required column."""


def _metadata(info: FieldInfo) -> list[Any]:
    """Every constraint object pydantic keeps for a field, including those
    inside `Optional[Annotated[...]]` (Currency, Exact)."""
    items = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            items.extend(typing.get_args(arg)[1:])
    flat = []
    for item in items:
        flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return flat


@cache
def _field_rules(entity: str) -> dict[str, dict[str, Any]]:
    """Per field: its constraints as the model declares them (pydantic's
    metadata), so validation here follows the model, not a copy of it. A
    constraint of a kind this module does not check raises, so a model
    change cannot slip past the columnar path unnoticed."""
    model = ENTITIES[entity]
    rules: dict[str, dict[str, Any]] = {}
    for name, info in model.model_fields.items():
        if name in store_assigned(entity):
            continue
        rule: dict[str, Any] = {}
        for item in _metadata(info):
            if isinstance(item, MinLen):
                rule["min_length"] = item.min_length
            elif isinstance(item, MaxLen):
                rule["max_length"] = item.max_length
            elif isinstance(item, Ge):
                rule["ge"] = item.ge
            elif isinstance(item, Le):
                rule["le"] = item.le
            elif getattr(item, "pattern", None):
                rule["pattern"] = item.pattern
            elif getattr(item, "max_digits", None) == 18 and item.decimal_places == 4:
                pass  # decimal128(18, 4) and the digit check below
            elif getattr(item, "func", None) is _to_utc:
                pass  # timestamp[us, UTC]
            else:
                raise TypeError(f"{entity}.{name}: no column-wise check for {item!r}")
        base = base_type(info.annotation)
        if isinstance(base, type) and issubclass(base, enum.Enum):
            rule["enum"] = [m.value for m in base]
        rule["required"] = info.is_required()
        rule["nullable"] = _optional(info)
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            rule["default"] = dumps(default) if name == "extra" else default
        rules[name] = rule
    return rules


def conform(
    entity: str, data: pa.Table | pa.RecordBatch, connection: str
) -> tuple[pa.Table, list[Any]]:
    """Check an adapter's Arrow batch column-wise against the model.

    Returns the table of good rows in `arrow_schema(entity)` (strings
    stripped, defaults filled in, `source` set to the connection) and a
    `Reject` for each row that breaks a constraint of the model, naming the
    field. A batch that does not fit the schema at all raises `ColumnError`."""
    from hub.adapters.contract import Reject  # the contract imports this module

    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    schema = arrow_schema(entity)
    rules = _field_rules(entity)
    n = table.num_rows
    unknown = [c for c in table.column_names if c not in schema.names and c != LOCATION]
    if unknown:
        raise ColumnError(f"{entity} batch: unknown column {unknown[0]!r}")
    locations = table.column(LOCATION) if LOCATION in table.column_names else None

    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    value_checks: list[tuple[Any, str]] = []
    for field in schema:
        rule = rules[field.name]
        if field.name in table.column_names:
            column = table.column(field.name)
            if pa.types.is_decimal(field.type) and pa.types.is_decimal(column.type):
                column = _fit_decimal(field.name, column, value_checks)
            columns[field.name] = _cast(entity, field, column)
        elif field.name == "source":
            columns[field.name] = pa.array([connection] * n, pa.string())
        elif rule["required"]:
            raise ColumnError(f"{entity} batch: required column {field.name!r} is missing")
        else:
            default = rule["default"]
            if isinstance(default, enum.Enum):
                default = default.value
            columns[field.name] = pa.array([default] * n, field.type)

    source = columns["source"]
    if n and not pc.all(pc.equal(source, connection)).as_py():
        raise ColumnError(
            f"{entity} batch: source must be the connection {connection!r} on every row"
        )

    bad = pa.array([False] * n, pa.bool_())
    reasons: list[str | None] = [None] * n
    for field in schema:
        rule = rules[field.name]
        column = columns[field.name]
        if pa.types.is_string(field.type) and "enum" not in rule:
            # str_strip_whitespace, as the model does (enums are not stripped)
            column = columns[field.name] = pc.utf8_trim_whitespace(column)
        elif pa.types.is_list(field.type):
            column = columns[field.name] = _trim_items(column)
        for check, reason in _checks(field, rule, column):
            newly = pc.and_not(pc.fill_null(check, False), bad)
            if pc.any(newly).as_py():
                for i in pc.indices_nonzero(newly).to_pylist():
                    reasons[i] = reason
                bad = pc.or_(bad, newly)
    for check, reason in [*value_checks, *_model_checks(entity, columns)]:
        newly = pc.and_not(pc.fill_null(check, False), bad)
        if pc.any(newly).as_py():
            for i in pc.indices_nonzero(newly).to_pylist():
                reasons[i] = reason
            bad = pc.or_(bad, newly)

    good = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
    if not pc.any(bad).as_py():
        return good, []
    rejects = []
    raw_rows = table.filter(bad).to_pylist()
    source_ids = pc.filter(columns["source_id"], bad).to_pylist()
    where = locations.filter(bad).to_pylist() if locations is not None else [None] * len(raw_rows)
    indices = pc.indices_nonzero(bad).to_pylist()
    for row, location, source_id, i in zip(raw_rows, where, source_ids, indices, strict=True):
        row.pop(LOCATION, None)
        rejects.append(
            Reject(
                reason=f"{entity} {source_id or '(no id)'}: {reasons[i]}",
                raw={k: _jsonable(v) for k, v in row.items()},
                source_id=source_id or None,
                location=location,
            )
        )
    return good.filter(pc.invert(bad)), rejects


_DECIMAL_LIMIT = pa.scalar(Decimal("1e14"), pa.decimal128(38, 4))


def _fit_decimal(name: str, column: Any, value_checks: list[tuple[Any, str]]) -> Any:
    """A decimal column of any precision, made to fit decimal128(18, 4): a
    value with more than 4 decimals or more than 14 digits before the point
    is a bad value (its row is rejected), not a bad column."""
    wide = column.cast(pa.decimal128(38, max(column.type.scale, 4)))
    rounded = pc.round(wide, ndigits=4)
    too_precise = pc.not_equal(rounded, wide)
    too_big = pc.greater_equal(pc.abs(rounded.cast(pa.decimal128(38, 4))), _DECIMAL_LIMIT)
    value_checks.append((too_precise, f"field {name!r} has more than 4 decimals"))
    value_checks.append((too_big, f"field {name!r} has more than 18 digits"))
    return pc.if_else(pc.or_(too_precise, too_big), None, rounded).cast(pa.decimal128(38, 4))


def _trim_items(column: Any) -> Any:
    """`tags`: each string of each list stripped, as the model strips strings."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = []
    for chunk in chunks:
        trimmed = pc.utf8_trim_whitespace(chunk.values)
        out.append(pa.ListArray.from_arrays(chunk.offsets, trimmed, mask=chunk.is_null()))
    return pa.chunked_array(out, column.type)


def _cast(entity: str, field: pa.Field, column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.type == field.type:
        return column
    if pa.types.is_timestamp(field.type) and (
        not pa.types.is_timestamp(column.type) or column.type.tz is None
    ):
        raise ColumnError(
            f"{entity} batch: column {field.name!r} must be a timezone-aware "
            f"timestamp, not {column.type}"
        )
    try:
        return column.cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ColumnError(
            f"{entity} batch: column {field.name!r} is {column.type}, expected {field.type}: {exc}"
        ) from None


def _checks(field: pa.Field, rule: dict[str, Any], column: Any) -> list[tuple[Any, str]]:
    name = field.name
    checks: list[tuple[Any, str]] = []
    if not rule["nullable"]:
        checks.append((pc.is_null(column), f"field {name!r} is required"))
    if "min_length" in rule and pa.types.is_string(field.type):
        checks.append(
            (pc.less(pc.utf8_length(column), rule["min_length"]), f"field {name!r} is empty")
        )
    if "max_length" in rule and pa.types.is_string(field.type):
        checks.append(
            (
                pc.greater(pc.utf8_length(column), rule["max_length"]),
                f"field {name!r} is longer than {rule['max_length']} characters",
            )
        )
    if "pattern" in rule:
        checks.append(
            (
                pc.invert(pc.match_substring_regex(column, _full_match(rule["pattern"]))),
                f"field {name!r} does not match {rule['pattern']}",
            )
        )
    if "enum" in rule:
        allowed = pa.array(rule["enum"])
        checks.append(
            (
                pc.invert(pc.is_in(column, value_set=allowed)),
                f"field {name!r} is not one of {', '.join(rule['enum'])}",
            )
        )
    if "ge" in rule:
        checks.append((pc.less(column, rule["ge"]), f"field {name!r} is below {rule['ge']}"))
    if "le" in rule:
        checks.append((pc.greater(column, rule["le"]), f"field {name!r} is above {rule['le']}"))
    return checks


def _full_match(pattern: str) -> str:
    return pattern if pattern.startswith("^") and pattern.endswith("$") else f"^(?:{pattern})$"


def _model_checks(entity: str, columns: dict[str, Any]) -> list[tuple[Any, str]]:
    """The model's own validators (`model_validator`), column-wise."""
    if entity == "activities":
        return [
            (
                pc.and_(pc.is_valid(columns["amount"]), pc.is_null(columns["currency"])),
                "amount needs a currency",
            ),
            (
                pc.and_(
                    pc.is_null(columns["occurred_at"]),
                    pc.fill_null(pc.not_equal(columns["kind"], "order"), True),
                ),
                UNDATED,
            ),
        ]
    if entity == "goals":
        return [
            (
                pc.and_(pc.is_null(columns["manager_source_id"]), pc.is_null(columns["team"])),
                "a goal needs a manager or a team",
            ),
            (
                pc.less(columns["period_end"], columns["period_start"]),
                "period_end is before period_start",
            ),
        ]
    return []


MODEL_VALIDATORS = {"activities": {"_amount_has_currency"}, "goals": {"_check"}}
"""Entities with a `model_validator` that `_model_checks` repeats column-wise
(a test fails when a model gains a validator this module does not know)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    return value
