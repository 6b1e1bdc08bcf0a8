"""The engine's tasks: one per (connection, stream), a follow-up per connection, one to
finish the run.

`hub sync --engine` (hub.engine.dispatch) writes the run's row and sends, per
connection, a chain: its streams in entity order, then its follow-up; each
follow-up then asks for the run to be finished, which happens once every
stream and follow-up of the run is done. The store is the record of what
happened: a task reads it before it does anything, so a task delivered twice
(at-least-once delivery) finds its stream finished and does nothing, and a
task redelivered after its worker died resumes from the last committed
checkpoint, under a lease it takes over from the dead process.

The work itself is the local sync's: `StreamSync` and `SyncEngine.sync_streams`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from celery.app.task import Task
from sqlalchemy import Connection, select, update

from hub import secrets
from hub.connections import open_adapter
from hub.engine.project import Project, project
from hub.engine.tables import run_followups
from hub.errors import ConfigError, ExitCode, HubError, LockHeld
from hub.store.database import dialect_insert
from hub.store.records import count_unresolved, resolve_references
from hub.store.tables import run_streams, runs
from hub.sync import runs as run_history
from hub.sync.engine import SyncEngine
from hub.sync.lease import Lease
from hub.sync.results import STATUS, RunInfo, SyncOptions, utcnow, worst
from hub.sync.stream import StreamSync

log = logging.getLogger("hub.engine")

SYNC_STREAM = "hub.sync_stream"
FINISH_CONNECTION = "hub.finish_connection"
FINISH_RUN = "hub.finish_run"

CODE_OF_STATUS = {status: code for code, status in STATUS.items()}
STOPPING = {STATUS[c] for c in (ExitCode.SOURCE, ExitCode.QUOTA, ExitCode.LOCKED)}
"""A stream ending so stops the rest of its connection in this run (as in a local sync)."""
LEASE_RETRY_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 600


def worker_name(task: Task | None = None) -> str:
    """Who runs this: the Celery node and the pool process."""
    node = getattr(getattr(task, "request", None), "hostname", None) or socket.gethostname()
    return f"{node}:{os.getpid()}"


@dataclass
class Planned:
    connection: str
    stream: str
    entity: str


def _run_row(conn: Connection, run_id: int) -> Any:
    return conn.execute(select(runs).where(runs.c.id == run_id)).first()


def _stream_row(conn: Connection, run_id: int, connection: str, stream: str) -> Any:
    c = run_streams.c
    return conn.execute(
        select(run_streams).where(
            c.run_id == run_id, c.connection == connection, c.stream == stream
        )
    ).first()


def _record_outcome(
    conn: Connection,
    run_id: int,
    planned: Planned,
    status: str,
    error: str | None,
    worker: str,
) -> None:
    """A stream that ends without reading (skipped, config error, lease held)."""
    now = utcnow()
    run_history.start_stream(
        conn, run_id, planned.connection, planned.stream, planned.entity, now, worker
    )
    run_history.finish_stream(
        conn, run_id, planned.connection, planned.stream, status, 0, error, now
    )


def _options(run: Any) -> SyncOptions:
    options = run.options or {}
    return SyncOptions(
        connections=tuple(options.get("connections") or ()),
        streams=tuple(options.get("streams") or ()),
        full_refresh=bool(options.get("full_refresh")),
    )


def _lease_wait(p: Project) -> float:
    wait = p.settings.lease_wait_seconds
    return float(wait if wait is not None else 2 * p.config.sync.lease_ttl_seconds)


class LeaseBusy(Exception):
    """The connection's lease is held by a live process: try again shortly."""


def _take_lease(p: Project, connection: str, run_id: int, waited: float) -> Lease:
    """The connection's lease. A lease held by a live process (the first delivery of
    this very task, still running; a local `hub sync`) raises `LeaseBusy` while the
    task has waited less than `lease_wait_seconds`, `LockHeld` after; a lease whose
    process died is taken over at once (same host) or once its TTL has passed."""
    lease = Lease(p.store, [connection], p.config.sync.lease_ttl_seconds)
    lease.run_id = run_id
    try:
        taken = lease.acquire()
    except LockHeld:
        if waited < _lease_wait(p):
            raise LeaseBusy() from None
        raise
    with p.store.begin() as conn:
        lease.attach_run(conn, run_id)
        for old in taken:
            if old.run_id is not None and old.run_id != run_id:
                run_history.mark_abandoned(
                    conn, old.run_id, f"taken over by run {run_id}: process gone", utcnow()
                )
    lease.start_heartbeat()
    return lease


