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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    JSON,
    Connection,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import NullType

from hub.config import HubConfig
from hub.identity import frame as F
from hub.identity import keys as K
from hub.identity.bulk import bulk_insert
from hub.identity.clusters import Clusters
from hub.identity.frame import flat
from hub.identity.records import candidates
from hub.identity.scoring import names_similarity, score
from hub.identity.settings import IdentitySettings
from hub.identity.survivorship import Survivor
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
    """(whether an incremental match can build on the last one, its watermark).
    It cannot when the keys' definitions changed since (`keys.VERSION`)."""
    s = identity_state
    row = conn.execute(select(s.c.watermark, s.c.counts).where(s.c.entity == entity)).first()
    if row is None or (row.counts or {}).get("keys_version") != K.VERSION:
        return (False, None)
    return (True, row.watermark)


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
    if _resolved_as_before(conn, entity, found):
        return found
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


def _resolved_as_before(conn: Connection, entity: str, synced: set[str]) -> bool:
    """Whether every live record outside `synced` is resolved and every
    member outside it is live, told by counting instead of two anti-joins of
    the whole table (~12 s at a million customers).

    A match leaves the members equal to the live records, and a record the
    hub tombstones is synced again, so the members outside `synced` are
    among the live records outside it; the two sets are equal exactly when
    they count the same. They do not when a record committed after the last
    match read the table (a concurrent sync) or a row was removed by hand:
    then the anti-joins find which."""
    t = entity_tables[entity]
    m = identity_members
    live = conn.execute(select(func.count()).where(t.c.deleted_at.is_(None))).scalar_one()
    members = conn.execute(select(func.count()).where(m.c.entity == entity)).scalar_one()
    for part in _chunks(sorted(synced)):
        live -= conn.execute(
            select(func.count()).where(t.c.deleted_at.is_(None), t.c.id.in_(part))
        ).scalar_one()
        members -= conn.execute(
            select(func.count()).where(m.c.entity == entity, m.c.hub_id.in_(part))
        ).scalar_one()
    return live == members


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


