"""Finding a manager by what a person types: a hub id, source id, employee number or e-mail."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from hub.errors import ConfigError
from hub.identity.tables import identity_members
from hub.store.tables import entity_tables


def find_manager(conn: Connection, text: str, *, unified: bool = True) -> str:
    """The manager's hub id. With `unified`, records that are one person in several
    sources count as one and give the unified manager's id (the one rules' results,
    reports and the dashboard use); several people, or none, fail in one line."""
    m, mm = entity_tables["managers"], identity_members
    rows = conn.execute(
        select(m.c.id, func.coalesce(mm.c.unified_id, m.c.id))
        .outerjoin(mm, (mm.c.entity == "managers") & (mm.c.hub_id == m.c.id))
        .where(
            (m.c.id == text)
            | (m.c.source_id == text)
            | (m.c.employee_number == text)
            | (m.c.email == text)
        )
    ).all()
    if not rows:
        raise ConfigError(f"--manager {text}: no such manager in the store")
    found = {person if unified else record for record, person in rows}
    if len(found) > 1:
        raise ConfigError(f"--manager {text}: matches {len(found)} managers; use the hub id")
    return found.pop()
