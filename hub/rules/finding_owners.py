"""Which manager a finding belongs to: the one who owned its subject when the rules ran.

Findings are kept with their manager, like measures and earnings, so a lead's
or a manager's findings are `manager_id IN (team)` on the run's own rows, not
a walk through customers' *current* owners on every request; a later owner
change moves a finding only with the next run. The writer asks here once per
batch of findings (a few bulk selects), on the tables the run read: on a
unified run the unified views, so the id is the unified manager the run used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, FromClause, select

from hub.store.tables import entity_tables

CHUNK = 500
"""Ids per IN list: well under SQLite's bound-parameter limit."""


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def resolve(
    conn: Connection,
    subjects: Iterable[tuple[str, str]],
    tables: Mapping[str, FromClause] | None = None,
) -> dict[tuple[str, str], str | None]:
    """(subject_type, subject_id) -> manager id, for a batch of findings.

    A manager finding is the manager's; a customer's, its owner's; an
    activity's, its manager's or else its customer's owner; a contact's, its
    owner's or else its customer's owner; a goal's, its manager's. Anything
    else, or a subject nobody owns, maps to None.
    """
    t = tables or entity_tables
    wanted: dict[str, set[str]] = {}
    for kind, sid in subjects:
        wanted.setdefault(kind, set()).add(sid)
    found: dict[tuple[str, str], str | None] = {}
    for sid in wanted.get("manager", ()):
        found[("manager", sid)] = sid
    via_customer: dict[tuple[str, str], str] = {}
    for kind, table, own, customer in (
        ("activity", "activities", "manager_id", "customer_id"),
        ("contact", "contacts", "owner_id", "customer_id"),
        ("goal", "goals", "manager_id", "manager_id"),
    ):
        v = t[table]
        for sid, manager, cid in _rows(conn, v, wanted.get(kind, ()), v.c[own], v.c[customer]):
            found[(kind, sid)] = manager
            if manager is None and cid is not None and customer == "customer_id":
                via_customer[(kind, sid)] = cid
    c = t["customers"]
    customers = set(wanted.get("customer", ())) | set(via_customer.values())
    owners = {cid: owner for cid, owner in _rows(conn, c, customers, c.c.owner_id)}
    for sid in wanted.get("customer", ()):
        found[("customer", sid)] = owners.get(sid)
    for key, cid in via_customer.items():
        found[key] = owners.get(cid)
    return found


def _rows(conn: Connection, v: FromClause, ids: Iterable[str], *columns: Any) -> Iterable[Any]:
    """(id, *columns) of the records with these ids, a chunk at a time."""
    for chunk in _chunks(sorted(ids)):
        yield from conn.execute(select(v.c.id, *columns).where(v.c.id.in_(chunk)))
