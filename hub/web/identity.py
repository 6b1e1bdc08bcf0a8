"""The identity review queue on the dashboard: pairs that matching could not
decide, and an admin's link / unlink — the same decisions as `hub identity
link|unlink`, applied the same way (`hub.identity`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hub.config import HubConfig
from hub.identity import decisions
from hub.identity.resolve import match_all
from hub.identity.tables import RESOLVED, identity_review
from hub.masking import mask_name
from hub.store.database import Store
from hub.store.tables import entity_tables
from hub.web.data import BadInput, Scope

LIMIT = 200


def queue(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """The best-scored pairs first; people's names masked unless the viewer is an admin."""
    rv = identity_review
    rows = conn.execute(select(rv).order_by(rv.c.score.desc(), rv.c.a_id).limit(LIMIT)).all()
    records: dict[str, Any] = {}
    for entity in RESOLVED:
        ids = {r.a_id for r in rows if r.entity == entity} | {
            r.b_id for r in rows if r.entity == entity
        }
        t = entity_tables[entity]
        kind = t.c.kind if entity == "customers" else t.c.source  # managers are people
        for row in conn.execute(
            select(t.c.id, t.c.source, t.c.source_id, t.c.name, kind.label("kind")).where(
                t.c.id.in_(sorted(ids))
            )
        ):
            person = entity == "managers" or row.kind == "person"
            name = row.name if scope.unmasked or not person else mask_name(row.name)
            records[row.id] = {"ref": f"{row.source}:{entity}:{row.source_id}", "name": name}
    return [
        {
            "entity": r.entity,
            "a_id": r.a_id,
            "b_id": r.b_id,
            "a": records.get(r.a_id, {"ref": r.a_id, "name": ""}),
            "b": records.get(r.b_id, {"ref": r.b_id, "name": ""}),
            "score": round(r.score, 3),
            "evidence": evidence_text(r.detail),
        }
        for r in rows
    ]


def evidence_text(detail: dict[str, Any]) -> str:
    if "weights" in detail:
        return ", ".join(f"{k} {v:+g}" for k, v in detail["weights"].items())
    if "key" in detail:
        return f"same {detail['key']}"
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if not isinstance(v, dict | list))


def decide(
    store: Store, config: HubConfig, scope: Scope, entity: str, a: str, b: str, decision: str
) -> None:
    """Record the admin's decision and match the pair again, as the CLI does."""
    if decision not in ("link", "unlink"):
        raise BadInput(f"decision {decision[:20]!r}: link or unlink")
    if entity not in RESOLVED:
        raise BadInput(f"entity {entity[:20]!r}: one of {', '.join(RESOLVED)}")
    with store.begin() as conn:
        try:
            ra = decisions.parse_ref(conn, a, entity)
            rb = decisions.parse_ref(conn, b, entity)
            decisions.decide(conn, decision, ra, rb, by=f"web:{scope.user.username}")
        except decisions.IdentityError as exc:
            raise BadInput(str(exc)) from None
    match_all(store, config, entities=[entity], touched={entity: {ra.hub_id, rb.hub_id}})
