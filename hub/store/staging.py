"""From an Arrow batch to the values the store's driver takes, column by column.

The conversions are the ones `hub.store.types` applies to single values
(UTC text and scaled integers on SQLite, native types on PostgreSQL), done
on whole columns by Arrow's compute kernels, so no Python runs per value
except for `tags` (a list per row, stored as JSON text).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy.exc import DBAPIError

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
        # Arrow's text of a naive timestamp[us] is this format, 100× faster than strftime
        return column.cast(pa.timestamp("us")).cast(pa.string()).to_pylist()
    if pa.types.is_decimal(kind):
        # an integer count of 1/10,000 units, as ExactDecimal stores it
        return pc.multiply(column, _SCALE_FACTOR).cast(pa.int64()).to_pylist()
    if pa.types.is_date(kind):
        return column.cast(pa.string()).to_pylist()
    return column.to_pylist()


def utc_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """An aware timestamp column as PostgreSQL reads it whatever the session's
    time zone: "YYYY-MM-DD HH:MM:SS.ffffffZ". Arrow's CSV writer formats an
    aware timestamp through the time zone database, 1.4 µs a value (8 columns
    of activities: 55 ms of every 5,000-row batch); the text of the naive UTC
    value is 20× faster, and the "Z" is one more kernel."""
    naive = column.cast(pa.timestamp("us")).cast(pa.string())
    return pc.binary_join_element_wise(naive, pa.scalar("Z"), pa.scalar(""))


class StagingTable:
    """A temporary table holding one batch, so the writes behind it are one
    set-based statement per target instead of a statement per row.

    Its columns are the hub id, the source id, the record's fields (as the
    target table names them) and `hub_digest` (the digest of the source row,
    for `seen`). It lives in the connection's temporary schema and is emptied
    for every batch (and at every commit on PostgreSQL), inside the
    batch's transaction: a crash leaves nothing behind. On SQLite it is in
    the in-memory database every connection attaches, so staging costs no
    file I/O. Loaded with
    `executemany` on SQLite and with `COPY` (CSV written by Arrow, in C++) on
    PostgreSQL."""

    def __init__(self, dialect: str, entity: str, fields: Sequence[str]) -> None:
        self.dialect = dialect
        self.name = f"hub_stage_{entity}"
        self.fields = list(fields)
        self.columns = ["id", "source_id", *self.fields, "hub_digest"]
        names = ", ".join(self.columns)
        if dialect == "sqlite":
            # columns without a type: values are kept exactly as bound, and
            # the target's own column types apply when they are copied over
            # in the in-memory database each connection attaches (hub.store.database)
            self.name = f"hub_stage.{self.name}"
            self._create = f"CREATE TABLE IF NOT EXISTS {self.name} ({names})"
            self._load = f"INSERT INTO {self.name} VALUES ({', '.join('?' * len(self.columns))})"
        else:
            # the target's column types, so COPY parses each value as the target would
            selected = ", ".join(["id", "source_id", *self.fields, "NULL::text AS hub_digest"])
            self._create = (
                f"CREATE TEMP TABLE IF NOT EXISTS {self.name} ON COMMIT DELETE ROWS AS "
                f"SELECT {selected} FROM {entity} WITH NO DATA"
            )
            self._load = f"COPY {self.name} ({names}) FROM STDIN (FORMAT csv)"

    def load(
        self,
        conn: Any,
        table: pa.Table,
        hub_ids: list[str],
        digests: list[str | None],
    ) -> None:
        """Put the batch into the (empty) staging table."""
        conn.exec_driver_sql(self._create)
        # two writers of one entity may share a transaction (and so this table);
        # DELETE, not TRUNCATE: the table is empty at a batch's start (emptied at
        # every commit), where TRUNCATE still gives it a new file every time
        conn.exec_driver_sql(f"DELETE FROM {self.name}")
        if self.dialect == "sqlite":
            source_ids = table.column("source_id").to_pylist()
            columns = column_values(table, self.fields, "sqlite")
            conn.exec_driver_sql(
                self._load, list(zip(hub_ids, source_ids, *columns, digests, strict=True))
            )
            return
        arrays = [pa.array(hub_ids, pa.string()), table.column("source_id")]
        for name in self.fields:
            column = table.column(name)
            if pa.types.is_list(column.type):  # tags: JSON text
                column = pa.array(_values(column, name, "sqlite"), pa.string())
            elif pa.types.is_timestamp(column.type):
                column = utc_text(column)
            arrays.append(column)
        arrays.append(pa.array(digests, pa.string()))
        buffer = io.BytesIO()
        pa_csv.write_csv(
            pa.Table.from_arrays(arrays, names=self.columns),
            buffer,
            pa_csv.WriteOptions(include_header=False),
        )
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(self._load) as copy:
                copy.write(buffer.getbuffer())
        except conn.dialect.loaded_dbapi.Error as exc:
            # as SQLAlchemy reports a refused statement: the engine shows the
            # database's reason only, never the batch's data
            raise DBAPIError(self._load, None, exc) from exc
        finally:
            cursor.close()
