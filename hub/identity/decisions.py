"""People's decisions: link (the same) and unlink (never the same).

Decisions name records by source reference (connection, source id), so they
outlive re-syncs, full re-matches and store rebuilds (hub ids are derived
from the same three values). A decision that contradicts the others, directly
or through a chain of links, is refused with one line naming the decision it
contradicts.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from hub.errors import ConfigError
from hub.identity.tables import RESOLVED, identity_decisions, identity_members
from hub.store.records import hub_id
from hub.store.tables import entity_tables

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class IdentityError(ConfigError):
    """A reference that names no record, or a decision that contradicts another."""


@dataclass(frozen=True)
class Ref:
    entity: str
    connection: str
    source_id: str
    hub_id: str

    def __str__(self) -> str:
        return f"{self.connection}:{self.entity}:{self.source_id}"


def parse_ref(conn: Connection, text: str, entity: str | None = None) -> Ref:
    """`CONNECTION:ENTITY:SOURCE_ID`, or a record's hub id."""
    value = text.strip()
    if _UUID.match(value.lower()):
        for name in [entity] if entity else RESOLVED:
            t = entity_tables[name]
            row = conn.execute(select(t.c.source, t.c.source_id).where(t.c.id == value)).first()
            if row:
                return Ref(name, row.source, row.source_id, value)
        raise IdentityError(f"{value}: no manager or customer record has this hub id")
    connection, _, rest = value.partition(":")
    name, _, source_id = rest.partition(":")
    if not connection or not source_id or name not in RESOLVED:
        raise IdentityError(
            f"{value!r}: refer to a record as CONNECTION:ENTITY:SOURCE_ID "
            f"(ENTITY one of {', '.join(RESOLVED)}) or by its hub id"
        )
    ref = Ref(name, connection, source_id, hub_id(connection, name, source_id))
    t = entity_tables[name]
    if conn.execute(select(t.c.id).where(t.c.id == ref.hub_id)).first() is None:
        raise IdentityError(f"{ref}: no such record in the store")
    return ref


def resolve_any(conn: Connection, text: str) -> tuple[str, str]:
    """(entity, unified id) for a record reference, a hub id or a unified id."""
    value = text.strip()
    if _UUID.match(value.lower()):
        m = identity_members
        row = conn.execute(
            select(m.c.entity, m.c.unified_id).where(
                (m.c.unified_id == value) | (m.c.hub_id == value)
            )
        ).first()
        if row:
            return row.entity, row.unified_id
    ref = parse_ref(conn, value)
    return ref.entity, unified_of(conn, ref.entity, ref.hub_id)


def unified_of(conn: Connection, entity: str, record_id: str) -> str:
    m = identity_members
    found = conn.execute(
        select(m.c.unified_id).where(m.c.entity == entity, m.c.hub_id == record_id)
    ).scalar()
    return found or record_id


def who() -> str:
    return os.environ.get("HUB_USER") or getpass.getuser()


def _label(row: Any) -> str:
    when = row["decided_at"].strftime("%Y-%m-%d %H:%M")
    a = f"{row['a_connection']}:{row['entity']}:{row['a_source_id']}"
    b = f"{row['b_connection']}:{row['entity']}:{row['b_source_id']}"
    return f"{a} and {b} were {row['decision']}ed by {row['decided_by']} at {when}"


def decide(
    conn: Connection,
    decision: str,
    a: Ref,
    b: Ref,
    *,
    by: str,
    note: str | None = None,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> bool:
    """Record a decision; False if the same one is already recorded."""
    if decision not in ("link", "unlink"):
        raise ValueError(decision)
    if a.entity != b.entity:
        raise IdentityError(
            f"{a} and {b}: a {a.entity[:-1]} and a {b.entity[:-1]} cannot be linked"
        )
    if a.hub_id == b.hub_id:
        raise IdentityError(f"{a}: a record is always the same as itself")
    entity = a.entity
    d = identity_decisions
    rows = [
        dict(r)
        for r in conn.execute(select(d).where(d.c.entity == entity).order_by(d.c.id)).mappings()
    ]
    pair = {a.hub_id, b.hub_id}
    for row in rows:
        row["a_id"] = hub_id(row["a_connection"], entity, row["a_source_id"])
        row["b_id"] = hub_id(row["b_connection"], entity, row["b_source_id"])
    same_pair = [r for r in rows if {r["a_id"], r["b_id"]} == pair]
    if any(r["decision"] == decision for r in same_pair):
        return False
    if same_pair and not replace:
        raise IdentityError(
            f"{decision} {a} {b}: contradicts an earlier decision: {_label(same_pair[-1])} "
            f"(pass --replace to change it)"
        )
    kept = [r for r in rows if {r["a_id"], r["b_id"]} != pair]
    candidate = {"decision": decision, "a_id": a.hub_id, "b_id": b.hub_id}
    conflict = _contradiction([*kept, candidate])
    if conflict is not None:
        raise IdentityError(
            f"{decision} {a} {b}: contradicts an earlier decision: {_label(conflict)}"
        )
    if same_pair:
        conn.execute(delete(d).where(d.c.id.in_([r["id"] for r in same_pair])))
    conn.execute(
        insert(d).values(
            entity=entity,
            decision=decision,
            a_connection=a.connection,
            a_source_id=a.source_id,
            b_connection=b.connection,
            b_source_id=b.source_id,
            decided_by=by,
            decided_at=now or dt.datetime.now(dt.UTC),
            note=note,
        )
    )
    return True


def _contradiction(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first stored decision the set cannot honour: an unlink whose two
    records are tied together by a chain of links."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        if r["decision"] == "link":
            parent[find(r["a_id"])] = find(r["b_id"])
    for r in rows:
        if r["decision"] == "unlink" and find(r["a_id"]) == find(r["b_id"]):
            if "id" in r:
                return r
            # the new unlink: name a link on the chain
            return next(x for x in rows if x["decision"] == "link" and "id" in x and (
                find(x["a_id"]) == find(r["a_id"])))  # fmt: skip
    return None


def members_of(conn: Connection, entity: str, unified_id: str) -> list[str]:
    m = identity_members
    ids = list(
        conn.execute(
            select(m.c.hub_id).where(m.c.entity == entity, m.c.unified_id == unified_id)
        ).scalars()
    )
    return ids or [unified_id]
