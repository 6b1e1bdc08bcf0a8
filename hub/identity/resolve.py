"""Matching: records -> clusters -> unified entities, written to the store.

`match_all(store, config)` is the one entry point (the sync after its
streams land, `hub identity resolve`, the workers). It is incremental: only
records synced since the last match, what shares a key or a block with them,
and the clusters they belong to are matched again; `full=True` re-matches
everything. Either way people's decisions are applied first and always win.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from hub.config import HubConfig
from hub.identity import keys as K
from hub.identity.clusters import Clusters
from hub.identity.records import Candidate, load
from hub.identity.scoring import name_similarity, score
from hub.identity.settings import IdentitySettings
from hub.identity.survivorship import survive
from hub.identity.tables import (
    RESOLVED,
    identity_decisions,
    identity_evidence,
    identity_issues,
    identity_keys,
    identity_members,
    identity_review,
    identity_state,
)
from hub.masking import mask_email, mask_phone
from hub.store.database import Store
from hub.store.records import hub_id
from hub.store.tables import BOOKKEEPING, entity_tables, unified_tables

log = logging.getLogger(__name__)

CHUNK = 2000


@dataclass
class EntityReport:
    entity: str
    records: int = 0
    matched: int = 0
    """Records in scope (all for a full match)."""
    unified: int = 0
    """Unified entities in scope with more than one member."""
    merged_records: int = 0
    changed: int = 0
    """Records whose unified_id changed."""
    review: int = 0
    issues: int = 0
    full: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MatchReport:
    entities: dict[str, EntityReport] = field(default_factory=dict)

    def summary(self) -> str:
        parts = []
        for e in self.entities.values():
            parts.append(
                f"{e.entity}: {e.merged_records} records in {e.unified} unified "
                f"({e.changed} changed, {e.review} to review)"
            )
        return "; ".join(parts)


def settings_of(config: HubConfig) -> IdentitySettings:
    return config.identity


def match_all(
    store: Store,
    config: HubConfig,
    *,
    full: bool = False,
    entities: Sequence[str] = RESOLVED,
    touched: dict[str, set[str]] | None = None,
    now: dt.datetime | None = None,
) -> MatchReport:
    """Match managers and customers; returns what changed."""
    settings = settings_of(config)
    now = now or dt.datetime.now(dt.UTC)
    report = MatchReport()
    for entity in entities:
        report.entities[entity] = _match_entity(
            store, settings, entity, full=full, extra=(touched or {}).get(entity, set()), now=now
        )
    return report


# -- scope ---------------------------------------------------------------------


def _watermark(conn: Connection, entity: str) -> tuple[bool, dt.datetime | None]:
    row = conn.execute(
        select(identity_state.c.watermark).where(identity_state.c.entity == entity)
    ).first()
    return (row is not None, row[0] if row else None)


def _touched(conn: Connection, entity: str, since: dt.datetime | None) -> set[str]:
    """Records synced since the watermark, live records not yet resolved, and
    resolved records that are gone or tombstoned; customers whose contacts were
    synced (changed, added, deleted) since the watermark too."""
    t = entity_tables[entity]
    m = identity_members
    found: set[str] = set()
    if since is not None:
        found.update(conn.execute(select(t.c.id).where(t.c.synced_at > since)).scalars())
        if entity == "customers":
            c = entity_tables["contacts"]
            found.update(
                conn.execute(
                    select(c.c.customer_id)
                    .where(c.c.synced_at > since, c.c.customer_id.is_not(None))
                    .distinct()
                ).scalars()
            )
    found.update(
        conn.execute(
            select(t.c.id)
            .outerjoin(m, (m.c.entity == entity) & (m.c.hub_id == t.c.id))
            .where(t.c.deleted_at.is_(None), m.c.hub_id.is_(None))
        ).scalars()
    )
    found.update(
        conn.execute(
            select(m.c.hub_id)
            .outerjoin(t, t.c.id == m.c.hub_id)
            .where(m.c.entity == entity, or_(t.c.id.is_(None), t.c.deleted_at.is_not(None)))
        ).scalars()
    )
    return found


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_digests(conn: Connection, entity: str, ids: Iterable[str]) -> dict[str, set[str]]:
    k = identity_keys
    out: dict[str, set[str]] = defaultdict(set)
    for part in _chunks(sorted(ids)):
        for hid, value in conn.execute(
            select(k.c.hub_id, k.c.value).where(k.c.entity == entity, k.c.hub_id.in_(part))
        ):
            out[hid].add(value)
    return out


def _digest_counts(conn: Connection, entity: str, values: Iterable[str]) -> dict[str, int]:
    k = identity_keys
    out: dict[str, int] = {}
    for part in _chunks(sorted(values)):
        out.update(
            conn.execute(
                select(k.c.value, func.count())
                .where(k.c.entity == entity, k.c.value.in_(part))
                .group_by(k.c.value)
            ).all()
        )
    return out


def _holders(conn: Connection, entity: str, values: Iterable[str]) -> set[str]:
    k = identity_keys
    out: set[str] = set()
    for part in _chunks(sorted(values)):
        out.update(
            conn.execute(
                select(k.c.hub_id).where(k.c.entity == entity, k.c.value.in_(part))
            ).scalars()
        )
    return out


def _cluster_mates(conn: Connection, entity: str, ids: Iterable[str]) -> set[str]:
    m = identity_members
    unified: set[str] = set()
    for part in _chunks(sorted(ids)):
        unified.update(
            conn.execute(
                select(m.c.unified_id).where(m.c.entity == entity, m.c.hub_id.in_(part))
            ).scalars()
        )
    out: set[str] = set()
    for part in _chunks(sorted(unified)):
        out.update(
            conn.execute(
                select(m.c.hub_id).where(m.c.entity == entity, m.c.unified_id.in_(part))
            ).scalars()
        )
    return out


def _digests_of(c: Candidate, entity: str, settings: IdentitySettings) -> set[str]:
    found = {K.key_digest(kind, value) for kind, value in K.record_keys(c, entity, settings)}
    found.update(K.block_digest(b) for b in K.block_keys(c))
    return found


def decisions(conn: Connection, entity: str) -> list[dict[str, Any]]:
    d = identity_decisions
    rows = conn.execute(select(d).where(d.c.entity == entity).order_by(d.c.id)).mappings()
    out = []
    for row in rows:
        item = dict(row)
        item["a_id"] = hub_id(row["a_connection"], entity, row["a_source_id"])
        item["b_id"] = hub_id(row["b_connection"], entity, row["b_source_id"])
        out.append(item)
    return out


# -- matching ------------------------------------------------------------------


def _match_entity(
    store: Store,
    settings: IdentitySettings,
    entity: str,
    *,
    full: bool,
    extra: set[str],
    now: dt.datetime,
) -> EntityReport:
    report = EntityReport(entity=entity, full=full)
    t = entity_tables[entity]
    with store.read() as conn:
        high = conn.execute(select(func.max(t.c.synced_at))).scalar()
        has_state, since = _watermark(conn, entity)
        rules = decisions(conn, entity)
        full = full or not has_state
        report.full = full
        if full:
            records = list(load(conn, entity, settings))
            scope: set[str] | None = None
            counts = None
            fresh: dict[str, set[str]] = {c.id: _digests_of(c, entity, settings) for c in records}
        else:
            seeds = _touched(conn, entity, since) | extra
            if not seeds:
                report.records = 0
                _write_state(store, entity, high, now, report)
                return report
            scope, records, fresh, counts = _expand(conn, entity, settings, seeds, rules)
        prior = _prior(conn, entity, None if scope is None else {c.id for c in records} | scope)
    report.records = len(records)
    report.matched = len(records)

    if counts is None:  # full: count in memory
        counter: dict[str, int] = defaultdict(int)
        for values in fresh.values():
            for v in values:
                counter[v] += 1
        counts = counter
    outcome = _cluster(records, entity, settings, rules, counts)
    assignment = _assign(records, outcome.roots, prior)

    with store.begin() as conn:
        _write(conn, entity, records, scope, fresh, assignment, prior, outcome, now, report)
        _write_survivors(conn, entity, settings, assignment, prior, now)
        _write_state_in(conn, entity, high, now, report)
    return report


def _expand(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    seeds: set[str],
    rules: list[dict[str, Any]],
) -> tuple[set[str], list[Candidate], dict[str, set[str]], dict[str, int]]:
    """The records a change can affect: the seeds, whatever shares a usable
    key or block with them (one hop), and then the whole clusters of all those
    and the records people's decisions tie to them, until nothing new comes in.
    Edges inside a cluster are re-derived from its members, so one hop is enough."""
    by_record: dict[str, list[str]] = defaultdict(list)
    for d in rules:
        by_record[d["a_id"]].append(d["b_id"])
        by_record[d["b_id"]].append(d["a_id"])
    cap = max(settings.max_key_records, settings.max_block_records)
    seen_ids: set[str] = set()
    records: dict[str, Candidate] = {}
    fresh: dict[str, set[str]] = {}
    frontier = set(seeds)
    scope = set(seeds)
    first = True
    while frontier:
        seen_ids |= frontier
        loaded = {c.id: c for c in load(conn, entity, settings, frontier)}
        records.update(loaded)
        digests: set[str] = set()
        typo: set[str] = set()
        for cid in frontier:
            if cid in loaded:
                fresh[cid] = _digests_of(loaded[cid], entity, settings)
                digests |= fresh[cid]
                typo.update(
                    K.block_digest(b) for b in K.block_keys(loaded[cid]) if K.is_typo_block(b)
                )
        for values in _stored_digests(conn, entity, frontier - set(loaded)).values():
            digests |= values
        near = _cluster_mates(conn, entity, frontier)
        if first:  # one hop through keys and blocks; then only whole clusters
            stored_counts = _digest_counts(conn, entity, digests)
            usable = {
                v
                for v in digests
                if stored_counts.get(v, 0) <= (K.TYPO_BLOCK_RECORDS if v in typo else cap)
            }
            near |= _holders(conn, entity, usable)
            first = False
        for cid in list(frontier):
            near.update(by_record.get(cid, ()))
        frontier = near - seen_ids
        scope |= frontier
    # counts for the guard: stored counts, corrected for the records re-keyed now
    stored = _stored_digests(conn, entity, fresh)
    all_values = set().union(*fresh.values()) if fresh else set()
    counts = dict(_digest_counts(conn, entity, all_values))
    for cid, values in fresh.items():
        for v in stored.get(cid, set()) - values:
            counts[v] = counts.get(v, 1) - 1
        for v in values - stored.get(cid, set()):
            counts[v] = counts.get(v, 0) + 1
    return scope, list(records.values()), fresh, counts


def _prior(conn: Connection, entity: str, ids: set[str] | None) -> dict[str, str]:
    m = identity_members
    q = select(m.c.hub_id, m.c.unified_id).where(m.c.entity == entity)
    if ids is None:
        return dict(conn.execute(q).all())
    out: dict[str, str] = {}
    for part in _chunks(sorted(ids)):
        out.update(conn.execute(q.where(m.c.hub_id.in_(part))).all())
    return out


@dataclass
class Edge:
    a: str
    b: str
    kind: str
    detail: dict[str, Any]
    score: float | None = None


@dataclass
class Outcome:
    roots: list[int]
    edges: list[Edge]
    review: list[Edge]
    issues: list[dict[str, Any]]


def _masked(kind: str, value: str) -> str:
    if kind in ("phone", "contact_mobile"):
        return mask_phone(value)
    if kind in ("email", "contact_email"):
        return mask_email(value)
    if kind == "domain_name":
        return value.partition("|")[0] + "|…"
    if kind == "employee_number":
        return value[:2] + "***" if len(value) > 2 else "***"
    return value


def _cluster(
    records: list[Candidate],
    entity: str,
    settings: IdentitySettings,
    rules: list[dict[str, Any]],
    counts: dict[str, int],
) -> Outcome:
    index = {c.id: i for i, c in enumerate(records)}
    uf = Clusters(len(records))
    edges: list[Edge] = []
    review: list[Edge] = []
    issues: list[dict[str, Any]] = []
    for i, c in enumerate(records):
        if c.credit_code_valid and c.credit_code:
            uf.set_code(i, c.credit_code)
        elif c.credit_code and "credit_code" in settings.customer_keys:
            issues.append(
                {"kind": "invalid_credit_code", "key": "credit_code", "value": c.credit_code,
                 "hub_id": c.id, "records": 1}
            )  # fmt: skip
    # 1. people's decisions
    live = [d for d in rules if d["a_id"] in index and d["b_id"] in index]
    for d in live:
        if d["decision"] == "unlink":
            uf.forbid(index[d["a_id"]], index[d["b_id"]])
    for d in live:
        if d["decision"] == "link" and uf.union(index[d["a_id"]], index[d["b_id"]], force=True):
            edges.append(
                Edge(d["a_id"], d["b_id"], "decision",
                     {"decision": "link", "by": d["decided_by"], "at": d["decided_at"].isoformat(),
                      "note": d.get("note")})
            )  # fmt: skip
    # 2. deterministic keys, under the shared-key guard
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(records):
        for kind, value in K.record_keys(c, entity, settings):
            groups[(kind, value)].append(i)
    weak = K.WEAK_KEYS.get(entity, set())
    for (kind, value), members in groups.items():
        total = counts.get(K.key_digest(kind, value), len(members))
        if total > settings.max_key_records:
            issues.append(
                {"kind": "shared_key", "key": kind, "value": _masked(kind, value),
                 "hub_id": None, "records": total}
            )  # fmt: skip
            continue
        if len(members) < 2:
            continue
        first = members[0]
        for other in members[1:]:
            a, b = records[first], records[other]
            detail = {"key": kind, "value": _masked(kind, value)}
            if kind in weak:
                sim = name_similarity(a, b) * 100
                detail["name_similarity"] = round(sim / 100, 3)
                if sim < K.NAME_AGREES:
                    if uf.find(first) != uf.find(other):
                        review.append(Edge(a.id, b.id, "key", detail, 0.5))
                    continue
            if uf.union(first, other):
                edges.append(Edge(a.id, b.id, "key", detail))
    # 3. scored candidates within blocks
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(records):
        for b in K.block_keys(c):
            blocks[b].append(i)
    pairs: set[tuple[int, int]] = set()
    for value, members in blocks.items():
        if len(members) < 2:
            continue
        cap = K.TYPO_BLOCK_RECORDS if K.is_typo_block(value) else settings.max_block_records
        if counts.get(K.block_digest(value), len(members)) > cap:
            if K.is_typo_block(value):
                continue  # common beginnings and endings are expected: not an issue
            issues.append(
                {"kind": "oversized_block", "key": value.partition(":")[0],
                 "value": f"{len(members)} records", "hub_id": None, "records": len(members)}
            )  # fmt: skip
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if uf.find(i) != uf.find(j):
                    pairs.add((i, j) if i < j else (j, i))
    scored: list[tuple[float, int, int, dict[str, float]]] = []
    for i, j in pairs:
        a, b = records[i], records[j]
        if a.name and a.name == b.name:
            name_count = counts.get(K.block_digest("n:" + a.name), 0)
        elif a.pinyin and a.pinyin == b.pinyin:
            name_count = counts.get(K.block_digest("p:" + a.pinyin), 0)
        else:
            name_count = 0
        p, w = score(a, b, entity, name_count)
        if p >= settings.review_threshold:
            scored.append((p, i, j, w))
    scored.sort(key=lambda s: (-s[0], records[s[1]].id, records[s[2]].id))
    for p, i, j, w in scored:
        detail = {"weights": w, "probability": round(p, 4)}
        if p >= settings.merge_threshold and uf.union(i, j):
            edges.append(Edge(records[i].id, records[j].id, "score", detail, p))
        elif uf.find(i) != uf.find(j):
            why = uf.blocked(uf.find(i), uf.find(j))
            if why:
                detail["blocked"] = why
            review.append(Edge(records[i].id, records[j].id, "score", detail, p))
    roots = [uf.find(i) for i in range(len(records))]
    # a pair reviewed but now together (through other records) needs no decision
    review = [e for e in review if roots[index[e.a]] != roots[index[e.b]] and not _decided(e, live)]
    return Outcome(roots, edges, review, _dedupe(issues))


def _decided(edge: Edge, rules: list[dict[str, Any]]) -> bool:
    pair = {edge.a, edge.b}
    return any({d["a_id"], d["b_id"]} == pair for d in rules)


def _dedupe(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for issue in issues:
        key = (issue["kind"], issue["key"], issue["value"], issue["hub_id"])
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def _assign(records: list[Candidate], roots: list[int], prior: dict[str, str]) -> dict[str, str]:
    """hub id -> unified id. A cluster keeps the unified id it had while its
    anchor record is still a member; otherwise its anchor is the oldest member
    (source created_at, then hub id) and the unified id is that record's hub id."""
    members: dict[int, list[Candidate]] = defaultdict(list)
    for c, root in zip(records, roots, strict=True):
        members[root].append(c)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for group in sorted(members.values(), key=lambda g: -len(g)):
        ids = {c.id for c in group}
        kept = sorted({prior[c.id] for c in group if c.id in prior and prior[c.id] in ids} - taken)
        if kept:
            anchor_id = min(kept, key=lambda u: next(c for c in group if c.id == u).anchor_order())
        else:
            anchor_id = min(group, key=Candidate.anchor_order).id
        taken.add(anchor_id)
        for c in group:
            out[c.id] = anchor_id
    return out