@dataclass
class Digests:
    """Every key and block of a frame's records in its stored form, row by row.
    Hashed slice by slice when written: a million records hold six million."""

    rows: pa.Array
    """The record's row in the frame."""
    texts: pa.Array
    """What is hashed: "k␟kind␟value" for a key, "b␟value" for a block."""
    typo: pa.Array
    """Whether the value is a typo block (its count is capped lower)."""

    @classmethod
    def of(cls, keys: pa.Table, blocks: pa.Table) -> Digests:
        """From a frame's `keys.keys_table` and `keys.blocks_table`."""
        typo = pc.or_(
            pc.starts_with(blocks.column("value"), K.TYPO_BLOCKS[0]),
            pc.starts_with(blocks.column("value"), K.TYPO_BLOCKS[1]),
        )
        key_texts = pc.binary_join_element_wise(
            "k", keys.column("kind"), keys.column("value"), "\x1f"
        )
        block_texts = pc.binary_join_element_wise("b", blocks.column("value"), "\x1f")
        return cls(
            rows=pa.concat_arrays([flat(keys.column("idx")), flat(blocks.column("idx"))]),
            texts=pa.concat_arrays([flat(key_texts), flat(block_texts)]),
            typo=pa.concat_arrays([pa.array([False] * keys.num_rows, pa.bool_()), flat(typo)]),
        )

    def slices(self, size: int = 100_000) -> Iterable[tuple[list[int], list[str]]]:
        for start in range(0, len(self.rows), size):
            rows = self.rows.slice(start, size).to_pylist()
            yield rows, K.digests(self.texts.slice(start, size))

    def sorted_slices(self, size: int = 100_000) -> Iterable[tuple[list[int], list[str]]]:
        """All of them in the order of the stored key (value), which makes a
        full match's bulk insert append to the index instead of seeking."""
        rows = self.rows
        values = pa.concat_arrays(
            [pa.array(values, pa.string()) for _, values in self.slices()]
            or [pa.array([], pa.string())]
        )
        order = pc.sort_indices(values)
        for start in range(0, len(order), size):
            part = order.slice(start, size)
            yield rows.take(part).to_pylist(), values.take(part).to_pylist()

    def by_record(self, ids: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for rows, values in self.slices():
            for row, value in zip(rows, values, strict=True):
                out[ids[row]].add(value)
        return out

    def values_and_typos(self) -> tuple[set[str], set[str]]:
        values = K.digests(self.texts)
        typos = {v for v, t in zip(values, self.typo.to_pylist(), strict=True) if t}
        return set(values), typos


def _keys_and_blocks(
    frame: pa.Table, entity: str, settings: IdentitySettings
) -> tuple[pa.Table, pa.Table]:
    """A frame's keys and blocks, made once for the clustering and the digests."""
    return K.keys_table(frame, entity, settings), K.blocks_table(frame, entity)


class Counts:
    """How many records hold a key or block value: in a full match the
    frame's own groups; in an incremental one the store's counts, corrected
    for the records re-keyed now (the frame holds only the records in scope)."""

    def __init__(
        self,
        stored: dict[str, int] | None,
        before: dict[str, set[str]] | None = None,
        after: dict[str, set[str]] | None = None,
    ) -> None:
        self.stored = stored
        self.before = before or {}
        """Incremental: the stored digests of the records in scope, by hub id."""
        self.after = after or {}
        """Incremental: their digests now, by hub id (records with none are absent)."""

    def key(self, kind: str, value: str, members: int) -> int:
        if self.stored is None:
            return members
        return self.stored.get(K.key_digest(kind, value), members)

    def block(self, value: str, members: int) -> int:
        if self.stored is None:
            return members
        return self.stored.get(K.block_digest(value), members)


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
            frame = F.read(conn, entity, settings)
            scope: set[str] | None = None
            counts = Counts(None)
        else:
            seeds = _touched(conn, entity, since) | extra
            if not seeds:
                report.records = 0
                _write_state(store, entity, high, now, report)
                return report
            scope, frame, counts = _expand(conn, entity, settings, seeds, rules)
        ids: list[str] = frame.column("id").to_pylist()
        prior = _prior(conn, entity, None if scope is None else set(ids) | scope)
    report.records = len(ids)
    report.matched = len(ids)

    keys, blocks = _keys_and_blocks(frame, entity, settings)
    outcome = _cluster(frame, ids, entity, settings, rules, counts, keys, blocks)
    anchors = _assign(frame, ids, outcome.roots, prior)
    digests = Digests.of(keys, blocks)

    with store.begin() as conn:
        _write(conn, entity, ids, scope, digests, counts, anchors, prior, outcome, now, report)
        _write_survivors(conn, entity, settings, ids, anchors, prior, now, full=scope is None)
        _write_state_in(conn, entity, high, now, report)
    return report


def _expand(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    seeds: set[str],
    rules: list[dict[str, Any]],
) -> tuple[set[str], pa.Table, Counts]:
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
    frames: list[pa.Table] = []
    frontier = set(seeds)
    scope = set(seeds)
    first = True
    while frontier:
        seen_ids |= frontier
        loaded = F.read(conn, entity, settings, frontier)
        frames.append(loaded)
        loaded_ids: list[str] = loaded.column("id").to_pylist()
        digests, typo = Digests.of(*_keys_and_blocks(loaded, entity, settings)).values_and_typos()
        for values in _stored_digests(conn, entity, frontier - set(loaded_ids)).values():
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
    frame = pa.concat_tables(frames, promote_options="permissive")
    ids: list[str] = frame.column("id").to_pylist()
    # counts for the guard: stored counts, corrected for the records re-keyed now
    fresh_by_record = Digests.of(*_keys_and_blocks(frame, entity, settings)).by_record(ids)
    stored = _stored_digests(conn, entity, fresh_by_record)
    all_values = set().union(*fresh_by_record.values()) if fresh_by_record else set()
    counts = dict(_digest_counts(conn, entity, all_values))
    for cid, values in fresh_by_record.items():
        for v in stored.get(cid, set()) - values:
            counts[v] = counts.get(v, 1) - 1
        for v in values - stored.get(cid, set()):
            counts[v] = counts.get(v, 0) + 1
    return scope, frame, Counts(counts, stored, fresh_by_record)


def _prior(conn: Connection, entity: str, ids: set[str] | None) -> dict[str, str]:
    m = identity_members
    q = select(m.c.hub_id, m.c.unified_id).where(m.c.entity == entity)
    if ids is None:
        return dict(conn.execute(q).all())
    out: dict[str, str] = {}
    for part in _chunks(sorted(ids)):
        out.update(conn.execute(q.where(m.c.hub_id.in_(part))).all())
    return out


@dataclass(slots=True)
class Edge:
    a: int
    b: int
    """Rows of the two records in the frame."""
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


def _groups(table: pa.Table, by: list[str], full: bool) -> Iterable[dict[str, Any]]:
    """Rows holding the same value(s), in the order the values first appear.
    A full match needs only the values held by two records or more; an
    incremental one also the others (the store may hold more of them)."""
    grouped = table.group_by(by, use_threads=False).aggregate([("idx", "list"), ("idx", "count")])
    if full:
        grouped = grouped.filter(pc.greater_equal(grouped.column("idx_count"), 2))
    for batch in grouped.to_batches(max_chunksize=50_000):
        yield from batch.to_pylist()


def _cluster(
    frame: pa.Table,
    ids: list[str],
    entity: str,
    settings: IdentitySettings,
    rules: list[dict[str, Any]],
    counts: Counts,
    keys: pa.Table,
    blocks: pa.Table,
) -> Outcome:
    n = frame.num_rows
    full = counts.stored is None
    decided = {x for r in rules for x in (r["a_id"], r["b_id"])}
    index = {hid: i for i, hid in enumerate(ids) if hid in decided}
    uf = Clusters(n)
    edges: list[Edge] = []
    review: list[Edge] = []
    issues: list[dict[str, Any]] = []
    coded = pc.indices_nonzero(frame.column("credit_code_valid").combine_chunks())
    codes = frame.column("credit_code").take(coded).to_pylist()
    for i, code in zip(coded.to_pylist(), codes, strict=True):
        uf.set_code(i, code)
    if "credit_code" in settings.customer_keys and entity == "customers":
        bad = pc.and_(
            pc.is_valid(frame.column("credit_code")),
            pc.invert(frame.column("credit_code_valid")),
        )
        rows = pc.indices_nonzero(flat(bad)).to_pylist()
        for i, code in zip(
            rows,
            frame.column("credit_code").take(pa.array(rows, pa.int64())).to_pylist(),
            strict=True,
        ):
            issues.append(
                {"kind": "invalid_credit_code", "key": "credit_code", "value": code,
                 "hub_id": ids[i], "records": 1}
            )  # fmt: skip
    # 1. people's decisions
    live = [d for d in rules if d["a_id"] in index and d["b_id"] in index]
    for d in live:
        if d["decision"] == "unlink":
            uf.forbid(index[d["a_id"]], index[d["b_id"]])
    for d in live:
        if d["decision"] == "link" and uf.union(index[d["a_id"]], index[d["b_id"]], force=True):
            edges.append(
                Edge(index[d["a_id"]], index[d["b_id"]], "decision",
                     {"decision": "link", "by": d["decided_by"], "at": d["decided_at"].isoformat(),
                      "note": d.get("note")})
            )  # fmt: skip
    # 2. deterministic keys, under the shared-key guard
    weak = K.WEAK_KEYS.get(entity, set())
    if weak:  # a weak key merges only where the names agree too
        names: list[str] = frame.column("name").to_pylist()
        pinyins: list[str] = frame.column("pinyin").to_pylist()
    for group in _groups(keys, ["kind", "value"], full):
        kind, value, members = group["kind"], group["value"], group["idx_list"]
        total = counts.key(kind, value, len(members))
        if total > settings.max_key_records:
            issues.append(
                {"kind": "shared_key", "key": kind, "value": _masked(kind, value),
                 "hub_id": None, "records": total}
            )  # fmt: skip
            continue
        if len(members) < 2:
            continue
        first = members[0]
        detail = {"key": kind, "value": _masked(kind, value)}
        for other in members[1:]:
            if kind not in weak:
                if uf.union(first, other):
                    edges.append(Edge(first, other, "key", detail))
                continue
            sim = names_similarity(names[first], pinyins[first], names[other], pinyins[other])
            found = {**detail, "name_similarity": round(sim, 3)}
            if sim * 100 >= K.NAME_AGREES:
                if uf.union(first, other):
                    edges.append(Edge(first, other, "key", found))
            elif uf.find(first) != uf.find(other):
                review.append(Edge(first, other, "key", found, 0.5))
    if weak:
        del names, pinyins
    # 3. scored candidates within blocks
    pairs: set[tuple[int, int]] = set()
    sizes: dict[str, int] = {}
    for group in _groups(blocks, ["value"], full):
        value, members = group["value"], group["idx_list"]
        total = counts.block(value, len(members))
        if value.startswith(("n:", "p:")):
            sizes[value] = total
        if len(members) < 2:
            continue
        typo = K.is_typo_block(value)
        cap = K.TYPO_BLOCK_RECORDS if typo else settings.max_block_records
        if total > cap:
            if typo:
                continue  # common beginnings and endings are expected: not an issue
            issues.append(
                {"kind": "oversized_block", "key": value.partition(":")[0],
                 "value": f"{len(members)} records", "hub_id": None, "records": len(members)}
            )  # fmt: skip
            continue
        roots = [uf.find(i) for i in members]
        if len(set(roots)) == 1:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if roots[x] != roots[y]:
                    i, j = members[x], members[y]
                    pairs.add((i, j) if i < j else (j, i))
    cands = candidates(frame, (i for pair in pairs for i in pair))
    scored: list[tuple[float, int, int, dict[str, float]]] = []
    for i, j in pairs:
        a, b = cands[i], cands[j]
        if a.name and a.name == b.name:
            name_count = sizes.get("n:" + a.name, 0)
        elif a.pinyin and a.pinyin == b.pinyin:
            name_count = sizes.get("p:" + a.pinyin, 0)
        else:
            name_count = 0
        p, w = score(a, b, entity, name_count)
        if p >= settings.review_threshold:
            scored.append((p, i, j, w))
    scored.sort(key=lambda s: (-s[0], ids[s[1]], ids[s[2]]))
    for p, i, j, w in scored:
        detail = {"weights": w, "probability": round(p, 4)}
        if p >= settings.merge_threshold and uf.union(i, j):
            edges.append(Edge(i, j, "score", detail, p))
        elif uf.find(i) != uf.find(j):
            why = uf.blocked(uf.find(i), uf.find(j))
            if why:
                detail["blocked"] = why
            review.append(Edge(i, j, "score", detail, p))
    roots = [uf.find(i) for i in range(n)]
    # a pair reviewed but now together (through other records) needs no decision
    review = [
        e for e in review if roots[e.a] != roots[e.b] and not _decided(ids[e.a], ids[e.b], live)
    ]
    return Outcome(roots, edges, review, _dedupe(issues))


def _decided(a: str, b: str, rules: list[dict[str, Any]]) -> bool:
    pair = {a, b}
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


def _assign(frame: pa.Table, ids: list[str], roots: list[int], prior: dict[str, str]) -> list[int]:
    """The row of each record's anchor. A cluster keeps the unified id it had
    while its anchor record is still a member; otherwise its anchor is the
    oldest member (source created_at, then hub id), and the unified id is
    always the anchor's hub id."""
    anchors = list(range(len(ids)))
    grouped = pa.table({"root": pa.array(roots, pa.int64()), "idx": pa.array(anchors, pa.int64())})
    groups = _groups(grouped, ["root"], True)
    multi = sorted((g["idx_list"] for g in groups), key=lambda g: (-len(g), g[0]))
    if not multi:
        return anchors
    rows = sorted(i for g in multi for i in g)
    created = dict(
        zip(
            rows,
            frame.column("created_at").take(pa.array(rows, pa.int64())).to_pylist(),
            strict=True,
        )
    )
    where = {ids[i]: i for i in rows}

    def order(i: int) -> tuple[bool, dt.datetime, str]:
        at = created[i]
        return (at is None, at or dt.datetime.max.replace(tzinfo=dt.UTC), ids[i])

    taken: set[int] = set()
    for group in multi:
        members = set(group)
        kept = {where.get(prior.get(ids[i], ""), -1) for i in group} & members
        kept -= taken
        anchor = min(kept or group, key=order)
        taken.add(anchor)
        for i in group:
            anchors[i] = anchor
    return anchors


# -- writing -------------------------------------------------------------------

BULK = 50_000
"""Rows above which a first match's insert builds a table's indexes after it."""


@contextmanager
def _indexes_built_after(conn: Connection, table: Table, bulk: bool) -> Iterator[None]:
    """On SQLite, for a bulk insert: drop the table's secondary indexes and build
    them once after it (a sorted build instead of a million random inserts).
    SQLite has one writer, which holds the whole file anyway, and the drop is
    part of the transaction; on PostgreSQL it would lock out every other match."""
    if not bulk or conn.dialect.name != "sqlite":
        yield
        return
    indexes = list(table.indexes)
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


def _write(
    conn: Connection,
    entity: str,
    ids: list[str],
    scope: set[str] | None,
    digests: Digests,
    counts: Counts,
    anchors: list[int],
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
    # keys: all of them anew in a full match; in an incremental one only the
    # difference (most records in scope are cluster mates whose keys stand)
    if scope is None:
        conn.execute(delete(k).where(k.c.entity == entity))
        with _indexes_built_after(conn, k, True):
            bulk_insert(
                conn,
                k,
                ("entity", "value", "hub_id"),
                (
                    (entity, v, ids[r])
                    for rows, vs in digests.sorted_slices()
                    for r, v in zip(rows, vs, strict=True)
                ),
            )
    else:
        before, after = counts.before, counts.after
        unkeyed = sorted((set(ids) | scope) - set(after))  # gone, or no key left
        for part in _chunks(unkeyed):
            conn.execute(delete(k).where(k.c.entity == entity, k.c.hub_id.in_(part)))
        dropped = [
            {"e": entity, "v": v, "h": hid}
            for hid, values in after.items()
            for v in before.get(hid, set()) - values
        ]
        if dropped:
            conn.execute(
                delete(k).where(
                    k.c.entity == bindparam("e"),
                    k.c.value == bindparam("v"),
                    k.c.hub_id == bindparam("h"),
                ),
                dropped,
            )
        added = [
            {"entity": entity, "value": v, "hub_id": hid}
            for hid, values in after.items()
            for v in sorted(values - before.get(hid, set()))
        ]
        if added:  # a match running beside may have written some since we read
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(dialect_insert(k).on_conflict_do_nothing(), added)

    # members: only what changed
    live = set(ids) if prior else set()
    gone = [hid for hid in prior if hid not in live]
    for part in _chunks(gone):
        conn.execute(delete(m).where(m.c.entity == entity, m.c.hub_id.in_(part)))
    moved: list[tuple[str, str]] = []
    new: list[tuple[str, str]] = []
    for row, anchor in enumerate(anchors):
        hid, unified = ids[row], ids[anchor]
        before = prior.get(hid)
        if before is None:
            new.append((hid, unified))
        elif before != unified:
            moved.append((hid, unified))
    new.sort()  # in the primary key's order
    with _indexes_built_after(conn, m, len(new) > BULK):
        bulk_insert(
            conn,
            m,
            ("entity", "hub_id", "unified_id", "matched_at"),
            ((entity, h, u, now) for h, u in new),
        )
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
    if scope is None:
        for table in (ev, rv, iss):
            conn.execute(delete(table).where(table.c.entity == entity))
    else:
        affected = {ids[a] for a in anchors} | set(prior.values())
        for part in _chunks(sorted(affected)):
            conn.execute(delete(ev).where(ev.c.entity == entity, ev.c.unified_id.in_(part)))
        for part in _chunks(sorted(ids)):
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
    bulk_insert(
        conn,
        ev,
        ("entity", "unified_id", "a_id", "b_id", "kind", "detail", "score", "created_at"),
        (
            (entity, ids[anchors[e.a]], ids[e.a], ids[e.b], e.kind, e.detail, e.score, now)
            for e in outcome.edges
        ),
    )
    review = {}
    for e in outcome.review:
        a, b = sorted((ids[e.a], ids[e.b]))
        review[(a, b)] = (entity, a, b, e.score or 0.0, {"kind": e.kind, **e.detail}, now)
    bulk_insert(
        conn, rv, ("entity", "a_id", "b_id", "score", "detail", "found_at"), review.values()
    )
    bulk_insert(
        conn,
        iss,
        ("entity", "kind", "key", "value", "hub_id", "records", "found_at"),
        (
            (entity, i["kind"], i["key"], i["value"], i["hub_id"], i["records"], now)
            for i in outcome.issues
        ),
    )
    sizes: dict[int, int] = defaultdict(int)
    for a in anchors:
        sizes[a] += 1
    report.unified = sum(1 for n in sizes.values() if n > 1)
    report.merged_records = sum(n for n in sizes.values() if n > 1)
    report.review = len(review)
    report.issues = len(outcome.issues)


def _write_survivors(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    ids: list[str],
    anchors: list[int],
    prior: dict[str, str],
    now: dt.datetime,
    *,
    full: bool,
) -> None:
    """Rewrite the survived records of the clusters in scope that have more
    than one member (the others are their own record)."""
    u = unified_tables[entity]
    t = entity_tables[entity]
    shared = {a for row, a in enumerate(anchors) if a != row}
    multi: dict[str, list[str]] = defaultdict(list)
    for row, anchor in enumerate(anchors):
        if anchor in shared:
            multi[ids[anchor]].append(ids[row])
    if full:
        conn.execute(delete(u))
    else:
        affected = sorted({ids[a] for a in anchors} | set(prior.values()))
        for part in _chunks(affected):
            conn.execute(delete(u).where(u.c.unified_id.in_(part)))
    if not multi:
        return
    fields = [
        c.name
        for c in u.columns
        if c.name not in ("unified_id", "members", "sources", "resolved_at")
    ]
    # values as the store holds them, copied without a round trip through
    # Python types (JSON as text: a million records' tags parse slowly)
    json_fields = {c.name for c in u.columns if isinstance(c.type, JSON) and c.name in t.c}
    columns = [
        cast(t.c[c], Text).label(c) if c in json_fields else type_coerce(t.c[c], NullType).label(c)
        for c in ("id", "source", *fields, *BOOKKEEPING)
        if c in t.c
    ]
    survivor = Survivor(fields, settings.survivorship(entity), json_fields)
    names = [c.name for c in u.columns]

    def survived() -> Iterable[tuple[Any, ...]]:
        # a slice of clusters at a time: their members' rows are all held at once
        for clusters in _chunks(list(multi.items()), 2000):
            wanted = [h for _, hids in clusters for h in hids]
            rows: dict[str, dict[str, Any]] = {}
            for part in _chunks(wanted, 5000):
                result = conn.execute(select(*columns).where(t.c.id.in_(part)))
                keys = list(result.keys())
                for row in result:
                    rows[row[0]] = dict(zip(keys, row, strict=True))
            for uid, hids in clusters:
                members = [rows[h] for h in hids if h in rows]
                values, sources = survivor(members)
                values.update(unified_id=uid, members=len(hids), sources=sources, resolved_at=now)
                yield tuple(values.get(name) for name in names)

    bulk_insert(conn, u, names, survived(), stored=fields)


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
        insert(s).values(
            entity=entity,
            watermark=high,
            matched_at=now,
            counts={**report.as_dict(), "keys_version": K.VERSION},
        )
    )
