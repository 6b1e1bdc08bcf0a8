"""What-if for PostgreSQL: the writer's bulk statements run as COPY + one set-based statement.

`RecordWriter` hands psycopg one `INSERT ... VALUES (%s, ...) ON CONFLICT`
per row through `executemany`. This experiment keeps its SQL and its rows
and changes only how they reach the server: the rows are COPYed into a
temporary table, and the same statement runs once as
`INSERT ... SELECT ... FROM staging ON CONFLICT ...` (every `%s::TYPE` of
the original becomes a column of the staging table, in order).

Only for measuring (`stages.py --copy-upsert`): a real implementation must
also drop duplicate keys inside a batch (PostgreSQL refuses to update one
row twice in one statement); the generated files have none.
"""

from __future__ import annotations

import re
from typing import Any

_PARAM = re.compile(r"%s(?:::(VARCHAR|TIMESTAMP WITH TIME ZONE|JSONB|INTEGER))?")
_TYPES = {
    "VARCHAR": "text",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "JSONB": "jsonb",
    "INTEGER": "integer",
    None: "numeric",
}


class SetBasedStatement:
    """One bulk statement of the writer, rewritten to read from a staging table."""

    def __init__(self, sql: str, name: str) -> None:
        self.name = name
        casts = [m.group(1) for m in _PARAM.finditer(sql)]
        columns = ", ".join(f"p{i} {_TYPES[c]}" for i, c in enumerate(casts))
        self.create = f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"
        self.copy = f"COPY {name} FROM STDIN"
        counter = iter(range(len(casts)))
        body = _PARAM.sub(lambda _: f"s.p{next(counter)}", sql)
        head, _, rest = body.partition(" VALUES (")
        end = _closing_paren(rest)
        values, tail = rest[:end], rest[end + 1 :]
        self.insert = f"{head} SELECT {values} FROM {name} AS s{tail}"


def _closing_paren(text: str) -> int:
    """Index of the ")" closing a "(" that precedes `text`."""
    depth = 1
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced parentheses in the writer's statement")


class CopyUpsertConnection:
    """Wraps a SQLAlchemy connection: the writer's bulk statements go through COPY."""

    def __init__(self, conn: Any, statements: dict[str, str]) -> None:
        self._conn = conn
        self._statements = {sql: SetBasedStatement(sql, name) for name, sql in statements.items()}

    def exec_driver_sql(self, sql: str, params: Any = None) -> Any:
        plan = self._statements.get(sql)
        if plan is None or not isinstance(params, list):
            return self._conn.exec_driver_sql(sql, params)
        cursor = self._conn.connection.dbapi_connection.cursor()
        cursor.execute(f"DROP TABLE IF EXISTS {plan.name}")
        cursor.execute(plan.create)
        with cursor.copy(plan.copy) as copy:
            for row in params:
                copy.write_row(row)
        return self._conn.exec_driver_sql(plan.insert)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)