# -- writing -------------------------------------------------------------------


def _write(
    conn: Connection,
    entity: str,
    records: list[Candidate],
    scope: set[str] | None,
    fresh: dict[str, set[str]],
    assignment: dict[str, str],
    prior: dict[str, str],
    outcome: Outcome,
    now: dt.datetime,
    report: EntityReport,
) -> None:
    m, k, ev, rv, iss = (
        identity_members,
        identity_keys,
        identity_evidence,
        identity_review,
        identity_issues,
    )
    # keys: replace those of the records re-keyed now
    if scope is None:
        conn.execute(delete(k).where(k.c.entity == entity))
    else:
        for part in _chunks(sorted(set(fresh) | scope)):
            conn.execute(delete(k).where(k.c.entity == entity, k.c.hub_id.in_(part)))
    rows = [{"entity": entity, "value": v, "hub_id": cid} for cid, vs in fresh.items() for v in vs]
    for part in _chunks(rows, 5000):
        conn.execute(insert(k), list(part))

    # members: only what changed
    gone = [hid for hid in prior if hid not in assignment]
    for part in _chunks(gone):
        conn.execute(delete(m).where(m.c.entity == entity, m.c.hub_id.in_(part)))
    changed = [(hid, u) for hid, u in assignment.items() if prior.get(hid) != u]
    new = [{"entity": entity, "hub_id": h, "unified_id": u, "matched_at": now}
           for h, u in changed if h not in prior]  # fmt: skip
    for part in _chunks(new, 5000):
        conn.execute(insert(m), list(part))
    moved = [(h, u) for h, u in changed if h in prior]
    by_unified: dict[str, list[str]] = defaultdict(list)
    for h, u in moved:
        by_unified[u].append(h)
    for u, hids in by_unified.items():
        for part in _chunks(hids):
            conn.execute(
                update(m)
                .where(m.c.entity == entity, m.c.hub_id.in_(part))
                .values(unified_id=u, matched_at=now)
            )
    report.changed = len(moved)

    # evidence, review, issues of the clusters in scope: rewritten
    affected = set(assignment.values()) | {prior[h] for h in prior}
    if scope is None:
        for table in (ev, rv, iss):
            conn.execute(delete(table).where(table.c.entity == entity))
    else:
        ids = sorted(assignment)
        for part in _chunks(sorted(affected)):
            conn.execute(delete(ev).where(ev.c.entity == entity, ev.c.unified_id.in_(part)))
        for part in _chunks(ids):
            conn.execute(
                delete(rv).where(
                    rv.c.entity == entity, or_(rv.c.a_id.in_(part), rv.c.b_id.in_(part))
                )
            )
            conn.execute(delete(iss).where(iss.c.entity == entity, iss.c.hub_id.in_(part)))
        for issue in outcome.issues:
            if issue["hub_id"] is None:
                conn.execute(
                    delete(iss).where(
                        iss.c.entity == entity,
                        iss.c.kind == issue["kind"],
                        iss.c.key == issue["key"],
                        iss.c.value == issue["value"],
                    )
                )
        for part in _chunks(gone):
            conn.execute(delete(iss).where(iss.c.entity == entity, iss.c.hub_id.in_(part)))
    evidence = [
        {"entity": entity, "unified_id": assignment[e.a], "a_id": e.a, "b_id": e.b,
         "kind": e.kind, "detail": e.detail, "score": e.score, "created_at": now}
        for e in outcome.edges
    ]  # fmt: skip
    for part in _chunks(evidence, 5000):
        conn.execute(insert(ev), list(part))
    review = {}
    for e in outcome.review:
        a, b = sorted((e.a, e.b))
        review[(a, b)] = {"entity": entity, "a_id": a, "b_id": b, "score": e.score or 0.0,
                          "detail": {"kind": e.kind, **e.detail}, "found_at": now}  # fmt: skip
    for part in _chunks(list(review.values()), 5000):
        conn.execute(insert(rv), list(part))
    issues = [{"entity": entity, "found_at": now, **i} for i in outcome.issues]
    for part in _chunks(issues, 5000):
        conn.execute(insert(iss), list(part))
    sizes: dict[str, int] = defaultdict(int)
    for u in assignment.values():
        sizes[u] += 1
    report.unified = sum(1 for n in sizes.values() if n > 1)
    report.merged_records = sum(n for n in sizes.values() if n > 1)
    report.review = len(review)
    report.issues = len(issues)


