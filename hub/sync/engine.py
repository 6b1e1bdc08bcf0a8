"""The sync engine: what `hub sync` promises.

For each selected (connection, stream) it asks the adapter for batches from
the saved state and commits each batch in one transaction: records, rejects,
tombstones, the new checkpoint and the run counters together (see
`hub.sync.stream`). Killed at any point, the next run resumes from the last
committed checkpoint, and since upserts are idempotent the store ends as if
nothing had happened.

Adapters read ahead in threads of their own (`hub.sync.prefetch`); an adapter
that sets `concurrent_streams` has all its streams read at the same time,
while the engine still commits one batch at a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy.exc

from hub import secrets
from hub.adapters.contract import Adapter, Batch, ReadContext, Stream
from hub.columns import ColumnError, conform, to_table
from hub.config import HubConfig
from hub.connections import open_adapter, selected
from hub.errors import ConfigError, ExitCode, HubError
from hub.masking import mask_text
from hub.model import ENTITIES
from hub.plugins import Registry
from hub.store.database import Store
from hub.store.records import count_unresolved, ensure_indexes, resolve_references
from hub.sync import runs, state
from hub.sync.lease import Lease
from hub.sync.prefetch import Finished, Interleave, prefetch
from hub.sync.progress import NoProgress, Progress
from hub.sync.results import (
    STATUS,
    RunInfo,
    StreamResult,
    SyncOptions,
    SyncReport,
    utcnow,
    worst,
)
from hub.sync.stream import StreamSync

log = logging.getLogger("hub.sync")

# A stream ending with one of these stops the rest of its connection.
_STOPS_CONNECTION = {ExitCode.SOURCE, ExitCode.QUOTA, ExitCode.LOCKED, ExitCode.INTERRUPTED}

__all__ = ["RunInfo", "StreamResult", "SyncEngine", "SyncOptions", "SyncReport", "worst"]


@dataclass
class _Planned:
    connection: str
    adapter: Adapter
    streams: list[Stream]


class SyncEngine:
    def __init__(
        self,
        config: HubConfig,
        registry: Registry,
        store: Store,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.registry = registry
        self.store = store
        self.progress = progress or NoProgress()
        self._written: set[str] = set()
        """Connections that wrote rows in the current run."""

    # -- planning --------------------------------------------------------------

    def plan(self, options: SyncOptions) -> list[_Planned]:
        """Open adapters and pick streams; every config error surfaces here,
        before anything is read or written."""
        names = selected(self.config, [c for c, _ in options.only] or options.connections)
        planned: list[_Planned] = []
        wanted = set(options.streams)
        matched: set[str] = set()
        try:
            for name in names:
                adapter = open_adapter(self.config, self.registry, name)
                planned.append(_Planned(name, adapter, []))
                streams = sorted(adapter.streams(), key=lambda s: list(ENTITIES).index(s.entity))
                for stream in streams:
                    if options.only and (name, stream.name) not in options.only:
                        continue
                    if wanted and not ({stream.name, stream.entity} & wanted):
                        continue
                    matched |= {stream.name, stream.entity} & wanted
                    planned[-1].streams.append(stream)
        except BaseException:
            for p in planned:
                p.adapter.close()
            raise
        unknown = wanted - matched
        if unknown:
            for p in planned:
                p.adapter.close()
            raise ConfigError(
                f"--stream {sorted(unknown)[0]}: no such stream in "
                f"{', '.join(names) or 'any connection'}"
            )
        if any(p.streams for p in planned):
            for idle in [p for p in planned if not p.streams]:
                idle.adapter.close()
            planned = [p for p in planned if p.streams]
        return planned

    # -- running ---------------------------------------------------------------

    def run(self, options: SyncOptions) -> SyncReport:
        plan = self.plan(options)
        try:
            if options.dry_run:
                return self._dry_run(plan, options)
            return self._run(plan, options)
        finally:
            for p in plan:
                p.adapter.close()
            self.progress.close()

    def _run(self, plan: list[_Planned], options: SyncOptions) -> SyncReport:
        self._written = set()
        self.store.upgrade()
        started = utcnow()
        lease = Lease(self.store, [p.connection for p in plan], self.config.sync.lease_ttl_seconds)
        taken = lease.acquire()
        report = SyncReport(RunInfo(None, started, options))
        try:
            with self.store.begin() as conn:
                ensure_indexes(conn)  # a killed bulk load leaves them dropped
                run_id = runs.start(conn, _options_record(options), started)
                lease.attach_run(conn, run_id)
                for old in taken:
                    if old.run_id is not None:
                        runs.mark_abandoned(
                            conn, old.run_id, f"taken over by run {run_id}: process gone", started
                        )
                    report.notes.append(
                        f"took over the stale lease on {old.name!r} from run {old.run_id} "
                        f"(last heartbeat {old.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
                    )
            report.run.run_id = run_id
            for note in report.notes:
                log.warning(note, extra={"run_id": run_id})
            lease.start_heartbeat()
            self._hook("hub_sync_started", run=report.run)
            for planned in plan:
                self._sync_connection(planned, report, lease)
                if {r.exit_code for r in report.results} & {
                    ExitCode.INTERRUPTED,
                    ExitCode.LOCKED,
                }:
                    break
            report.exit_code = worst([r.exit_code for r in report.results])
            if report.exit_code == ExitCode.OK and not report.results:
                report.notes.append("nothing to sync: no connection has a selected stream")
        except KeyboardInterrupt:
            report.exit_code = ExitCode.INTERRUPTED
            report.error = "interrupted"
        except BaseException as exc:
            report.exit_code = exc.exit_code if isinstance(exc, HubError) else ExitCode.FAILED
            report.error = secrets.redact(str(exc))
            self._hook("hub_sync_failed", run=report.run, error=exc)
            raise
        finally:
            try:
                if report.run.run_id is not None:
                    with self.store.begin() as conn:
                        runs.finish(
                            conn,
                            report.run.run_id,
                            STATUS[report.exit_code],
                            int(report.exit_code),
                            report.error,
                            utcnow(),
                        )
            finally:
                lease.release()
        self._hook("hub_sync_finished", run=report.run, results=report.results)
        return report

    def _sync_connection(self, planned: _Planned, report: SyncReport, lease: Lease) -> None:
        refs = self.config.connection(planned.connection).references
        run = report.run
        syncs = [
            StreamSync(self.store, run, lease, planned.connection, stream, refs)
            for stream in planned.streams
        ]
        together = getattr(planned.adapter, "concurrent_streams", False)
        groups = [syncs] if together else [[s] for s in syncs]
        stop: StreamResult | None = None
        for group in groups:
            if stop is not None:
                for skipped in group:
                    self._stopped_by(skipped, stop)
                continue
            stop = self._sync_group(planned.adapter, group, run)
        results = [s.result for s in syncs]
        report.results.extend(results)
        if stop is not None and stop.exit_code in (ExitCode.INTERRUPTED, ExitCode.LOCKED):
            return  # interrupted, or the lease is gone: write nothing more
        # References may point at records another stream brought in later.
        # When neither this connection nor one it refers to wrote anything in
        # this run, nothing can have changed: the last counts still hold.
        # Only a stream that had unresolved references can gain from another
        # connection's new records, so those are always tried again.
        if any(r.inserted or r.updated or r.deleted for r in results):
            self._written.add(planned.connection)
        changed = bool({planned.connection, *refs.values()} & self._written)
        run_id = report.run.run_id or 0
        with self.store.begin() as conn:
            lease.fence(conn)
            began = [s for s in syncs if s.began]
            if not changed:
                for sync in began:
                    previous = runs.last_unresolved(
                        conn, planned.connection, sync.stream.name, run_id
                    )
                    sync.result.unresolved = previous
                changed = any(s.result.unresolved for s in began)
            if changed:
                resolve_references(conn, planned.connection, refs)
            for sync in began:
                result = sync.result
                if changed:
                    result.unresolved = count_unresolved(
                        conn, planned.connection, result.stream, result.entity
                    )
                runs.finish_stream(
                    conn,
                    report.run.run_id or 0,
                    result.connection,
                    result.stream,
                    result.status,
                    result.unresolved,
                    result.error,
                    utcnow(),
                )

    def _sync_group(
        self, adapter: Adapter, group: list[StreamSync], run: RunInfo
    ) -> StreamResult | None:
        """Read the group's streams (at the same time if more than one) and
        commit their batches as they come. Returns the result that stops the
        connection, if any."""
        by_name = {s.stream.name: s for s in group}
        sources: dict[str, Iterator[Batch]] = {}
        for sync in group:
            start = sync.begin()
            self.progress.stream_started(sync.result)
            sources[sync.stream.name] = self._batches(
                adapter, sync.connection, sync.stream, start, run, sync
            )
        reading = Interleave(sources, name=f"hub-read-{group[0].connection}")
        stop: StreamResult | None = None
        unfinished = set(by_name)
        try:
            for name, item in reading:
                sync = by_name[name]
                if not isinstance(item, Finished):
                    if self._commit(sync, item, run):
                        continue
                    reading.cancel(name)  # the commit failed: stop reading this stream
                elif item.error is None:
                    self._finish_ok(sync.result)
                else:
                    self._fail(sync.result, item.error)
                unfinished.discard(name)
                self._stream_done(sync, run)
                if sync.result.exit_code in _STOPS_CONNECTION:
                    stop = sync.result
                    break
        except KeyboardInterrupt:
            for name in sorted(unfinished):
                self._fail(by_name[name].result, KeyboardInterrupt())
                stop = stop or by_name[name].result
        finally:
            reading.close()
        for name in sorted(unfinished):  # interrupted, or stopped because a sibling stopped
            sync = by_name[name]
            if stop is not None and sync.result is not stop and sync.result.status == "running":
                self._stopped_by(sync, stop)
            self._stream_done(sync, run)
        return stop

    def sync_streams(
        self, adapter: Adapter, group: list[StreamSync], run: RunInfo
    ) -> StreamResult | None:
        """Read and commit streams of one connection inside a run someone else
        started and holds the lease of (an engine task, `hub.engine.tasks`)."""
        return self._sync_group(adapter, group, run)

    def _commit(self, sync: StreamSync, batch: Batch, run: RunInfo) -> bool:
        """Commit one batch; False (and the stream failed) if that went wrong."""
        try:
            stored_rejects = sync.commit(batch)
        except Exception as exc:
            self._fail(sync.result, exc)
            return False
        for item in stored_rejects:
            self._hook(
                "hub_record_rejected",
                run=run,
                connection=sync.connection,
                stream=sync.stream.name,
                reject=item,
            )
        self.progress.batch_done(sync.result, batch.progress)
        return True

    def _stream_done(self, sync: StreamSync, run: RunInfo) -> None:
        try:
            sync.record_end()
        except Exception as exc:  # the run's own end still records the outcome
            log.warning("could not record the end of %s: %s", sync.stream.name, exc)
        self.progress.stream_finished(sync.result)
        self._hook("hub_stream_finished", run=run, result=sync.result)

    def _batches(
        self,
        adapter: Adapter,
        connection: str,
        stream: Stream,
        saved: dict[str, Any] | None,
        run: RunInfo,
        sync: StreamSync | None = None,
    ) -> Iterator[Batch]:
        ctx = ReadContext(
            started_at=run.started_at,
            overlap=dt.timedelta(seconds=self.config.sync.overlap_seconds),
            full_refresh=run.options.full_refresh,
            batch_size=self.config.sync.batch_size,
        )
        if sync is not None:
            ctx = dataclasses.replace(ctx, stored_digests=sync.stored_digests)
        for batch in adapter.read(stream, saved, ctx):
            yield columnar(batch, stream, connection)

    def _finish_ok(self, result: StreamResult) -> None:
        ratio = self.config.sync.max_reject_ratio
        if ratio is not None and result.read and result.rejected / result.read > ratio:
            self._set(
                result,
                ExitCode.FAILED,
                f"{result.rejected} of {result.read} records rejected, "
                f"more than max_reject_ratio = {ratio}",
            )
            return
        result.exit_code = ExitCode.REJECTS if result.rejected else ExitCode.OK
        result.status = STATUS[result.exit_code]

    def _fail(self, result: StreamResult, error: BaseException) -> None:
        """Turn what a read or a commit raised into the stream's outcome."""
        if isinstance(error, KeyboardInterrupt):
            self._set(result, ExitCode.INTERRUPTED, "interrupted; the next run resumes here")
        elif isinstance(error, HubError):
            self._set(result, error.exit_code, str(error))
        elif isinstance(error, sqlalchemy.exc.SQLAlchemyError):
            # the database's own words only: the statement and its parameters
            # (other records' data) must not reach run records or the terminal
            original = getattr(error, "orig", None) or error
            reason = str(original).strip().splitlines()[0] if str(original).strip() else ""
            log.debug("store failure", exc_info=error)
            self._set(result, ExitCode.FAILED, f"the store refused a batch: {mask_text(reason)}")
        else:  # an adapter bug must not take the other streams down
            log.debug("stream failure", exc_info=error)
            where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
            at = f" (at {where.filename}:{where.lineno})" if where else ""
            self._set(result, ExitCode.FAILED, f"{type(error).__name__}: {error}{at}")

    def _set(self, result: StreamResult, code: ExitCode, message: str) -> None:
        result.exit_code = code
        result.status = STATUS[code]
        result.error = secrets.redact(message)

    def _stopped_by(self, sync: StreamSync, stop: StreamResult) -> None:
        """A stream not read (or not read to the end) because `stop` ended the connection."""
        result = sync.result
        result.status = "stopped" if sync.began else "skipped"
        result.exit_code = stop.exit_code
        result.error = f"not read to the end: {stop.stream} stopped the connection ({stop.status})"

    # -- dry run -------------------------------------------------------------------

    def _dry_run(self, plan: list[_Planned], options: SyncOptions) -> SyncReport:
        """Read and validate everything, write nothing (not even run history)."""
        report = SyncReport(RunInfo(None, utcnow(), options))
        initialised = self.store.current_revision() is not None
        for planned in plan:
            for stream in planned.streams:
                result = StreamResult(planned.connection, stream.name, stream.entity)
                saved = None
                if initialised and not options.full_refresh:
                    with self.store.read() as conn:
                        saved = state.load(conn, planned.connection, stream.name).state
                self.progress.stream_started(result)
                try:
                    batches = self._batches(
                        planned.adapter, planned.connection, stream, saved, report.run
                    )
                    for batch in prefetch(batches, name=f"hub-read-{planned.connection}"):
                        result.read += len(batch.records) + len(batch.rejects)
                        result.rejected += len(batch.rejects)
                        result.deleted += len(batch.deletes)
                        result.batches += 1
                        self.progress.batch_done(result, batch.progress)
                    self._finish_ok(result)
                except (Exception, KeyboardInterrupt) as exc:
                    self._fail(result, exc)
                if result.exit_code in (ExitCode.OK, ExitCode.REJECTS):
                    result.status = "dry-run"
                self.progress.stream_finished(result)
                report.results.append(result)
        report.exit_code = worst([r.exit_code for r in report.results])
        return report

    # -- hooks -------------------------------------------------------------------

    def _hook(self, name: str, **kwargs: Any) -> None:
        try:
            getattr(self.registry.hook, name)(**kwargs)
        except Exception as exc:  # a metrics plugin must not break the sync
            log.warning("plugin hook %s failed: %s", name, secrets.redact(str(exc)))


