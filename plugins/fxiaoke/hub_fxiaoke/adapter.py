"""The Fxiaoke adapter: one stream per object, incremental with keyset paging.

Streams: `managers` (the employee directory, or PersonnelObj), `customers`
(AccountObj), one stream per activity object named by its apiName
(ActiveRecordObj, CheckinsObj, SalesOrderObj, PaymentObj and any configured
extra), and `goals` (GoalValueObj). One stream per object lets each object
keep its own cursor, resume on its own after the daily quota runs out, and
be reconciled on its own: a complete read of one object tombstones only that
object's vanished records. The streams are read side by side
(`concurrent_streams`), through one client: one token and one rate-limit
window per interface for all of them.

State of an object stream (JSON)::

    {"v": 2, "object": "AccountObj", "cursor": 1767225600000, "cursor_id": "65e…",
     "reconciled_at": 1767225900000,
     "pass": {"kind": "incremental", "since": 1767225600000, "phase": "changes",
              "at": [1767225700000, "65f…"], "drained": false, "after_id": null,
              "started": 1767225900000}}

`pass` is present while a read is under way: it is resumed first, from its
position (`after_id`, or `at` = the last (last_modified_time, _id) read), so
every batch's state is a valid resume point. `cursor` is a time on
Fxiaoke's clock with its `_id` tie-break (`cursor_id`), never the hub's
clock (which may run ahead of Fxiaoke's): a complete read starts it at the
newest change it saw before it began (`mark`), an incremental read moves it
to the newest change it read. An incremental read asks for the changes
after the cursor, ordered by (last_modified_time, _id) — a record changed
while the read is under way moves behind the read's position and is read
in the same pass, so no overlap is needed — then for the records
invalidated since the cursor (Fxiaoke hides those unless a filter names
`is_deleted`). A pass is a
complete snapshot when there is no cursor, on --full-refresh, or every
`reconcile_every_days` (on the hub's clock: `reconciled_at` and the run's
start are both the hub's); its last batch lets the engine tombstone records
that vanished from Fxiaoke.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hub.adapters.contract import (
    Adapter,
    Batch,
    CheckResult,
    ConnectionContext,
    ReadContext,
    Reject,
    Stream,
    Tombstone,
)
from hub.adapters.pacing import limit_memory
from hub.adapters.tokens import token_store
from hub.errors import AuthError, ExitCode, HubError, SourceDataError
from hub.model import Record
from hub_fxiaoke.actions import FxiaokeActionWriter
from hub_fxiaoke.client import FxiaokeClient
from hub_fxiaoke.describe import Describe, describe
from hub_fxiaoke.mapping import (
    ActivityMapper,
    ContactMapper,
    CustomerMapper,
    GoalMapper,
    Mapper,
    MappingError,
    PersonnelMapper,
    manager_from_user,
    mask_expansions,
)
from hub_fxiaoke.paging import (
    DELETED,
    PAGE_SIZE,
    Page,
    changed_pages,
    latest_change,
    modified_ms,
    pages,
    query_body,
    query_path,
)
from hub_fxiaoke.settings import FxiaokeSettings

USER_LIST = "/cgi/user/list"
DEPARTMENT_LIST = "/cgi/department/list"
OBJECT_LIST = "/cgi/crm/v2/object/list"
PAGES_PER_BATCH = 10
"""A batch closes after this many pages (1,000 rows) even below batch_size.
The rate limit leaves the store idle most of the time, so small commits cost
nothing, and they bound what a crash, or a quota stop in a sibling stream
read at the same time, leaves for the next run to read again."""
WHOLE_COMPANY = 999999
"""departmentId meaning the whole company in directory calls."""
STATE_VERSION = 2
PERSONNEL_TRAP = (
    "PersonnelObj answered no rows: the operator may not read 人员 — ask Fxiaoke "
    "support for the Person object API permission or add a 人员 data-sharing rule "
    "for the operator, or set managers_from = 'directory'"
)
EMPTY_DIRECTORY = (
    "/cgi/user/list answered no employees: the app may not see the directory — widen "
    "the app's visible range (可见范围) to the whole company in the Fxiaoke admin console"
)


@dataclass(frozen=True)
class ObjectStream:
    """A stream backed by one Fxiaoke object."""

    name: str
    api_name: str
    entity: str
    mapper: Mapper


def to_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class FxiaokeAdapter(Adapter):
    config: FxiaokeSettings

    def __init__(self, config: FxiaokeSettings, context: ConnectionContext) -> None:
        super().__init__(config, context)
        self.concurrent_streams = config.concurrent_streams
        """Objects are read side by side (each stream in its own thread): they
        share the client, so one token and one rate-limit window per interface."""
        self.client = FxiaokeClient(
            config,
            logger=context.logger,
            tokens=token_store(context.config_dir, context.logger),
            limits=limit_memory(context.config_dir, context.logger),
        )
        self.currency = config.currency or context.base_currency
        self._departments: dict[str, str] | None = None
        self._departments_lock = threading.Lock()
        self._describes: dict[str, Describe | None] = {}
        self._describes_lock = threading.Lock()
        self.objects = self._object_streams()

    def action_writer(self) -> FxiaokeActionWriter:
        return FxiaokeActionWriter(self.client, self.config, self.context.logger)

    def close(self) -> None:
        self.client.close()

    # -- discover ---------------------------------------------------------------

    def _object_streams(self) -> dict[str, ObjectStream]:
        c = self.config
        conn = self.context.connection
        found = []
        if c.managers_from == "personnel":
            found.append(
                ObjectStream("managers", "PersonnelObj", "managers", PersonnelMapper(conn))
            )
        found.append(
            ObjectStream(
                "customers", c.customers.api_name, "customers", CustomerMapper(conn, c.customers)
            )
        )
        if c.contacts.enabled:
            found.append(
                ObjectStream(
                    "contacts", c.contacts.api_name, "contacts", ContactMapper(conn, c.contacts)
                )
            )
        for obj in c.activity_objects():
            mapper = ActivityMapper(conn, obj, self.currency)
            found.append(ObjectStream(obj.api_name, obj.api_name, "activities", mapper))
        if c.goals.enabled:
            mapper = GoalMapper(conn, c.goals, self.currency, self.department_names)
            found.append(ObjectStream("goals", c.goals.api_name, "goals", mapper))
        return {o.name: o for o in found}

    def streams(self) -> list[Stream]:
        streams = []
        if self.config.managers_from == "directory":
            streams.append(
                Stream(
                    "managers",
                    "managers",
                    cursor_field=None,
                    deletes=True,
                    description="/cgi/user/list: only changed employees are written",
                )
            )
        for o in self.objects.values():
            streams.append(
                Stream(o.name, o.entity, deletes=True, description=f"{o.api_name} → {o.entity}")
            )
        return streams

    # -- check --------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Mint a token, see that every configured object exists and read one
        row of each. Exit code 2 when the fix is in hub.toml (an unknown
        operator, a misspelt object, a web host instead of the gateway)."""
        c = self.config
        where = f"{c.base_url} ({c.auth}, operator {c.operator_user_id})"
        saved_retry = self.client.retry
        self.client.retry = dataclasses.replace(
            saved_retry, attempts=2, initial_wait=0.5, max_wait=2.0
        )
        readable = []
        try:
            self.client.tokens.get()
            existing = self._object_names()
            for stream in self.streams():
                problem = self._check_stream(stream, existing)
                if problem is not None:
                    message, code = problem
                    return CheckResult(False, f"{where}: {message}", exit_code=code)
                readable.append(self._label(stream))
        except HubError as exc:
            return CheckResult(False, f"{where}: {exc}", exit_code=_check_exit_code(exc))
        finally:
            self.client.retry = saved_retry
        return CheckResult(
            True,
            f"{where}: token ok; readable: {', '.join(readable)}",
            {"host": c.base_url, "auth": c.auth, "streams": readable},
        )

    def _check_stream(self, stream: Stream, existing: set[str] | None) -> tuple[str, int] | None:
        """What is wrong with one stream (message and exit code), or None."""
        label = self._label(stream)
        found = self.objects.get(stream.name)
        if found is None:  # the directory
            try:
                self.client.post(USER_LIST, {"departmentId": WHOLE_COMPANY, "fetchChild": True})
            except HubError as exc:
                return f"{label}: {exc}", _check_exit_code(exc)
            return None
        api_name = found.api_name
        fix = self._fix_for(stream.name, api_name)
        if existing is not None and api_name not in existing:
            maybe = _did_you_mean(api_name, existing)
            return f"{label}: the tenant has no object {api_name!r}{maybe}; {fix}", ExitCode.CONFIG
        try:
            rows = self._probe(api_name)
        except HubError as exc:
            message = f"{label}: {exc}"
            if stream.entity == "activities":
                message += f" (if the tenant does not use {api_name}: {fix})"
            return message, _check_exit_code(exc)
        if api_name == "PersonnelObj" and not rows:
            return PERSONNEL_TRAP, ExitCode.SOURCE
        return None

    def _label(self, stream: Stream) -> str:
        found = self.objects.get(stream.name)
        api_name = found.api_name if found else "directory"
        return stream.name if stream.name == api_name else f"{stream.name} ({api_name})"

    def _object_names(self) -> set[str] | None:
        """apiNames of the tenant's objects (None if the app may not list them)."""
        try:
            answer = self.client.post(OBJECT_LIST, {})
        except (SourceDataError, AuthError):
            return None  # the probes below say what is wrong, object by object
        data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
        objects = data.get("objects")
        if not isinstance(objects, list):
            return None
        return {
            str(o["describeApiName"])
            for o in objects
            if isinstance(o, dict) and o.get("describeApiName")
        }

    def _fix_for(self, stream: str, api_name: str) -> str:
        """The hub.toml change that stops reading an object."""
        conn = self.context.connection
        if stream == "customers":
            return f"fix [connections.{conn}.customers] api_name"
        if stream == "contacts":
            return f"fix [connections.{conn}.contacts] api_name, or set enabled = false there"
        if stream == "goals":
            return f"fix [connections.{conn}.goals] api_name, or set enabled = false there"
        if stream == "managers":
            return "set managers_from = 'directory'"
        return (
            f"fix the api_name, or add {{api_name = '{api_name}', enabled = false}} "
            f"to [[connections.{conn}.activities]]"
        )

    def _probe(self, api_name: str) -> list[Any]:
        answer = self.client.post(
            query_path(api_name), query_body(api_name, None, None, count=False, limit=1)
        )
        data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
        return list(data.get("dataList") or [])

    # -- read ---------------------------------------------------------------------------

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        if ctx.full_refresh:
            state = None
        if stream.name == "managers" and self.config.managers_from == "directory":
            yield from self._read_directory(state, ctx)
            return
        found = self.objects.get(stream.name)
        if found is None:
            raise SourceDataError(f"{self.context.connection}: no stream {stream.name!r}")
        yield from self._read_object(found.api_name, found.mapper, state, ctx)

    def _start_pass(
        self, api_name: str, state: dict[str, Any] | None, ctx: ReadContext
    ) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """(state to keep, the pass to run, whether it begins a snapshot)."""
        if not state or state.get("object") != api_name or state.get("v") not in (1, STATE_VERSION):
            state = {"v": STATE_VERSION, "object": api_name, "cursor": None}
        if state.get("v") == 1:  # a pass of the old layout restarts; the cursor stays
            state = {**state, "v": STATE_VERSION, "pass": None}
        if state.get("pass"):
            return state, {**state["pass"], "resumed": True}, False
        started = to_ms(ctx.started_at)
        every = self.config.reconcile_every_days
        reconciled = state.get("reconciled_at")
        due = every is not None and (
            reconciled is None or started - reconciled >= every * 86_400_000
        )
        if state.get("cursor") is None or due:
            run: dict[str, Any] = {"kind": "snapshot", "after_id": None, "mark": None}
        else:
            cursor, ids = int(state["cursor"]), state.get("cursor_ids")
            strict = ids is None and state.get("cursor_id")
            run = {
                "kind": "incremental",
                "since": cursor,
                "skip": ids or [],
                "phase": "changes",
                "at": [cursor, state["cursor_id"]] if strict else None,
                "tied": None,
                "drained": False,
                "after_id": None,
            }
        run["started"] = started
        return state, run, run["kind"] == "snapshot"

    def _read_object(
        self, api_name: str, mapper: Mapper, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        """One pass over an object: a complete read (snapshot) in `_id` order,
        or an incremental one (changes since the cursor, then the records
        invalidated since it). The cursor is a time on Fxiaoke's clock: the
        newest change a complete read found before it began, or the newest
        change an incremental read read — never the hub's own clock, which
        may run ahead of Fxiaoke's."""
        state, run, begins = self._start_pass(api_name, state, ctx)
        if self.config.describe:
            mapper.use(self.describe_of(api_name))
        records: list[Record] = []
        rejects: list[Reject] = []
        deletes: list[Tombstone] = []
        done, total = 0, None

        def batch(**flags: Any) -> Batch:
            return Batch(
                records=records,
                rejects=rejects,
                deletes=deletes,
                snapshot_begins=begins,
                progress=(done, total),
                **flags,
            )

        rows_per_batch = min(ctx.batch_size, PAGES_PER_BATCH * PAGE_SIZE)
        try:
            for page in self._pages(api_name, run):
                total = page.total if page.total is not None else total
                for raw in page.rows:
                    self._map(api_name, mapper, raw, records, rejects, deletes)
                done += len(page.rows)
                if len(records) + len(rejects) + len(deletes) >= rows_per_batch:
                    yield batch(state={**state, "pass": dict(run)})
                    records, rejects, deletes, begins = [], [], [], False
        except HubError:
            # Keep what was read: the quota stop (or any failure) resumes after it.
            if records or rejects or deletes:
                yield batch(state={**state, "pass": dict(run)})
            raise
        began_here = run["kind"] == "snapshot" and run.get("resumed") is None
        if began_here and api_name == "PersonnelObj" and done == 0:
            self._fail_if_owners_wait(PERSONNEL_TRAP)
        final = {**state, "pass": None}
        if run["kind"] == "snapshot":
            final["cursor"], final["cursor_ids"] = run["mark"] or [0, []]
            final["cursor_id"] = max(final["cursor_ids"] or [""]) or None
            final["reconciled_at"] = run["started"]
        elif run["at"] is not None:
            final["cursor"], final["cursor_id"] = run["at"]
            final["cursor_ids"] = run["tied"]
        yield batch(state=final, snapshot_complete=run["kind"] == "snapshot")

    def _pages(self, api_name: str, run: dict[str, Any]) -> Iterator[Page]:
        """The pages of one pass, keeping its position in `run` (the checkpoint)."""
        if run["kind"] == "snapshot":
            if run["mark"] is None and run["after_id"] is None:
                # Where the next incremental read starts: changes made while
                # this read is under way are newer than this.
                mark = latest_change(self.client, api_name)
                run["mark"] = [mark[0], mark[1]] if mark else None
            for page in pages(self.client, api_name, since_ms=None, after_id=run["after_id"]):
                run["after_id"] = page.last_id
                yield page
            return
        if run["phase"] == "changes":
            at = tuple(run["at"]) if run["at"] else None
            for page in changed_pages(
                self.client,
                api_name,
                since_ms=run["since"],
                after=at,  # type: ignore[arg-type]
                drained=run["drained"],
                skip=frozenset(run["skip"]),
            ):
                if page.last_change is not None:
                    newest = page.last_change[0]
                    here: list[str] | None = [
                        r["_id"] for r in page.rows if modified_ms(r) == newest
                    ]
                    if run["at"] and run["at"][0] == newest:
                        before = run["tied"]
                        here = None if before is None else before + here  # type: ignore[operator]
                    elif newest == run["since"]:
                        here = run["skip"] + here  # type: ignore[operator]
                    # the ids read in the newest millisecond: the next run reads that
                    # millisecond again without them (a change made in it after this
                    # read is not lost); too many of them, and the (time, _id) position
                    # is the cursor instead
                    fits = here is not None and len(here) <= PAGE_SIZE
                    run["tied"] = sorted(set(here)) if fits else None  # type: ignore[arg-type]
                    run["at"], run["drained"] = list(page.last_change), page.drained
                yield page
            run["phase"] = "deletes"
        for page in pages(
            self.client,
            api_name,
            since_ms=run["since"],
            after_id=run["after_id"],
            filters=DELETED,
        ):
            run["after_id"] = page.last_id
            yield page

    def _map(
        self,
        api_name: str,
        mapper: Mapper,
        raw: Any,
        records: list[Record],
        rejects: list[Reject],
        deletes: list[Tombstone],
    ) -> None:
        if not isinstance(raw, dict):
            rejects.append(Reject(f"{api_name}: a row that is not an object", {"row": str(raw)}))
            return
        try:
            for item in mapper.map(raw):
                (deletes if isinstance(item, Tombstone) else records).append(item)  # type: ignore[arg-type]
        except MappingError as exc:
            try:
                sid = mapper.source_id(raw)
            except MappingError:
                sid = None
            rid = raw.get("_id")
            rejects.append(
                Reject(
                    f"{api_name} {rid}: {exc}" if rid else f"{api_name}: {exc}",
                    mask_expansions(raw),
                    source_id=sid,
                    location=f"{api_name}/{rid}" if rid else api_name,
                )
            )

    def describe_of(self, api_name: str) -> Describe | None:
        """The object's describe, asked once per adapter (run)."""
        with self._describes_lock:
            if api_name not in self._describes:
                self._describes[api_name] = describe(self.client, api_name)
            return self._describes[api_name]

    def _fail_if_owners_wait(self, why: str) -> None:
        """A managers read that found nobody, in a tenant whose customers have
        owners: every owner would stay unresolved, so the stream fails (as
        `hub check` explains) instead of reporting `ok` with 0 rows."""
        api = self.config.customers.api_name
        owner = [{"field_name": "owner", "operator": "ISN", "field_values": [""]}]
        answer = self.client.post(
            query_path(api), query_body(api, None, None, count=False, limit=1, filters=owner)
        )
        data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
        if data.get("dataList"):
            # the stream fails (exit code 1); the other streams still land
            raise SourceDataError(
                f"{self.context.connection}/managers: {why}; {api} records have owners"
            )

    # -- the employee directory ------------------------------------------------------------

    def department_names(self) -> dict[str, str]:
        """Department id → name, read once per adapter (managers and goals
        both need it, possibly at the same time)."""
        with self._departments_lock:
            if self._departments is None:
                answer = self.client.post(DEPARTMENT_LIST, {})
                self._departments = {
                    str(d.get("id")): str(d.get("name"))
                    for d in answer.get("departments") or []
                    if isinstance(d, dict) and d.get("id") is not None and d.get("name")
                }
            return self._departments

    def _read_directory(self, state: dict[str, Any] | None, ctx: ReadContext) -> Iterator[Batch]:
        """The directory has no change timestamps and no paging: it is read
        whole (two calls), and only employees whose content changed since the
        last read are written. State: employee id → digest of what was written."""
        departments = self.department_names()
        answer = self.client.post(USER_LIST, {"departmentId": WHOLE_COMPANY, "fetchChild": True})
        users = [u for u in answer.get("userList") or [] if isinstance(u, dict)]
        if not users:
            self._fail_if_owners_wait(EMPTY_DIRECTORY)
        known: dict[str, str] | None = (state or {}).get("digests")
        begins = known is None
        digests = dict(known or {})
        deletes: list[Tombstone] = []
        present = {str(u.get("openUserId")) for u in users}
        for gone in sorted(set(digests) - present):
            deletes.append(Tombstone(gone))
            del digests[gone]
        records: list[Record] = []
        rejects: list[Reject] = []
        for user in users:
            uid = str(user.get("openUserId"))
            department = departments.get(str(user.get("mainDepartmentId")), "")
            digest = _digest({"user": user, "department": department})
            if digests.get(uid) == digest:
                continue
            try:
                records.append(
                    manager_from_user(
                        self.context.connection, user, departments, self.context.timezone
                    )
                )
            except MappingError as exc:
                rejects.append(
                    Reject(f"user {uid}: {exc}", user, source_id=uid, location=f"{USER_LIST}/{uid}")
                )
            digests[uid] = digest
            if len(records) + len(rejects) >= ctx.batch_size:
                yield Batch(records, rejects, deletes, {"digests": dict(digests)}, begins)
                records, rejects, deletes, begins = [], [], [], False
        yield Batch(
            records,
            rejects,
            deletes,
            {"digests": digests},
            snapshot_begins=begins,
            snapshot_complete=known is None,
        )


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _check_exit_code(exc: HubError) -> int:
    """What `hub check` exits with: 2 when the fix is in hub.toml, 6 when the
    daily quota is used up (as `hub sync` would), else 4."""
    if exc.exit_code in (ExitCode.CONFIG, ExitCode.QUOTA):
        return int(exc.exit_code)
    return int(ExitCode.SOURCE)


def _did_you_mean(api_name: str, existing: set[str]) -> str:
    close = difflib.get_close_matches(api_name, sorted(existing), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