def _write_survivors(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    assignment: dict[str, str],
    prior: dict[str, str],
    now: dt.datetime,
) -> None:
    """Rewrite the survived records of the clusters in scope that have more
    than one member (the others are their own record)."""
    u = unified_tables[entity]
    t = entity_tables[entity]
    affected = sorted(set(assignment.values()) | set(prior.values()))
    for part in _chunks(affected):
        conn.execute(delete(u).where(u.c.unified_id.in_(part)))
    groups: dict[str, list[str]] = defaultdict(list)
    for h, uid in assignment.items():
        groups[uid].append(h)
    multi = {uid: hids for uid, hids in groups.items() if len(hids) > 1}
    if not multi:
        return
    fields = [
        c.name
        for c in u.columns
        if c.name not in ("unified_id", "members", "sources", "resolved_at")
    ]
    wanted = sorted(h for hids in multi.values() for h in hids)
    rows: dict[str, dict[str, Any]] = {}
    columns = [t.c[c] for c in ("id", "source", *fields, *BOOKKEEPING) if c in t.c]
    for part in _chunks(wanted):
        for row in conn.execute(select(*columns).where(t.c.id.in_(part))).mappings():
            rows[row["id"]] = dict(row)
    rules = settings.survivorship(entity)
    out = []
    for uid, hids in multi.items():
        values, sources = survive([rows[h] for h in hids if h in rows], fields, rules)
        values.update(unified_id=uid, members=len(hids), sources=sources, resolved_at=now)
        out.append(values)
    for part in _chunks(out, 2000):
        conn.execute(insert(u), list(part))


def _write_state(
    store: Store, entity: str, high: dt.datetime | None, now: dt.datetime, report: EntityReport
) -> None:
    with store.begin() as conn:
        _write_state_in(conn, entity, high, now, report)


def _write_state_in(
    conn: Connection, entity: str, high: dt.datetime | None, now: dt.datetime, report: EntityReport
) -> None:
    s = identity_state
    conn.execute(delete(s).where(s.c.entity == entity))
    conn.execute(
        insert(s).values(entity=entity, watermark=high, matched_at=now, counts=report.as_dict())
    )