def _retry_later(task: Task, countdown: float, **changes: Any) -> Exception:
    """A retry of this task with some of its keyword arguments changed."""
    kwargs = {**(task.request.kwargs or {}), **changes}
    return task.retry(args=task.request.args, kwargs=kwargs, countdown=countdown, max_retries=None)


# -- one stream -----------------------------------------------------------------------


@shared_task(bind=True, name=SYNC_STREAM, acks_late=True, reject_on_worker_lost=True)
def sync_stream(
    self: Task,
    run_id: int,
    connection: str,
    stream: str,
    entity: str,
    source_tries: int = 0,
    lease_waited: float = 0.0,
    failures: int = 0,
) -> str:
    planned = Planned(connection, stream, entity)
    p = project()
    try:
        return run_stream(self, p, run_id, planned, source_tries, lease_waited)
    except LeaseBusy:
        raise _retry_later(
            self, LEASE_RETRY_SECONDS, lease_waited=lease_waited + LEASE_RETRY_SECONDS
        ) from None
    except SourceRetry as retry:
        raise _retry_later(self, retry.countdown, source_tries=source_tries + 1) from None
    except Exception as exc:  # the store down, a bug: try again, then record and go on
        return _unexpected(self, p, run_id, planned, failures, exc)


class SourceRetry(Exception):
    def __init__(self, countdown: float) -> None:
        self.countdown = countdown


def _unexpected(
    task: Task, p: Project, run_id: int, planned: Planned, failures: int, exc: Exception
) -> str:
    message = secrets.redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
    if failures < p.settings.source_retries:
        countdown = min(p.settings.retry_backoff_seconds * 2**failures, MAX_BACKOFF_SECONDS)
        log.warning(
            "%s/%s: %s; trying again in %s s",
            planned.connection,
            planned.stream,
            message,
            countdown,
        )
        raise _retry_later(task, countdown, failures=failures + 1) from None
    log.error("%s/%s: %s; giving up", planned.connection, planned.stream, message)
    try:
        with p.store.begin() as conn:
            _record_outcome(
                conn, run_id, planned, STATUS[ExitCode.FAILED], message, worker_name(task)
            )
    except Exception:  # the store is still down: the run stays open, the next one resumes
        log.exception("could not record the failure")
    return STATUS[ExitCode.FAILED]


def run_stream(
    task: Task, p: Project, run_id: int, planned: Planned, source_tries: int, lease_waited: float
) -> str:
    """Sync one stream of a run; returns what happened (for logs and tests)."""
    worker = worker_name(task)
    with p.store.read() as conn:
        run = _run_row(conn, run_id)
        row = _stream_row(conn, run_id, planned.connection, planned.stream)
        stopped_by = conn.execute(
            select(run_streams.c.stream, run_streams.c.status).where(
                run_streams.c.run_id == run_id,
                run_streams.c.connection == planned.connection,
                run_streams.c.stream != planned.stream,
                run_streams.c.status.in_(STOPPING),
            )
        ).first()
    if run is None or run.status != "running":
        return "run over"
    if _finished(row, source_tries):
        return "duplicate"  # delivered again after it finished: nothing to do
    if stopped_by is not None:
        with p.store.begin() as conn:
            _record_outcome(
                conn,
                run_id,
                planned,
                "skipped",
                f"not read: {stopped_by.stream} stopped the connection ({stopped_by.status})",
                worker,
            )
        return "skipped"
    try:
        adapter = open_adapter(p.config, p.registry, planned.connection)
    except HubError as exc:
        with p.store.begin() as conn:
            _record_outcome(
                conn, run_id, planned, STATUS[exc.exit_code], secrets.redact(str(exc)), worker
            )
        return STATUS[exc.exit_code]
    try:
        streams = {s.name: s for s in adapter.streams()}
        if planned.stream not in streams:
            error = ConfigError(
                f"connection {planned.connection!r} has no stream {planned.stream!r}"
            )
            with p.store.begin() as conn:
                _record_outcome(conn, run_id, planned, STATUS[error.exit_code], str(error), worker)
            return STATUS[error.exit_code]
        try:
            lease = _take_lease(p, planned.connection, run_id, lease_waited)
        except LockHeld as exc:
            with p.store.begin() as conn:
                _record_outcome(
                    conn, run_id, planned, STATUS[ExitCode.LOCKED], secrets.redact(str(exc)), worker
                )
            return STATUS[ExitCode.LOCKED]
        try:
            with p.store.begin() as conn:
                lease.fence(conn)
                # a copy of this task may have finished it while we waited for the lease
                if _finished(
                    _stream_row(conn, run_id, planned.connection, planned.stream), source_tries
                ):
                    return "duplicate"
                run_history.start_stream(
                    conn,
                    run_id,
                    planned.connection,
                    planned.stream,
                    planned.entity,
                    utcnow(),
                    worker,
                )
            info = RunInfo(run_id, run.started_at, _options(run))
            refs = p.config.connection(planned.connection).references
            sync = StreamSync(
                p.store, info, lease, planned.connection, streams[planned.stream], refs
            )
            SyncEngine(p.config, p.registry, p.store).sync_streams(adapter, [sync], info)
        finally:
            lease.release()
    finally:
        adapter.close()
    result = sync.result
    if result.exit_code == ExitCode.SOURCE and source_tries < p.settings.source_retries:
        countdown = min(p.settings.retry_backoff_seconds * 2**source_tries, MAX_BACKOFF_SECONDS)
        tries = p.settings.source_retries + 1
        note = f"{result.error} (try {source_tries + 2} of {tries} in {countdown} s)"
        with p.store.begin() as conn:
            c = run_streams.c
            conn.execute(
                update(run_streams)
                .where(
                    c.run_id == run_id,
                    c.connection == planned.connection,
                    c.stream == planned.stream,
                )
                .values(error=secrets.redact(note))
            )
        log.warning("%s/%s: %s", planned.connection, planned.stream, note)
        raise SourceRetry(countdown)
    return result.status


