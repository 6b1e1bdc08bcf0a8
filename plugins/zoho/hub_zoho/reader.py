"""Reading one stream: its Zoho modules at once, a checkpoint with every batch.

A stream feeds one entity from one or more modules (activities come from
Calls, Tasks, Events, Notes and Deals). The stream's state holds a cursor per
module: the newest Modified_Time read, held below the run's start minus the
overlap. A module's listing starts with its newest page: when that is all
there is (or Zoho answers 304), one request was enough; otherwise the
listing is cut into time spans (`hub_zoho.spans`) read side by side, each in
Modified_Time order, so each span's progress is a valid resume point after
every page. The state put on a batch covers exactly the pages in it and
before it. The engine reads the four streams at the same time, each in a
thread of its own; they share the client (one limit on requests in flight)
and the customer resolver, both safe across threads, and nothing else.

- No state (or --full-refresh, or changed settings): a complete read. The
  first batch says `snapshot_begins`, the last `snapshot_complete`, and the
  engine tombstones what was not seen. Interrupted, the next run continues
  the same complete read from the module cursors.
- From state: each module asks only for records modified since its cursor
  (If-Modified-Since; 304 means nothing changed), then for records deleted
  since the last check (`/{module}/deleted`), which become tombstones. Notes
  have no deleted listing: deleted notes are found by a full refresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hub.adapters.contract import Batch, ReadContext, Tombstone
from hub.errors import ConfigError
from hub_zoho.client import ZohoClient
from hub_zoho.concurrency import PageBudget, side_by_side
from hub_zoho.describe import ModuleFacts, module_facts
from hub_zoho.fields import plan_fields
from hub_zoho.mapping import NEEDED, Mapper, Rows, hidden_fields
from hub_zoho.paging import (
    MAX_IDS,
    ONE_SECOND,
    deleted_pages,
    deleted_user_pages,
    modified_time,
    module_fields,
    newest_first,
    oldest_time,
    record_pages,
    records_by_id,
    user_pages,
)
from hub_zoho.references import CustomerResolver
from hub_zoho.settings import ZohoSettings
from hub_zoho.spans import Span, cut, estimate

STATE_VERSION = 1
FIELDS_TTL = dt.timedelta(hours=24)
"""How long a module's field list is trusted before its metadata is read again."""
NO_DELETED_LISTING = {"Notes"}
PAGES_AHEAD = 2
"""Span pages a stream may fetch ahead of its mapping, per request in flight: enough
to keep every slot busy, few enough that memory does not grow with the spans."""


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _parse(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


@dataclass
class ModuleState:
    cursor: dt.datetime | None = None
    """Newest Modified_Time read (held below the run's start minus the overlap)."""
    deleted_cursor: dt.datetime | None = None
    """Deleted records up to here are known."""
    spans: list[Span] | None = None
    """The spans of a listing under way (each with its progress)."""


@dataclass
class StreamState:
    fingerprint: str
    modules: dict[str, ModuleState]
    snapshot_since: dt.datetime | None = None
    """Set while a complete read is under way: the cursor ceiling when it began."""
    fields: dict[str, list[list[str]]] = field(default_factory=dict)
    unsorted: list[str] = field(default_factory=list)
    """Modules without Modified_Time: read in full every time."""
    fields_at: dt.datetime | None = None
    facts: dict[str, dict[str, Any]] | None = None
    """Module -> what its field metadata says (`describe.ModuleFacts`), read with `fields`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "settings": self.fingerprint,
            "snapshot_since": _iso(self.snapshot_since),
            "modules": {
                name: {
                    "cursor": _iso(m.cursor),
                    "deleted_cursor": _iso(m.deleted_cursor),
                    "spans": None if m.spans is None else [s.to_json() for s in m.spans],
                }
                for name, m in self.modules.items()
            },
            "fields": self.fields,
            "unsorted": self.unsorted,
            "fields_at": _iso(self.fields_at),
            "facts": self.facts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StreamState | None:
        if not data or data.get("v") != STATE_VERSION:
            return None
        try:
            return cls(
                fingerprint=data["settings"],
                snapshot_since=_parse(data.get("snapshot_since")),
                modules={
                    name: ModuleState(
                        _parse(m.get("cursor")),
                        _parse(m.get("deleted_cursor")),
                        None if m.get("spans") is None else [Span.from_json(s) for s in m["spans"]],
                    )
                    for name, m in data["modules"].items()
                },
                fields=data.get("fields") or {},
                unsorted=data.get("unsorted") or [],
                fields_at=_parse(data.get("fields_at")),
                facts=data.get("facts"),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # unreadable: start a complete read


def fingerprint(value: Any) -> str:
    """Settings that decide what a stream holds; when they change, read it all again."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class _Listing:
    """One module's listing in this read."""

    module: str
    chunks: list[list[str]]
    """Field names, 50 a chunk: the first travels with the listing."""
    is_sorted: bool
    since: dt.datetime | None
    spans: list[Span]
    """The spans of a listing under way (copies: events update the state's own)."""
    check_deletes: bool
    deleted_since: dt.datetime | None
    deals_read: threading.Event
    """Set once the stream's Deals are read (at once when it reads none)."""
    budget: PageBudget | None
    """Bounds the span pages fetched ahead of the mapping (None: the Deals, which
    the other modules wait for, read without one)."""


@dataclass
class _Planned:
    module: str
    spans: list[Span]


@dataclass
class _Records:
    module: str
    span: int | None
    records: list[dict[str, Any]]
    budgeted: bool = False
    """Holds a unit of the read's page budget, given back once mapped."""


@dataclass
class _SpanDone:
    module: str
    span: int
    reached: dt.datetime | None


@dataclass
class _RecordsDone:
    module: str


@dataclass
class _Deleted:
    module: str
    tombstones: list[Tombstone]


@dataclass
class _DeletesChecked:
    module: str


_Event = _Planned | _Records | _SpanDone | _RecordsDone | _Deleted | _DeletesChecked


class StreamReader:
    """Reads the streams of one connection."""

    def __init__(
        self,
        client: ZohoClient,
        settings: ZohoSettings,
        mapper: Mapper,
        resolver: CustomerResolver,
        connection: str,
        log: logging.Logger,
    ) -> None:
        self.client = client
        self.settings = settings
        self.mapper = mapper
        self.resolver = resolver
        self.connection = connection
        self.log = log

    # -- managers (Users) ---------------------------------------------------------------------

    def read_users(self, state: dict[str, Any] | None, ctx: ReadContext) -> Iterator[Batch]:
        """Users are listed by page number, unsorted, so the only resume point is
        the end: a read interrupted midway starts over (orgs have few users).
        Deleted users come from their own listing, first: a user in both is deleted.
        That listing is read whole (a deletion need not change `Modified_Time`),
        as often as deleted records are (`deletes_every_minutes`); the ids already
        stored as deleted are remembered in the state and not yielded again."""
        settings_print = fingerprint(self.settings.fields.managers)
        usable = (
            state
            and not ctx.full_refresh
            and state.get("v") == STATE_VERSION
            and state.get("settings") == settings_print
        )
        since = _parse(state.get("cursor")) if usable and state else None
        complete = not usable
        newest = since
        rows = Rows("managers")
        begins = complete
        known = set(state.get("deleted_users") or []) if usable and state else set()
        asked = _parse(state.get("deleted_users_at")) if usable and state else None
        deleted = set(known)
        if self._deletes_due(asked, ctx):
            deleted = set()
            for page in deleted_user_pages(self.client):
                deleted |= {str(u.get("id")) for u in page}
                fresh = [u for u in page if str(u.get("id")) not in known]
                self.mapper.user_rows(fresh, deleted=True, into=rows)
            asked = self._ceiling(ctx)
        for page in user_pages(self.client, since):
            page = [u for u in page if str(u.get("id")) not in deleted]
            self.mapper.user_rows(page, into=rows)
            newest = max(filter(None, [newest, *map(modified_time, page)]), default=None)
            if len(rows) >= ctx.batch_size:
                yield self._batch(rows, snapshot_begins=begins)
                rows, begins = Rows("managers"), False
        cursor = self._hold(ctx, newest)  # the newest Modified_Time read, on Zoho's clock
        yield self._batch(
            rows,
            state={
                "v": STATE_VERSION,
                "settings": settings_print,
                "cursor": _iso(cursor),
                "deleted_users": sorted(deleted),
                "deleted_users_at": _iso(asked),
            },
            snapshot_begins=begins,
            snapshot_complete=complete,
        )

    # -- module streams --------------------------------------------------------------------

    def stream_settings(self, entity: str, modules: list[str]) -> Any:
        s = self.settings
        return {
            "modules": modules,
            "customers": s.customers,
            "fields": getattr(s.fields, entity, None),
            "won_stages": s.won_stages if "Deals" in modules else None,
            "deal_closed_at": s.deal_closed_at if "Deals" in modules else None,
            "currency": s.currency,
            "goals": s.goals.model_dump() if entity == "goals" and s.goals else None,
            "all_fields": s.all_fields,
            "credit_code_labels": s.credit_code_labels if entity == "customers" else None,
            "facts": 1,  # labels and credit codes from the field metadata: read it all again
        }

    def read_modules(
        self,
        entity: str,
        modules: list[str],
        state: dict[str, Any] | None,
        ctx: ReadContext,
    ) -> Iterator[Batch]:
        settings_print = fingerprint(self.stream_settings(entity, modules))
        saved = None if ctx.full_refresh else StreamState.from_json(state)
        begins = saved is None or saved.fingerprint != settings_print
        if begins:
            st = StreamState(settings_print, {m: ModuleState() for m in modules})
        else:
            assert saved is not None
            st = saved
        stale = st.fields_at is None or ctx.started_at - st.fields_at > FIELDS_TTL
        if begins or stale or st.facts is None:
            st.fields, st.unsorted, facts = self.plan_module_fields(entity, modules)
            st.facts = {m: f.to_json() for m, f in facts.items()}
            st.fields_at = ctx.started_at
        self.mapper.know({m: ModuleFacts.from_json(f) for m, f in (st.facts or {}).items()})
        if begins:  # after the field metadata: Zoho's answers have told its clock
            st.snapshot_since = self._ceiling(ctx)
        complete = st.snapshot_since is not None

        rows = Rows(entity)
        done = 0
        newest: dict[str, dt.datetime] = {}
        budget = PageBudget(PAGES_AHEAD * self.settings.max_concurrency)
        for event in self._events(modules, st, ctx, complete, budget):
            module_state = st.modules[event.module]
            if isinstance(event, _Records):
                self.mapper.rows(event.module, event.records, into=rows)
                if event.budgeted:
                    budget.consumed()
                done += len(event.records)
                page_newest = max(filter(None, map(modified_time, event.records)), default=None)
                if page_newest is not None:
                    newest[event.module] = max(page_newest, newest.get(event.module, page_newest))
                    if event.span is not None and module_state.spans:
                        span = module_state.spans[event.span]
                        # Records of the page's last second may follow on the next page.
                        progress = page_newest - ONE_SECOND
                        span.after = max(progress, span.after or progress)
            elif isinstance(event, _Planned):
                module_state.spans = [Span(s.after, s.upto) for s in event.spans]
            elif isinstance(event, _SpanDone):
                span = (module_state.spans or [])[event.span]
                span.after, span.done = event.reached or span.after, True
            elif isinstance(event, _RecordsDone):
                reached = [newest.get(event.module), module_state.cursor]
                reached += [s.after for s in module_state.spans or () if s.done]
                module_state.cursor = self._hold(ctx, max(filter(None, reached), default=None))
                module_state.spans = None
            elif isinstance(event, _Deleted):
                rows.deletes += event.tombstones
            else:
                module_state.deleted_cursor = self._ceiling(ctx)
            if len(rows) >= ctx.batch_size:
                yield self._batch(
                    rows, state=st.to_json(), snapshot_begins=begins, progress=(done, None)
                )
                rows, begins = Rows(entity), False
        if complete:
            for module_state in st.modules.values():
                module_state.cursor = module_state.cursor or st.snapshot_since
                module_state.deleted_cursor = st.snapshot_since
            st.snapshot_since = None
        yield self._batch(
            rows,
            state=st.to_json(),
            snapshot_begins=begins,
            snapshot_complete=complete,
            progress=(done, done),
        )

    def _events(
        self,
        modules: list[str],
        st: StreamState,
        ctx: ReadContext,
        complete: bool,
        budget: PageBudget,
    ) -> Iterator[_Event]:
        """Every module's events, the modules read side by side.

        When Deals are read with other activities, the others look up the
        customers behind their pages only once every deal is read: a call filed
        under a deal then finds the deal's account in what was just read,
        instead of looking the deal up. Their listings start at once all the
        same (the newest page, the spans' first pages), so no request slot
        waits for the Deals to finish."""
        deals_read = threading.Event()
        if "Deals" not in modules:
            deals_read.set()
        listings = [self._listing(m, st, ctx, complete, deals_read, budget) for m in modules]
        yield from side_by_side([self._module_events(x) for x in listings], "hub-zoho")

    def _listing(
        self,
        module: str,
        st: StreamState,
        ctx: ReadContext,
        complete: bool,
        deals_read: threading.Event,
        budget: PageBudget,
    ) -> _Listing:
        """What one module's listing starts from, taken before any event changes it."""
        module_state = st.modules.setdefault(module, ModuleState())
        is_sorted = module not in st.unsorted
        return _Listing(
            module=module,
            chunks=st.fields[module],
            is_sorted=is_sorted,
            since=module_state.cursor if is_sorted else None,
            spans=[Span(s.after, s.upto, s.done) for s in module_state.spans or ()],
            check_deletes=(
                not complete
                and module not in NO_DELETED_LISTING
                and self._deletes_due(module_state.deleted_cursor, ctx)
            ),
            deleted_since=module_state.deleted_cursor,
            deals_read=deals_read,
            budget=None if module == "Deals" else budget,
        )

    def _module_events(self, listing: _Listing) -> Iterator[_Event]:
        """One module's listing (and deleted-records check), read in a thread of its own."""
        module = listing.module
        try:
            yield from self._record_events(listing)
        finally:
            if module == "Deals":
                listing.deals_read.set()  # read, failed or stopped: nobody waits any longer
        yield _RecordsDone(module)
        if listing.check_deletes:
            for page in deleted_pages(self.client, module, listing.deleted_since):
                yield _Deleted(module, [_tombstone(item) for item in page if item.get("id")])
            yield _DeletesChecked(module)

    def _record_events(self, listing: _Listing) -> Iterator[_Event]:
        module, chunks, since = listing.module, listing.chunks, listing.since
        if not listing.is_sorted:
            for page in record_pages(self.client, module, chunks[0], None, sorted_by_time=False):
                yield self._fetched(listing, None, page)
            return
        spans = listing.spans
        if not spans:
            # The newest page first: all there is to read when little changed (a
            # 304 when nothing did); otherwise it tells how to split the listing.
            # A complete read also needs the oldest record: asked at the same time.
            with ThreadPoolExecutor(1) as pool:
                oldest = pool.submit(oldest_time, self.client, module) if not since else None
                page, more = newest_first(self.client, module, chunks[0], since)
                first = since or (oldest.result() if oldest else None)
            if page and not more:
                yield self._fetched(listing, None, page)
            elif more:
                spans = self._cut(module, since, first, page)
                yield _Planned(module, spans)
        pending = [(i, span) for i, span in enumerate(spans) if not span.done]
        readers = [self._span_events(listing, i, span) for i, span in pending]
        yield from side_by_side(readers, f"hub-zoho-{module}", depth=1)

    def _cut(
        self,
        module: str,
        since: dt.datetime | None,
        oldest: dt.datetime | None,
        newest_page: list[Any],
    ) -> list[Span]:
        times = [t for t in map(modified_time, newest_page) if t is not None]
        if not times:
            return [Span(since, None)]
        newest = max(times)
        oldest = oldest or newest
        guess = estimate(oldest, newest, times)
        # More spans than requests in flight: short chains keep every slot busy to the end.
        spans = cut(since, oldest, newest, guess, 2 * self.settings.max_concurrency)
        self.log.debug("%s: about %d records to read, in %d spans", module, guess, len(spans))
        return spans

    def _span_events(self, listing: _Listing, index: int, span: Span) -> Iterator[_Event]:
        reached = span.upto
        pages = record_pages(
            self.client, listing.module, listing.chunks[0], span.after, upto=span.upto
        )
        if listing.budget is not None:
            pages = listing.budget.pages(pages)
        for page in pages:
            if span.upto is None:
                reached = max(filter(None, map(modified_time, page)), default=reached)
            yield self._fetched(listing, index, page, budgeted=listing.budget is not None)
        yield _SpanDone(listing.module, index, reached)

    def _fetched(
        self,
        listing: _Listing,
        span: int | None,
        page: list[dict[str, Any]],
        budgeted: bool = False,
    ) -> _Records:
        """A page, completed: fields beyond the first 50, the parents it points at."""
        module = listing.module
        self._complete_fields(module, page, listing.chunks[1:])
        self.resolver.learn(module, page)
        if module != "Deals":
            listing.deals_read.wait()
        self.resolver.prefetch(self.client, module, page)
        return _Records(module, span, page, budgeted)

    def _batch(self, rows: Rows, **fields: Any) -> Batch:
        """A batch of the rows gathered: their Arrow table, mapped and checked."""
        table, rejects = self.mapper.columns(rows)
        records: Any = table if table is not None else []
        return Batch(records=records, rejects=rejects, deletes=rows.deletes, **fields)

    def _deletes_due(self, last: dt.datetime | None, ctx: ReadContext) -> bool:
        every = dt.timedelta(minutes=self.settings.deletes_every_minutes)
        return last is None or not every or self._ceiling(ctx) - last >= every

    def _ceiling(self, ctx: ReadContext) -> dt.datetime:
        """The highest cursor a checkpoint may hold, on Zoho's clock: the run's start
        minus the overlap, as Zoho's Date headers tell its time. Cursors are compared
        with Zoho's timestamps, so a hub clock running ahead of Zoho's must not push
        them past changes Zoho has yet to stamp. (The hub's own ceiling too, when
        Zoho's clock is ahead: re-reading costs nothing.)"""
        return min(ctx.cursor_ceiling, self.client.vendor_time(ctx.cursor_ceiling))

    def _hold(self, ctx: ReadContext, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else min(value, self._ceiling(ctx))

    def _complete_fields(
        self, module: str, page: list[dict[str, Any]], chunks: list[list[str]]
    ) -> None:
        """Fetch the fields beyond the first 50 for this page's records, by id."""
        if not chunks:
            return
        by_id = {str(r.get("id")): r for r in page}
        ids = list(by_id)
        for chunk in chunks:
            for start in range(0, len(ids), MAX_IDS):
                batch = ids[start : start + MAX_IDS]
                for extra in records_by_id(self.client, module, batch, chunk):
                    target = by_id.get(str(extra.get("id")))
                    if target is not None:
                        for key, value in extra.items():
                            target.setdefault(key, value)

    # -- fields ----------------------------------------------------------------------------

    def plan_module_fields(
        self, entity: str, modules: list[str]
    ) -> tuple[dict[str, list[list[str]]], list[str], dict[str, ModuleFacts]]:
        workers = min(len(modules), self.settings.max_concurrency)
        with ThreadPoolExecutor(workers, thread_name_prefix="hub-zoho-fields") as pool:
            found = pool.map(lambda module: module_fields(self.client, module), modules)
            metadata = dict(zip(modules, found, strict=True))
        s = self.settings
        where = f"connections.{self.connection}"
        plans: dict[str, list[list[str]]] = {}
        unsorted = []
        facts = {}
        for module in modules:
            meta = metadata[module]
            facts[module] = module_facts(module, meta, s.credit_code_labels)
            names = {str(f.get("api_name")) for f in meta}
            needed = list(NEEDED.get(module, ["Owner", "Created_Time", "Modified_Time"]))
            configured: list[str] = []
            if entity == "goals" and s.goals:
                configured = s.goals.source_fields()
            elif entity in ("customers", "contacts"):
                configured = list(getattr(s.fields, entity))
            elif entity == "activities":
                needed += list(s.fields.activities)  # each activity module may lack some
                if module == "Deals":
                    configured.append(s.deal_closed_at)
                    if "Currency" not in names and s.currency is None:
                        raise ConfigError(
                            f"{where}.currency: the Zoho org has a single currency (Deals have "
                            'no Currency field); say which, e.g. currency = "USD"'
                        )
            hidden = hidden_fields(s, entity) if entity != "goals" else []
            plans[module] = plan_fields(
                module, meta, needed, configured, s.all_fields, f"{where}.{entity}", hidden
            )
            if "Modified_Time" not in names:
                unsorted.append(module)
                self.log.warning(
                    "%s has no Modified_Time field: it is read in full on every sync", module
                )
        if entity == "activities":
            everywhere = set().union(
                *({str(f.get("api_name")) for f in metadata[m]} for m in modules)
            )
            for name in s.fields.activities:
                if name not in everywhere:
                    raise ConfigError(
                        f"{where}.fields.activities: no activity module "
                        f"({', '.join(modules)}) has a field {name!r}"
                    )
        return plans, unsorted, facts


def _tombstone(item: dict[str, Any]) -> Tombstone:
    when = item.get("deleted_time")
    return Tombstone(str(item["id"]), dt.datetime.fromisoformat(when) if when else None)
