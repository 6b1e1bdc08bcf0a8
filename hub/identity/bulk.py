"""Inserting many rows at the driver's speed.

SQLAlchemy's `insert(table)` with a list of dicts builds and processes a
parameter dict per row; a full match writes millions of key rows. Here each
column's bind processor (the store's own types: UTC text, JSON) is applied
to plain tuples, which go to the driver in slices: `executemany` on SQLite,
`COPY` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

SLICE = 50_000


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    stored: Collection[str] = (),
) -> int:
    """Insert `rows` (tuples in the order of `columns`); returns how many.
    The values of the `stored` columns are already in the store's form
    (read from the store as it holds them) and are not converted again."""
    dialect = conn.dialect
    processors = [
        None if c in stored else table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
        for c in columns
    ]
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        statement = f"COPY {table.name} ({names}) FROM STDIN"
    else:
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    convert = [(at, p) for at, p in enumerate(processors) if p is not None]
    written = 0
    source = iter(rows)
    while part := list(islice(source, SLICE)):
        values = _processed(part, convert) if convert else part
        written += len(values)
        cursor = conn.connection.cursor()
        try:
            if dialect.name == "postgresql":
                with cursor.copy(statement) as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany(statement, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            # as SQLAlchemy reports a refused statement: the reason, never the rows
            raise DBAPIError(statement, None, exc) from exc
        finally:
            cursor.close()
    return written


def _processed(rows: list[Sequence[Any]], convert: list[tuple[int, Any]]) -> list[Sequence[Any]]:
    """Rows with each value in the store's form; a value repeated from the
    row before (the match's timestamp, the entity) is converted once."""
    out = [list(row) for row in rows]
    for at, process in convert:
        last: Any = object()
        done: Any = None
        for row in out:
            value = row[at]
            if value is None:
                continue
            if value is not last:
                last, done = value, process(value)
            row[at] = done
    return out
