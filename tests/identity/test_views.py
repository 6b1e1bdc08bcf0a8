"""The unified views must stay cheap to join: rules join customers to aggregates of
their activities, and a plan that scans the aggregate once per customer is quadratic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from hub.identity.views import unified_view
from hub.store.database import Store


def test_a_customer_joins_its_latest_activity_through_an_index_on_sqlite(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    c, a = unified_view("customers"), unified_view("activities")
    last = (
        select(a.c.customer_id, func.max(a.c.occurred_at).label("last_at"))
        .where(a.c.customer_id.is_not(None))
        .group_by(UnaryExpression(a.c.customer_id, operator=operators.custom_op("+")))  # scanned()
        .subquery("last_activity")
    )
    statement = select(c.c.id, last.c.last_at).select_from(
        c.outerjoin(last, last.c.customer_id == c.c.id)
    )
    with store.read() as conn:
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        plan = [row[3] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    store.dispose()
    on_last = [step for step in plan if "last_activity" in step and "MATERIALIZE" not in step]
    assert on_last and all("INDEX" in step for step in on_last), plan
