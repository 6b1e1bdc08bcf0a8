"""`hub identity`: match records into unified managers and customers, and
let people decide what matching could not."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click
from sqlalchemy import Connection, func, select

from hub.cli.common import config_from, print_json, print_table, store_from
from hub.identity import decisions as D
from hub.identity.resolve import match_all
from hub.identity.tables import (
    RESOLVED,
    identity_decisions,
    identity_evidence,
    identity_issues,
    identity_members,
    identity_review,
)
from hub.masking import mask_email, mask_phone
from hub.store.database import Store
from hub.store.tables import entity_tables

entity_option = click.option(
    "--entity",
    type=click.Choice(RESOLVED),
    default=None,
    help="Only managers or only customers (default: both).",
)


def _open(ctx: click.Context) -> tuple[Any, Store]:
    config = config_from(ctx)
    store = store_from(config)
    store.upgrade()
    return config, store


@click.group()
def identity() -> None:
    """Unified managers and customers across connections (docs/identity.md)."""


@identity.command()
@entity_option
@click.option("--full", is_flag=True, help="Re-match every record, not only what changed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def resolve(ctx: click.Context, entity: str | None, full: bool, as_json: bool) -> None:
    """Match records into unified entities (incremental unless --full)."""
    config, store = _open(ctx)
    report = match_all(store, config, full=full, entities=[entity] if entity else RESOLVED)
    if as_json:
        print_json([e.as_dict() for e in report.entities.values()])
    else:
        click.echo(f"identity: {report.summary()}")


def _decide(ctx: click.Context, decision: str, a: str, b: str, by: str | None, note: str | None,
            replace: bool) -> None:  # fmt: skip
    config, store = _open(ctx)
    with store.begin() as conn:
        ra, rb = D.parse_ref(conn, a), D.parse_ref(conn, b)
        done = D.decide(conn, decision, ra, rb, by=by or D.who(), note=note, replace=replace)
    if not done:
        click.echo(f"{ra} and {rb}: already {decision}ed")
        return
    match_all(store, config, entities=[ra.entity], touched={ra.entity: {ra.hub_id, rb.hub_id}})
    with store.read() as conn:
        ua, ub = D.unified_of(conn, ra.entity, ra.hub_id), D.unified_of(conn, ra.entity, rb.hub_id)
    state = "one entity " + ua if ua == ub else f"two entities {ua} and {ub}"
    click.echo(f"{decision}ed {ra} and {rb}: now {state}")


_by = click.option("--by", default=None, help="Who decides (default: $HUB_USER or the login).")
_note = click.option("--note", default=None, help="Why, for whoever reads the evidence later.")
_replace = click.option("--replace", is_flag=True, help="Replace an earlier decision on the pair.")


@identity.command()
@click.argument("a")
@click.argument("b")
@_by
@_note
@_replace
@click.pass_context
def link(ctx: click.Context, a: str, b: str, by: str | None, note: str | None,
         replace: bool) -> None:  # fmt: skip
    """A and B are the same (CONNECTION:ENTITY:SOURCE_ID or hub ids)."""
    _decide(ctx, "link", a, b, by, note, replace)


@identity.command()
@click.argument("a")
@click.argument("b")
@_by
@_note
@_replace
@click.pass_context
def unlink(ctx: click.Context, a: str, b: str, by: str | None, note: str | None,
           replace: bool) -> None:  # fmt: skip
    """A and B are never the same, whatever keys or scores say."""
    _decide(ctx, "unlink", a, b, by, note, replace)


def _refs(conn: Connection, entity: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    t = entity_tables[entity]
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 2000):
        part = wanted[start : start + 2000]
        for row in conn.execute(
            select(t.c.id, t.c.source, t.c.source_id, t.c.name).where(t.c.id.in_(part))
        ):
            out[row.id] = {
                "ref": f"{row.source}:{entity}:{row.source_id}",
                "connection": row.source,
                "source_id": row.source_id,
                "name": row.name,
            }
    return out


@identity.command()
@entity_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review(ctx: click.Context, entity: str | None, as_json: bool) -> None:
    """Pairs matching could not decide: accept with `link`, reject with `unlink`."""
    _, store = _open(ctx)
    rv = identity_review
    items = []
    with store.read() as conn:
        for name in [entity] if entity else RESOLVED:
            rows = list(
                conn.execute(
                    select(rv).where(rv.c.entity == name).order_by(rv.c.score.desc(), rv.c.a_id)
                ).mappings()
            )
            refs = _refs(conn, name, {r["a_id"] for r in rows} | {r["b_id"] for r in rows})
            for r in rows:
                a, b = refs.get(r["a_id"], {}), refs.get(r["b_id"], {})
                items.append(
                    {
                        "entity": name,
                        "a": a.get("ref", r["a_id"]),
                        "b": b.get("ref", r["b_id"]),
                        "names": [a.get("name"), b.get("name")],
                        "score": round(r["score"], 4),
                        "evidence": r["detail"],
                    }
                )
    if as_json:
        print_json(items)
        return
    if not items:
        click.echo("nothing to review")
        return
    print_table(
        f"{len(items)} pairs to review "
        "(accept: hub identity link A B; reject: hub identity unlink A B)",
        ["entity", "A", "B", "names", "score", "evidence"],
        (
            (i["entity"], i["a"], i["b"], " / ".join(str(n) for n in i["names"]), i["score"],
             _evidence_text(i["evidence"]))
            for i in items
        ),
    )  # fmt: skip


def _evidence_text(detail: dict[str, Any]) -> str:
    if "weights" in detail:
        text = ", ".join(f"{k} {v:+g}" for k, v in detail["weights"].items())
        return text + (f" [{detail['blocked']}]" if detail.get("blocked") else "")
    if "key" in detail:
        extra = f", names {detail['name_similarity']:.2f}" if "name_similarity" in detail else ""
        return f"same {detail['key']} {detail.get('value', '')}{extra}"
    if "decision" in detail:
        return f"{detail['decision']}ed by {detail.get('by')} at {detail.get('at')}"
    return str(detail)


def unified_entities(conn: Connection, entity: str) -> list[dict[str, Any]]:
    """Every unified entity with a member, in the shape `list --json` promises."""
    t = entity_tables[entity]
    m = identity_members
    unified = func.coalesce(m.c.unified_id, t.c.id)
    rows = conn.execute(
        select(unified.label("unified_id"), t.c.id, t.c.source, t.c.source_id)
        .outerjoin(m, (m.c.entity == entity) & (m.c.hub_id == t.c.id))
        .where(t.c.deleted_at.is_(None))
        .order_by(unified, t.c.source, t.c.source_id)
    )
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[row.unified_id].append(
            {"connection": row.source, "source_id": row.source_id, "hub_id": row.id}
        )
    ev = identity_evidence
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(select(ev).where(ev.c.entity == entity).order_by(ev.c.id)).mappings():
        evidence[row["unified_id"]].append(_evidence_item(row))
    return [
        {"unified_id": uid, "entity": entity, "members": members, "evidence": evidence.get(uid, [])}
        for uid, members in groups.items()
    ]


def _evidence_item(row: Any) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "a": row["a_id"],
        "b": row["b_id"],
        "score": row["score"],
        "detail": row["detail"],
    }


@identity.command(name="list")
@entity_option
@click.option("--json", "as_json", is_flag=True, help="A JSON array (a stable shape for scripts).")
@click.option("--merged", is_flag=True, help="Only entities with more than one member.")
@click.pass_context
def list_(ctx: click.Context, entity: str | None, as_json: bool, merged: bool) -> None:
    """Every unified entity with its members and evidence."""
    _, store = _open(ctx)
    with store.read() as conn:
        items = [
            u for name in ([entity] if entity else RESOLVED) for u in unified_entities(conn, name)
        ]
    if merged:
        items = [u for u in items if len(u["members"]) > 1]
    if as_json:
        print_json(items)
        return
    print_table(
        f"{len(items)} unified entities",
        ["entity", "unified_id", "members", "evidence"],
        (
            (u["entity"], u["unified_id"],
             ", ".join(f"{m['connection']}:{m['source_id']}" for m in u["members"]),
             "; ".join(_evidence_text(e["detail"]) for e in u["evidence"]))
            for u in items
        ),
    )  # fmt: skip


@identity.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def explain(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Why a record or unified entity is what it is: members, evidence, decisions."""
    _, store = _open(ctx)
    with store.read() as conn:
        entity, uid = D.resolve_any(conn, ref)
        ids = D.members_of(conn, entity, uid)
        t = entity_tables[entity]
        members = []
        for row in conn.execute(
            select(t).where(t.c.id.in_(ids)).order_by(t.c.source, t.c.source_id)
        ).mappings():
            members.append(
                {
                    "connection": row["source"],
                    "source_id": row["source_id"],
                    "hub_id": row["id"],
                    "name": row["name"],
                    "email": mask_email(row["email"]) if row["email"] else None,
                    "phone": mask_phone(row["phone"]) if row["phone"] else None,
                    "deleted": row["deleted_at"] is not None,
                }
            )
        ev = identity_evidence
        evidence = [
            _evidence_item(r)
            for r in conn.execute(
                select(ev).where(ev.c.entity == entity, ev.c.unified_id == uid).order_by(ev.c.id)
            ).mappings()
        ]
        d = identity_decisions
        refs = {(m["connection"], m["source_id"]) for m in members}
        made = [
            {"decision": r["decision"], "a": f"{r['a_connection']}:{entity}:{r['a_source_id']}",
             "b": f"{r['b_connection']}:{entity}:{r['b_source_id']}", "by": r["decided_by"],
             "at": r["decided_at"], "note": r["note"]}
            for r in conn.execute(select(d).where(d.c.entity == entity).order_by(d.c.id)).mappings()
            if (r["a_connection"], r["a_source_id"]) in refs
            or (r["b_connection"], r["b_source_id"]) in refs
        ]  # fmt: skip
        rv = identity_review
        pending = [
            {"a": r["a_id"], "b": r["b_id"], "score": r["score"], "detail": r["detail"]}
            for r in conn.execute(
                select(rv).where(rv.c.entity == entity, rv.c.a_id.in_(ids) | rv.c.b_id.in_(ids))
            ).mappings()
        ]
        iss = identity_issues
        issues = [
            {"kind": r["kind"], "key": r["key"], "value": r["value"]}
            for r in conn.execute(
                select(iss).where(iss.c.entity == entity, iss.c.hub_id.in_(ids))
            ).mappings()
        ]
    out = {
        "unified_id": uid,
        "entity": entity,
        "members": members,
        "evidence": evidence,
        "decisions": made,
        "review": pending,
        "issues": issues,
    }
    if as_json:
        print_json(out)
        return
    click.echo(f"{entity[:-1]} {uid}: {len(members)} member(s)")
    for m in members:
        gone = " (deleted)" if m["deleted"] else ""
        click.echo(f"  {m['connection']}:{entity}:{m['source_id']}  {m['name']}{gone}")
    for e in evidence:
        click.echo(f"  merged {e['a']} + {e['b']}: {e['kind']}: {_evidence_text(e['detail'])}")
    for dd in made:
        click.echo(
            f"  decision: {dd['decision']} {dd['a']} {dd['b']} "
            f"by {dd['by']} at {dd['at']:%Y-%m-%d %H:%M}"
        )
    for p in pending:
        click.echo(
            f"  to review: {p['a']} ~ {p['b']} ({p['score']:.2f}): {_evidence_text(p['detail'])}"
        )
    for i in issues:
        click.echo(f"  not used: {i['key']} {i['value']} ({i['kind'].replace('_', ' ')})")