def _finished(row: Any, source_tries: int) -> bool:
    """The stream is done in this run (a retry after a source error is not)."""
    if row is None or row.finished_at is None:
        return False
    return not (source_tries > 0 and row.status == STATUS[ExitCode.SOURCE])


# -- a connection's follow-up ---------------------------------------------------------------


@shared_task(bind=True, name=FINISH_CONNECTION, acks_late=True, reject_on_worker_lost=True)
def finish_connection(
    self: Task, run_id: int, connection: str, lease_waited: float = 0.0, failures: int = 0
) -> str:
    p = project()
    try:
        outcome = run_followup(self, p, run_id, connection, lease_waited)
    except LeaseBusy:
        raise _retry_later(
            self, LEASE_RETRY_SECONDS, lease_waited=lease_waited + LEASE_RETRY_SECONDS
        ) from None
    except Exception as exc:
        if failures >= p.settings.source_retries:
            raise
        countdown = min(p.settings.retry_backoff_seconds * 2**failures, MAX_BACKOFF_SECONDS)
        log.warning("%s follow-up: %s; trying again in %s s", connection, exc, countdown)
        raise _retry_later(self, countdown, failures=failures + 1) from None
    self.app.send_task(FINISH_RUN, args=[run_id], queue=p.settings.queue)
    return outcome


def run_followup(task: Task, p: Project, run_id: int, connection: str, lease_waited: float) -> str:
    """Resolve the connection's references, as a local sync does after a connection's
    streams; once per run and connection."""
    with p.store.read() as conn:
        run = _run_row(conn, run_id)
        done = conn.execute(
            select(run_followups.c.status).where(
                run_followups.c.run_id == run_id, run_followups.c.connection == connection
            )
        ).scalar()
        rows = conn.execute(
            select(run_streams).where(
                run_streams.c.run_id == run_id, run_streams.c.connection == connection
            )
        ).all()
    if run is None or run.status != "running":
        return "run over"
    if done is not None:
        return "duplicate"
    status, error = "ok", None
    began = [r for r in rows if r.status not in ("skipped", STATUS[ExitCode.CONFIG])]
    lost = any(r.status == STATUS[ExitCode.LOCKED] for r in rows)
    if began and not lost:
        try:
            lease = _take_lease(p, connection, run_id, lease_waited)
        except LockHeld as exc:
            status, error = STATUS[ExitCode.LOCKED], secrets.redact(str(exc))
        else:
            try:
                refs = p.config.connection(connection).references
                with p.store.begin() as conn:
                    lease.fence(conn)
                    resolve_references(conn, connection, refs)
                    for r in began:
                        unresolved = count_unresolved(conn, connection, r.stream, r.entity)
                        conn.execute(
                            update(run_streams)
                            .where(
                                run_streams.c.run_id == run_id,
                                run_streams.c.connection == connection,
                                run_streams.c.stream == r.stream,
                            )
                            .values(unresolved=unresolved)
                        )
            finally:
                lease.release()
    with p.store.begin() as conn:
        insert = dialect_insert(conn, run_followups).values(
            run_id=run_id,
            connection=connection,
            status=status,
            worker=worker_name(task),
            finished_at=utcnow(),
            error=error,
        )
        conn.execute(insert.on_conflict_do_nothing(index_elements=["run_id", "connection"]))
    return status


