"""The store as rules see it on unified entities.

Each entity table is replaced by a select of the same shape: manager and
customer references point at unified ids; the managers and customers
"tables" hold one row per unified entity (its anchor record, with the
survived fields laid over it). A record not matched yet is its own unified
entity, so the views are right even before the first match.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, cast, func, or_, select

from hub.identity.tables import RESOLVED, identity_members
from hub.model import ENTITIES, reference_fields
from hub.store.metadata import HUB_ID
from hub.store.tables import entity_tables, unified_tables


def _unified_ref(column: ColumnElement[Any], target: str, alias: str) -> tuple[Any, Any]:
    m = identity_members.alias(alias)
    on = and_(m.c.entity == target, m.c.hub_id == column)
    # The CAST gives the expression the column's text affinity on SQLite: without
    # it SQLite builds no automatic index on a grouped subquery's mapped id (its
    # values have no affinity), and a rule joining customers to "their latest
    # activity" scanned that subquery once per customer (quadratic: 4 s at 10k
    # customers, over 40 min at 100k). On PostgreSQL it is a no-op.
    return m, (on, cast(func.coalesce(m.c.unified_id, column), HUB_ID))


def unified_view(entity: str) -> FromClause:
    t = entity_tables[entity]
    refs = {
        hub_field: target
        for _, hub_field, target in reference_fields(ENTITIES[entity])
        if target in RESOLVED
    }
    joined: Any = t
    columns: list[ColumnElement[Any]] = []
    survived = unified_tables.get(entity)
    where = []
    if survived is not None:
        own = identity_members.alias(f"{entity}_self")
        joined = joined.outerjoin(own, and_(own.c.entity == entity, own.c.hub_id == t.c.id))
        joined = joined.outerjoin(survived, survived.c.unified_id == t.c.id)
        where.append(or_(own.c.unified_id.is_(None), own.c.unified_id == t.c.id))
    for column in t.columns:
        value: ColumnElement[Any] = column
        if survived is not None and column.name in survived.c and column.name != "deleted_at":
            value = func.coalesce(survived.c[column.name], column)
        if column.name in refs:
            m, (on, mapped) = _unified_ref(value, refs[column.name], f"{entity}_{column.name}")
            joined = joined.outerjoin(m, on)
            value = mapped
        columns.append(value.label(column.name) if value is not column else column)
    return select(*columns).select_from(joined).where(*where).subquery(f"v_{entity}")


def unified_views() -> dict[str, FromClause]:
    """Entity -> its unified view, for every entity the store holds."""
    return {entity: unified_view(entity) for entity in entity_tables}
