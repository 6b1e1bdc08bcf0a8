"""Sending the outbox: exactly one task per action, in effect.

Per connection, inside its lease (the same one a sync takes, so no two hub
processes write to one CRM at a time):

1. every action in doubt (an attempt whose answer was not stored: a crash, a
   timeout) is looked up by its key first; found means confirmed;
2. the rest are marked in doubt *before* each send and given the vendor's
   answer after it, each step committed on its own;
3. actions sent earlier are looked up once more and confirmed.

A quota stops the connection cleanly (the next apply resumes); an unknown
answer leaves the batch in doubt, to be looked up next time; a refusal marks
the action failed with the vendor's reason, retried only when that can help.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.actions import outbox
from hub.actions.contract import ActionOutcome, ActionRequest, ActionWriter
from hub.actions.plan import PlannedAction, plan
from hub.actions.settings import ActionSettings
from hub.config import HubConfig
from hub.connections import open_adapter
from hub.errors import ExitCode, HubError, LockHeld, QuotaExhausted, SourceError
from hub.plugins import Registry
from hub.store.database import Store
from hub.sync.lease import Lease
from hub.sync.results import worst

log = logging.getLogger("hub.actions")


@dataclass
class ConnectionResult:
    connection: str
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0
    error: str | None = None
    exit_code: ExitCode = ExitCode.OK


@dataclass
class ApplyReport:
    planned: list[PlannedAction] = field(default_factory=list)
    new: int = 0
    cancelled: int = 0
    connections: list[ConnectionResult] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return worst([c.exit_code for c in self.connections])


def writer_capable(config: HubConfig, registry: Registry) -> Callable[[str], bool]:
    """Whether a configured connection takes actions (its adapter offers a writer).
    Opening an adapter touches no network; the answers are cached per connection."""
    known: dict[str, bool] = {}

    def can_write(name: str) -> bool:
        if name not in known:
            connection = config.connections.get(name)
            known[name] = False
            if connection is not None and connection.enabled:
                try:
                    adapter = open_adapter(config, registry, name)
                except HubError:
                    return False
                try:
                    known[name] = adapter.action_writer() is not None
                finally:
                    adapter.close()
        return known[name]

    return can_write


def desired(
    config: HubConfig,
    registry: Registry,
    store: Store,
    periods: Sequence[str],
    actions: dict[str, ActionSettings],
) -> tuple[list[PlannedAction], outbox.Merge]:
    """The plan for `periods` and how it compares with the outbox (writes nothing)."""
    can_write = writer_capable(config, registry)
    with store.read() as conn:
        planned = [
            p
            for period in periods
            for p in plan(conn, period, actions, zone=config.zone, can_write=can_write)
        ]
        scope = [(name, period) for name in actions for period in periods]
        return planned, outbox.compare(conn, planned, scope)


def apply(
    config: HubConfig,
    registry: Registry,
    store: Store,
    periods: Sequence[str],
    actions: dict[str, ActionSettings],
    connections: Sequence[str] = (),
) -> ApplyReport:
    planned, merge = desired(config, registry, store, periods, actions)
    with store.begin() as conn:
        outbox.record(conn, merge)
    report = ApplyReport(planned, new=len(merge.new), cancelled=len(merge.cancel))
    with store.read() as conn:
        names = outbox.open_connections(conn)
    for name in names:
        if connections and name not in connections:
            continue
        report.connections.append(
            _apply_connection(config, registry, store, name, set(merge.check_first))
        )
    return report


def _apply_connection(
    config: HubConfig, registry: Registry, store: Store, name: str, gone: set[str]
) -> ConnectionResult:
    result = ConnectionResult(name)
    with store.read() as conn:
        rows = outbox.open_actions(conn, name)
    if not rows:
        return result
    adapter = open_adapter(config, registry, name)
    try:
        writer = adapter.action_writer()
        if writer is None:
            with store.begin() as conn:
                keys = [r.key for r in rows if not r.in_doubt]
                outbox.set_state(
                    conn, keys, "skipped", last_error=f"connection {name!r} cannot write actions"
                )
            result.skipped = len(keys)
            return result
        problem = writer.check()
        if problem:
            result.error = f"{name}: {problem}"
            result.exit_code = ExitCode.CONFIG
            return result
        lease = Lease(store, [name], config.sync.lease_ttl_seconds)
        try:
            lease.acquire()
        except LockHeld as exc:
            result.error = str(exc)
            result.exit_code = ExitCode.LOCKED
            return result
        lease.start_heartbeat()
        try:
            _send(store, lease, writer, rows, gone, result)
        except QuotaExhausted as exc:
            result.error = f"{name}: {exc}"
            result.exit_code = ExitCode.QUOTA
        except SourceError as exc:
            result.error = f"{name}: {exc}"
            result.exit_code = ExitCode.SOURCE
        finally:
            lease.release()
    finally:
        adapter.close()
    if result.failed and result.exit_code == ExitCode.OK:
        result.exit_code = ExitCode.REJECTS
    return result


def _send(
    store: Store,
    lease: Lease,
    writer: ActionWriter,
    rows: list[Any],
    gone: set[str],
    result: ConnectionResult,
) -> None:
    size = max(1, int(writer.batch_size))
    doubtful = [r for r in rows if r.in_doubt]
    found: dict[str, str] = {}
    for chunk in _chunks([r.key for r in doubtful], size):
        found |= dict(writer.find(chunk))
    with store.begin() as conn:
        lease.fence(conn)
        outbox.mark_found(conn, found)
        lost = [r.key for r in doubtful if r.key not in found and r.key in gone]
        if lost:
            outbox.set_state(
                conn,
                lost,
                "cancelled",
                in_doubt=False,
                last_error="its finding went away before it was sent",
            )
    result.confirmed += len(found)
    result.cancelled += len(lost)
    skip = set(found) | set(lost)
    pending = [r for r in rows if r.key not in skip and r.state in ("planned", "failed")]
    for chunk in _chunks(pending, size):
        keys = [r.key for r in chunk]
        with store.begin() as conn:
            lease.fence(conn)
            outbox.mark_attempt(conn, keys)
        try:
            outcomes = writer.write([_request(r) for r in chunk])
        except (QuotaExhausted, SourceError) as exc:
            with store.begin() as conn:
                outbox.note_error(conn, keys, str(exc))
            raise
        answered = _complete(keys, outcomes)
        with store.begin() as conn:
            lease.fence(conn)
            outbox.mark_outcomes(conn, answered)
        for o in answered:
            if o.status == "created":
                result.sent += 1
            elif o.status == "exists":
                result.confirmed += 1
            else:
                result.failed += 1
                log.warning("action %s refused by %s: %s", o.key, result.connection, o.reason)
    _confirm_sent(store, lease, writer, result, size)


def _confirm_sent(
    store: Store, lease: Lease, writer: ActionWriter, result: ConnectionResult, size: int
) -> None:
    with store.read() as conn:
        keys = outbox.sent_keys(conn, result.connection)
    found: dict[str, str] = {}
    for chunk in _chunks(keys, size):
        found |= dict(writer.find(chunk))
    if found:
        with store.begin() as conn:
            lease.fence(conn)
            outbox.mark_found(conn, found)


def _complete(keys: list[str], outcomes: Sequence[ActionOutcome]) -> list[ActionOutcome]:
    """One outcome per key: a key the writer did not answer for stays in doubt."""
    by_key = {o.key: o for o in outcomes if o.key in keys}
    return [by_key[k] for k in keys if k in by_key]


def _request(row: Any) -> ActionRequest:
    return ActionRequest(
        key=row.key,
        customer_source_id=row.customer_source_id,
        owner_source_id=row.owner_source_id,
        subject=row.title,
        description=row.description,
        due_date=row.due_date,
        priority=row.priority,
        triggers=bool(row.triggers),
    )


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
