"""The CSV adapter: each entity's file is read as a complete snapshot.

Incremental behaviour comes from the file itself: a file whose size and
modification time match the last complete read is skipped without opening
it; a touched file whose content hash matches is skipped after hashing; a
changed file is read again in full, and the rows it no longer contains are
tombstoned by the engine when the read completes. The checkpoint after each
batch is the byte offset of the next row, so an interrupted read resumes
where it stopped, as long as the file has not changed in between.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from hashlib import blake2b
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.adapters.contract import (
    Adapter,
    Batch,
    CheckResult,
    ConnectionContext,
    ReadContext,
    Reject,
    Stream,
    WriteOutcome,
)
from hub.errors import HubError, SourceDataError
from hub.exporting import confined
from hub.model import ENTITIES, Record
from hub_csv import columnar, convert
from hub_csv.actions import CsvActionWriter
from hub_csv.blocks import Block, BlockReader, Piece, Rows
from hub_csv.mapping import RowMapper
from hub_csv.reader import CsvFile, Row, check_regular_file
from hub_csv.settings import CsvSettings, FileSettings
from hub_csv.writer import write_csv

READER_VERSION = 3
"""Bumped when reading or mapping changes meaning: stored digests and file
fingerprints then no longer match, so every file and row is read again."""


def _checkpointed(
    batch: Batch,
    fingerprint: dict[str, Any],
    rows: int,
    offset: int | None,
    line: int,
    begins: bool,
    *,
    complete: bool = False,
) -> Batch:
    """The batch with its checkpoint: the file's fingerprint, the rows read so
    far and where the next one starts (the row path and the block path alike)."""
    size = fingerprint["size"] or 1
    batch.state = {
        **fingerprint,
        "complete": complete,
        "rows": rows,
        "offset": offset,
        "line": line,
    }
    batch.snapshot_begins = begins
    if complete:
        batch.snapshot_complete = True
        batch.progress = (size, size)
    else:
        batch.progress = (offset or 0, size) if offset is not None else None
    return batch


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


SMALL_BATCH = 64
"""Re-read batches with fewer changed rows than this are mapped row by row."""


def _unchanged_since(path: Path, fingerprint: dict[str, Any]) -> None:
    """Still being written: what is missing now must not be tombstoned."""
    now = path.stat()
    if (now.st_size, now.st_mtime_ns) != (fingerprint["size"], fingerprint["mtime_ns"]):
        raise SourceDataError(f"{path}: the file changed while it was read; run again")


class CsvAdapter(Adapter):
    config: CsvSettings

    def __init__(self, config: CsvSettings, context: ConnectionContext) -> None:
        super().__init__(config, context)
        self.folder = context.resolve_path(config.folder)
        self.timezone = ZoneInfo(config.timezone) if config.timezone else context.timezone
        self.currency = config.currency or context.base_currency

    def action_writer(self) -> CsvActionWriter | None:
        if not self.config.actions_file:
            return None
        path = confined(
            self.context.config_dir,
            self.folder / self.config.actions_file,
            f"connections.{self.context.connection}.actions_file",
        )
        return CsvActionWriter(path)

    # -- discover ------------------------------------------------------------

    def _files(self) -> dict[str, FileSettings]:
        files = {}
        for entity in ENTITIES:
            settings = self.config.file(entity)
            if settings is None:
                continue
            if self.config.implicit_files and not self.path(settings).exists():
                continue
            files[entity] = settings
        return files

    def path(self, settings: FileSettings) -> Path:
        path = Path(settings.path).expanduser()
        return path if path.is_absolute() else self.folder / path

    def streams(self) -> list[Stream]:
        return [
            Stream(
                name=entity,
                entity=entity,
                cursor_field=None,
                incremental=True,
                deletes=True,
                writable=True,
                description=f"{self.path(settings)}",
            )
            for entity, settings in self._files().items()
        ]

    def check(self) -> CheckResult:
        if not self.folder.is_dir():
            return CheckResult(False, f"folder {self.folder} does not exist")
        files = self._files()
        if not files:
            return CheckResult(False, f"no entity files in {self.folder} (e.g. customers.csv)")
        notes = []
        for entity, settings in files.items():
            path = self.path(settings)
            try:
                csv_file = self._open(settings, path)
                self._mapper(entity, settings, csv_file)
            except HubError as exc:
                return CheckResult(False, str(exc))
            notes.append(f"{entity}: {path.name} ({csv_file.encoding})")
        return CheckResult(True, "; ".join(notes), {"folder": str(self.folder)})

    # -- read ------------------------------------------------------------------

    def _open(self, settings: FileSettings, path: Path) -> CsvFile:
        return CsvFile(
            path,
            encoding=settings.encoding or self.config.encoding,
            delimiter=settings.delimiter or self.config.delimiter,
        )

    def _mapper(self, entity: str, settings: FileSettings, csv_file: CsvFile) -> RowMapper:
        return RowMapper(
            path=csv_file.path,
            connection=self.context.connection,
            entity=entity,
            header=csv_file.header,
            settings=settings,
            timezone=self.timezone,
            date_order=self.config.date_order,
            currency=self.currency,
        )

    def _settings_hash(self, settings: FileSettings) -> str:
        """Changing how a file is read (mapping, encoding…) means reading it again."""
        relevant = {
            "reader": READER_VERSION,  # a fix to parsing reads every file again
            "file": settings.model_dump(),
            "encoding": self.config.encoding,
            "delimiter": self.config.delimiter,
            "date_order": self.config.date_order,
            "timezone": str(self.timezone),
            "currency": self.currency,
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        settings = self._files().get(stream.entity)
        if settings is None:
            raise SourceDataError(f"{self.context.connection}: no file for {stream.entity}")
        path = self.path(settings)
        check_regular_file(path)  # before hashing: /dev/zero or a FIFO never ends
        stat = path.stat()
        fingerprint = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "settings": self._settings_hash(settings),
        }
        state = state or {}
        same_settings = state.get("settings") == fingerprint["settings"]
        if (
            state.get("complete")
            and same_settings
            and state.get("size") == fingerprint["size"]
            and state.get("mtime_ns") == fingerprint["mtime_ns"]
        ):
            return  # unchanged since the last complete read: nothing to do
        digest = file_digest(path)
        fingerprint["sha256"] = digest
        same_content = same_settings and state.get("sha256") == digest
        if same_content and state.get("complete"):
            yield Batch(state={**fingerprint, "complete": True})  # only touched
            return
        resume = same_content and state.get("rows") is not None
        yield from self._read_file(
            stream, settings, path, fingerprint, state if resume else None, ctx
        )

    def _read_file(
        self,
        stream: Stream,
        settings: FileSettings,
        path: Path,
        fingerprint: dict[str, Any],
        resume: dict[str, Any] | None,
        ctx: ReadContext,
    ) -> Iterator[Batch]:
        csv_file = self._open(settings, path)
        mapper = self._mapper(stream.entity, settings, csv_file)
        if self.config.columnar and columnar.supported(mapper):
            yield from self._read_blocks(csv_file, mapper, path, fingerprint, resume, ctx)
            return
        rows_done = resume["rows"] if resume else 0
        if resume and csv_file.offsets_supported:
            rows = csv_file.rows(offset=resume["offset"], line=resume["line"])
        else:
            rows = csv_file.rows(skip_rows=rows_done)
        begins = resume is None
        salt = fingerprint["settings"].encode()
        pending: list[Row] = []
        offset, line = (resume["offset"], resume["line"]) if resume else (None, 0)
        for row in rows:
            pending.append(row)
            rows_done += 1
            offset, line = row.next_offset, row.end_line
            if len(pending) >= ctx.batch_size:
                batch = self._batch(mapper, pending, ctx, salt)
                yield _checkpointed(batch, fingerprint, rows_done, offset, line, begins)
                pending, begins = [], False
        batch = self._batch(mapper, pending, ctx, salt)
        _unchanged_since(path, fingerprint)
        yield _checkpointed(batch, fingerprint, rows_done, offset, line, begins, complete=True)

    def _read_blocks(
        self,
        csv_file: CsvFile,
        mapper: RowMapper,
        path: Path,
        fingerprint: dict[str, Any],
        resume: dict[str, Any] | None,
        ctx: ReadContext,
    ) -> Iterator[Batch]:
        """`_read_file` on the column path: checked blocks (or strict rows where
        a block fails its check) cut into batches of `batch_size` rows, each
        checkpointed at the byte offset where its last row ends."""
        reader = BlockReader(csv_file)
        rows_done = resume["rows"] if resume else 0
        if resume and csv_file.offsets_supported:
            pieces = reader.pieces(offset=resume["offset"], line=resume["line"])
        else:
            pieces = reader.pieces(skip_rows=rows_done)
        begins = resume is None
        salt = fingerprint["settings"].encode()
        pending: list[Piece] = []
        count = 0
        offset, line = (resume["offset"], resume["line"]) if resume else (None, 0)
        for piece in pieces:
            while count + piece.rows >= ctx.batch_size:
                head: Piece = piece
                if count + piece.rows > ctx.batch_size:
                    head, piece = piece.split(ctx.batch_size - count)
                else:
                    piece = Rows()
                pending.append(head)
                rows_done += head.rows
                offset, line = head.next_offset, head.end_line
                batch = self._cells_batch(mapper, pending, ctx, salt)
                yield _checkpointed(batch, fingerprint, rows_done, offset, line, begins)
                pending, count, begins = [], 0, False
            if piece.rows or isinstance(piece, Block):
                pending.append(piece)
                count += piece.rows
                rows_done += piece.rows
                offset, line = piece.next_offset, piece.end_line
        batch = self._cells_batch(mapper, pending, ctx, salt)
        _unchanged_since(path, fingerprint)
        yield _checkpointed(batch, fingerprint, rows_done, offset, line, begins, complete=True)

    def _cells_batch(
        self, mapper: RowMapper, pieces: list[Piece], ctx: ReadContext, salt: bytes
    ) -> Batch:
        """`_batch` for pieces: digests, the stored ones compared and the
        changed rows mapped, all column-wise (Python per row only for the
        digest itself)."""
        batch = Batch()
        cells = columnar.Cells.of(pieces, mapper.width)
        index = mapper._id_index
        assert index is not None  # columnar.supported: the file has an id column
        ids = convert.text(cells.columns[index]).values
        prefix = blake2b(salt, digest_size=12)
        digests: list[str] = []
        for joined in cells.joined.to_pylist():
            h = prefix.copy()
            h.update(joined)
            digests.append(h.hexdigest())
        id_list = ids.to_pylist()
        keys = [(sid, d) for sid, d in zip(id_list, digests, strict=True) if sid is not None]
        bad_ids = []
        for row in cells.bad:  # counted as ids, as on the row path, though they reject
            if row.problem is None and (sid := mapper.source_id_of(row.values)) is not None:
                bad_ids.append(sid)
        stored = dict(ctx.stored_digests([k[0] for k in keys] + bad_ids)) if keys else {}
        if stored:
            repeated = {sid for sid, k in Counter(id_list + bad_ids).items() if k > 1}
            same = [
                sid is not None and sid not in repeated and stored.get(sid) == d
                for sid, d in zip(id_list, digests, strict=True)
            ]
            if any(same):
                batch.unchanged = [
                    (sid, d) for sid, d, s in zip(id_list, digests, same, strict=True) if s
                ]
                keep = [not s for s in same]
                cells = cells.filter(keep)
                id_list = [sid for sid, k in zip(id_list, keep, strict=True) if k]
                digests = [d for d, k in zip(digests, keep, strict=True) if k]
        if batch.unchanged and len(cells) < SMALL_BATCH:
            # few rows left to map (a re-sync with few changes): Arrow's fixed
            # cost per column is more than the row mapper's per row, and both map alike
            lines = cells.lines.to_pylist()
            todo = [
                (Row(cells.values(i), line, None, line), (sid, d) if sid is not None else None)
                for i, (line, sid, d) in enumerate(zip(lines, id_list, digests, strict=True))
            ]
            todo += [(row, None) for row in cells.bad]
            todo.sort(key=lambda item: item[0].line)
            batch.records, batch.rejects, batch.digests = self._map_rows(mapper, todo)
            return batch
        mapper_of_columns = columnar.ColumnMapper(mapper)
        table, batch.rejects = mapper_of_columns.map(cells)
        if table is not None:
            batch.records = table
            # the digest of the row that landed (a later row with its id may have been rejected)
            landed = ((id_list[i], digests[i]) for i in mapper_of_columns.landed)
            batch.digests = {sid: d for sid, d in landed if sid is not None}
        return batch

    def _batch(self, mapper: RowMapper, rows: list[Row], ctx: ReadContext, salt: bytes) -> Batch:
        """Map a batch of rows, except those the store already has unchanged.

        A row's digest covers its cells and how the file is read (the
        settings hash), so a row is skipped only if mapping it again would
        give the very record that is stored."""
        keys: list[tuple[str, str] | None] = [None] * len(rows)
        stored: dict[str, str] = {}
        if mapper.has_id:
            source_id_of = mapper.source_id_of
            for i, row in enumerate(rows):
                values = row.values
                if row.problem is None and (source_id := source_id_of(values)) is not None:
                    joined = salt + "\x1f".join(values).encode("utf-8", "surrogatepass")
                    keys[i] = (source_id, blake2b(joined, digest_size=12).hexdigest())
            stored = dict(ctx.stored_digests([k[0] for k in keys if k is not None]))
        ids = Counter(k[0] for k in keys if k is not None)
        batch = Batch()
        unchanged: list[tuple[str, str]] = []
        todo: list[tuple[Row, tuple[str, str] | None]] = []
        for row, key in zip(rows, keys, strict=True):
            repeated = key is not None and ids[key[0]] > 1
            if key is not None and not repeated and stored.get(key[0]) == key[1]:
                unchanged.append(key)
            else:
                todo.append((row, key))
        batch.records, batch.rejects, batch.digests = self._map_rows(mapper, todo)
        batch.unchanged = unchanged
        return batch

    def _map_rows(
        self, mapper: RowMapper, todo: list[tuple[Row, tuple[str, str] | None]]
    ) -> tuple[list[Record], list[Reject], dict[str, str]]:
        """Rows mapped one by one: the records (an id seen again replaces the
        earlier row, which becomes a reject), the rejects, and the digest of
        each landed row."""
        records: list[Record] = []
        rejects: list[Reject] = []
        digests: dict[str, str] = {}
        where: dict[str, tuple[int, Row]] = {}  # source id -> (index in records, its row)
        for row, key in todo:
            result = mapper.map(row.values, row.line, row.problem)
            if isinstance(result, Reject):
                rejects.append(result)
                continue
            sid = result.source_id
            if sid in where:  # the same id twice: the later row wins, the earlier is a reject
                index, earlier = where[sid]
                location = f"{mapper.path.name}:{earlier.line}"
                rejects.append(
                    Reject(
                        reason=f"{location}: id {sid!r} appears again at line {row.line}; "
                        "the later row is used",
                        raw=mapper.raw(earlier.values),
                        location=location,
                    )
                )
                records[index] = result
                where[sid] = (index, row)  # a third row with the id replaces this one
            else:
                where[sid] = (len(records), row)
                records.append(result)
            if key is not None and key[0] == sid:
                digests[sid] = key[1]
        return records, rejects, digests

    # -- write -------------------------------------------------------------------

    def write(self, entity: str, records: Iterable[Record]) -> Iterator[WriteOutcome]:
        """Export canonical records to `<folder>/<export_folder>/<entity>.csv`,
        which must lie inside the project folder (hub.toml's)."""
        settings = self.config.file(entity)
        folder = confined(
            self.context.config_dir,
            self.folder / self.config.export_folder,
            f"connections.{self.context.connection}.export_folder",
        )
        encoding = (settings.encoding if settings else None) or self.config.encoding
        target = folder / f"{entity}.csv"
        yield from write_csv(target, entity, records, encoding=encoding)
