"""From an Arrow batch to the values the store's driver takes, column by column.

The conversions are the ones `hub.store.types` applies to single values
(UTC text and scaled integers on SQLite, native types on PostgreSQL), done
on whole columns by Arrow's compute kernels, so no Python runs per value
except for `tags` (a list per row, stored as JSON text).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hub.store.types import SCALE, dumps

_SCALE_FACTOR = pa.scalar(Decimal(10**SCALE), pa.decimal128(SCALE + 1, 0))


def column_values(table: pa.Table, fields: Sequence[str], dialect: str) -> list[list[Any]]:
    """The values of `fields`, one Python list per column, as the driver of
    `dialect` ("sqlite" or "postgresql") stores them."""
    return [_values(table.column(name), name, dialect) for name in fields]


def _values(column: pa.ChunkedArray, name: str, dialect: str) -> list[Any]:
    kind = column.type
    if pa.types.is_list(kind):  # tags
        return [None if v is None else dumps(v) for v in column.to_pylist()]
    if dialect != "sqlite":
        return column.to_pylist()
    if pa.types.is_timestamp(kind):
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as UTCDateTime stores it
        return pc.strftime(column, "%Y-%m-%d %H:%M:%S").to_pylist()
    if pa.types.is_decimal(kind):
        # an integer count of 1/10,000 units, as ExactDecimal stores it
        return pc.multiply(column, _SCALE_FACTOR).cast(pa.int64()).to_pylist()
    if pa.types.is_date(kind):
        return column.cast(pa.string()).to_pylist()
    return column.to_pylist()