def columnar(batch: Batch, stream: Stream, connection: str) -> Batch:
    """The batch with its records as a conformed Arrow table (done in the
    reading thread): model objects are converted, an adapter's table is
    checked column-wise and its rows that break the model become rejects."""
    records = batch.records
    if isinstance(records, pa.Table | pa.RecordBatch):
        try:
            table, bad = conform(stream.entity, records, connection)
        except ColumnError as exc:
            raise TypeError(f"stream {stream.name!r}: {exc}") from None
        rejects = [*batch.rejects, *bad] if bad else batch.rejects
        return dataclasses.replace(batch, records=table, rejects=rejects)
    model = ENTITIES[stream.entity]
    for record in records:
        if type(record) is not model:
            raise TypeError(
                f"stream {stream.name!r} yielded a {type(record).__name__}, "
                f"expected {model.__name__}"
            )
        if record.source != connection:
            raise ValueError(
                f"record {record.source_id!r} says source={record.source!r}, "
                f"but it was read from connection {connection!r}"
            )
    return dataclasses.replace(batch, records=to_table(stream.entity, records))


def _options_record(options: SyncOptions) -> dict[str, Any]:
    return {
        "connections": list(options.connections),
        "streams": list(options.streams),
        "full_refresh": options.full_refresh,
        "only": [list(p) for p in options.only],
    }
