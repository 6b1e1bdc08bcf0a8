"""One (connection, stream) inside a run: its state, its writer, its counters,
and the single transaction each batch is committed in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.adapters.contract import Batch, Reject, Stream
from hub.store.database import Store
from hub.store.records import RecordWriter, ensure_indexes
from hub.sync import rejects, runs, state
from hub.sync.lease import Lease
from hub.sync.results import RunInfo, StreamResult, utcnow


class StreamSync:
    def __init__(
        self,
        store: Store,
        run: RunInfo,
        lease: Lease,
        connection: str,
        stream: Stream,
        references: dict[str, str],
    ) -> None:
        self.store = store
        self.run = run
        self.lease = lease
        self.connection = connection
        self.stream = stream
        self.result = StreamResult(connection, stream.name, stream.entity, status="running")
        self.writer = RecordWriter(
            store.dialect, connection, stream.name, stream.entity, references
        )
        self.current = state.StreamState()
        self.began = False
        self._open_rejects = False
        self._had_rows = False
        self._bulk_load = False

    @property
    def run_id(self) -> int:
        assert self.run.run_id is not None
        return self.run.run_id

    def begin(self) -> dict[str, Any] | None:
        """Record the stream's start; return the state to read from."""
        with self.store.begin() as conn:
            saved = state.load(conn, self.connection, self.stream.name)
            runs.start_stream(
                conn, self.run_id, self.connection, self.stream.name, self.stream.entity, utcnow()
            )
            self._open_rejects = rejects.count_open(conn, self.connection, self.stream.name) > 0
            self._had_rows = self.writer.has_rows(conn)
            self.writer.expect_new = not self._had_rows
            self._bulk_load = self.writer.start_bulk_load(conn)
        self.began = True
        self.current = state.StreamState(
            state=None if self.run.options.full_refresh else saved.state,
            generation=saved.generation,
        )
        return self.current.state

    def commit(self, batch: Batch) -> list[Reject]:
        """Store one batch — records, rejects, tombstones, checkpoint and
        counters — in one transaction. Returns the rejects as stored (masked)."""
        now = utcnow()
        stored_rejects = [rejects.masked(r) for r in batch.rejects]
        connection, name, current = self.connection, self.stream.name, self.current
        generation = current.generation + 1 if batch.snapshot_begins else current.generation
        with self.store.begin() as conn:
            if self.store.dialect == "postgresql":
                # A batch's commit need not wait for its WAL to reach the disk: the
                # batch and its checkpoint commit together, so a server crash can
                # only lose whole batches, which the next run reads again; the
                # run's end (runs.finish) commits synchronously, flushing them all.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            self.lease.fence(conn)
            counts = self.writer.upsert(conn, batch.records, generation, now, batch.digests)
            self.writer.keep(conn, batch.unchanged, generation)
            # a record that is rejected this time still exists in the source:
            # its last good version must not be swept away
            self.writer.mark_seen(
                conn, [(r.source_id, None) for r in batch.rejects if r.source_id], generation
            )
            deleted = self.writer.tombstone(conn, batch.deletes, now)
            rejects.record(conn, connection, name, stored_rejects, self.run_id, generation, now)
            if self._open_rejects and batch.records:
                landed = batch.records.column("source_id").to_pylist()
                rejects.resolve_landed(conn, connection, name, landed, self.run_id, now)
            if batch.snapshot_complete:
                deleted += self.writer.sweep(conn, generation, now)
                rejects.resolve_unseen(conn, connection, name, generation, self.run_id, now)
            new_state = batch.state if batch.state is not None else current.state
            if batch.state is not None or batch.snapshot_begins or batch.snapshot_complete:
                checkpoint = state.StreamState(state=new_state, generation=generation)
                state.save(conn, connection, name, checkpoint, self.run_id, now)
            delta = {
                "read": len(batch.records) + len(batch.rejects) + len(batch.unchanged),
                "inserted": counts.inserted,
                "updated": counts.updated,
                "unchanged": counts.unchanged + len(batch.unchanged),
                "deleted": deleted,
                "rejected": len(batch.rejects),
                "batches": 1,
            }
            runs.add_counts(conn, self.run_id, connection, name, delta)
        # only now, with the transaction committed, does the stream move on
        self.current = state.StreamState(state=new_state, generation=generation)
        self._open_rejects = self._open_rejects or bool(stored_rejects)
        for key, value in delta.items():
            setattr(self.result, key, getattr(self.result, key) + value)
        return stored_rejects

    def stored_digests(self, source_ids: Sequence[str]) -> dict[str, str]:
        """For `ReadContext.stored_digests` (called from the reading thread)."""
        if self.run.options.full_refresh or not self._had_rows:
            return {}
        with self.store.read() as conn:
            return self.writer.stored_digests(conn, source_ids)

    def record_end(self, unresolved: int = 0) -> None:
        if not self.began:
            return
        with self.store.begin() as conn:
            if self._bulk_load:
                ensure_indexes(conn, [self.stream.entity])
                self._bulk_load = False
            runs.finish_stream(
                conn,
                self.run_id,
                self.connection,
                self.stream.name,
                self.result.status,
                unresolved,
                self.result.error,
                utcnow(),
            )