# -- the run's end ------------------------------------------------------------------------


@shared_task(bind=True, name=FINISH_RUN, acks_late=True, reject_on_worker_lost=True)
def finish_run(self: Task, run_id: int) -> str:
    return run_finish(self, project(), run_id)


def run_finish(task: Task | None, p: Project, run_id: int) -> str:
    """Close the run once every stream and follow-up is done (whoever comes last);
    match identities (`[identity] enabled`, as locally) and
    run the configured rules. Until then (and after), a no-op."""
    with p.store.read() as conn:
        run = _run_row(conn, run_id)
        if run is None or run.status != "running":
            return "run over"
        plan = [Planned(*item) for item in (run.options or {}).get("engine", {}).get("plan", [])]
        rows = {
            (r.connection, r.stream): r
            for r in conn.execute(select(run_streams).where(run_streams.c.run_id == run_id))
        }
        followed = {
            r.connection: r
            for r in conn.execute(select(run_followups).where(run_followups.c.run_id == run_id))
        }
    streams_done = all(
        (s.connection, s.stream) in rows and rows[(s.connection, s.stream)].finished_at is not None
        for s in plan
    )
    if not streams_done or not {s.connection for s in plan} <= set(followed):
        return "waiting"
    codes = [CODE_OF_STATUS.get(r.status, ExitCode.OK) for r in rows.values()]
    codes += [CODE_OF_STATUS.get(f.status, ExitCode.OK) for f in followed.values()]
    code = worst(codes)
    error = None
    if code in (ExitCode.OK, ExitCode.REJECTS) and p.config.identity.enabled:
        _identity(p)  # as a local sync does once its streams landed
    if code == ExitCode.OK and "rules" in p.settings.after_sync:
        code, error = _rules(p)
    with p.store.begin() as conn:
        finished = conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status == "running")
            .values(
                status=STATUS[code],
                exit_code=int(code),
                error=error,
                finished_at=utcnow(),
                heartbeat_at=utcnow(),
            )
        ).rowcount
    return STATUS[code] if finished else "run over"


def _identity(p: Project) -> None:
    from hub.identity.resolve import match_all

    report = match_all(p.store, p.config)
    log.info("identity: %s", report.summary())


def _rules(p: Project) -> tuple[ExitCode, str | None]:
    """Evaluate the configured rules for the current period, as `hub rules run` does."""
    from hub.engine.followups import run_rules

    try:
        run_rules(p.config, p.registry, p.store)
    except HubError as exc:
        return exc.exit_code, f"rules: {secrets.redact(str(exc))}"
    return ExitCode.OK, None


# -- scheduled work -----------------------------------------------------------------------

RUN_RULES = "hub.run_rules"
RUN_IDENTITY = "hub.run_identity"


@shared_task(bind=True, name=RUN_RULES, acks_late=True, reject_on_worker_lost=True)
def run_rules_task(self: Task, kind: str = "quarter") -> str:
    """`[schedule.X] task = "rules"`: the configured rules for the current period.
    Rule runs are versioned, so a duplicate delivery only adds an identical version."""
    from hub.engine.followups import run_rules

    p = project()
    return run_rules(p.config, p.registry, p.store, kind)


@shared_task(bind=True, name=RUN_IDENTITY, acks_late=True, reject_on_worker_lost=True)
def run_identity_task(self: Task) -> str:
    """`[schedule.X] task = "identity"`: identity matching over every connection
    (idempotent: matching again what is already matched changes nothing)."""
    from hub.identity.resolve import match_all

    p = project()
    return str(match_all(p.store, p.config).summary())
