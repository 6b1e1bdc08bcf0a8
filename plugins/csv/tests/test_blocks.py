"""The checked-block reader gives exactly the strict reader's rows, problems,
line numbers and resume points, over seeded dirty files."""

from __future__ import annotations

import datetime as dt
import logging
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hub_csv import blocks
from hub_csv.adapter import CsvAdapter
from hub_csv.blocks import Block, BlockReader, Piece
from hub_csv.reader import MAX_CELL_CHARS, MAX_ROW_LINES, CsvFile
from hub_csv.settings import CsvSettings

from hub.adapters.contract import ConnectionContext, ReadContext
from hub.testing import read_all

HEADER = ["id", "type", "date", "amount", "notes", "channel"]

TEXT = ["多行\n文字", "企业微信", "", "  ", "\u3000", 'say "hi"', "a,b", "x\r\ny", "r\rin", "t\tab"]
POOLS = [
    ["call", "visit", "电话", "拜访", "order", " call ", "飞鸽传书", ""],
    ["2026-03-05 10:00", "2026/3/5", "2026年3月10日 下午3:00", "2026-02-30", "", "soon"],
    ["¥1,234.50", "1.2万", "5", "-5", "", "1,23", "$5"],
    TEXT,
    TEXT,
]
"""Cells for each column after the id: what a dirty export has."""


def _cell(rng: random.Random, dirty: bool, column: int) -> bytes:
    """A cell as bytes in the file: mostly well-formed, sometimes not."""
    if dirty and rng.random() < 0.01:
        return rng.choice(
            [
                b'a"b',  # a quote inside an unquoted cell
                b'"a"b',  # text after a closing quote
                b'"open',  # a quote that never closes
                b"bad\xff",  # bytes that are not UTF-8
                b"sur\xed\xa0\x80",  # an encoded surrogate (not valid UTF-8)
                b"over\xc0\x80",  # an overlong NUL
                b"nul\x00",
                b"lone\rcr",
                b' "spaced"',
                b'"' + b"\n" * (MAX_ROW_LINES + 1) + b'"',  # too many lines in one value
                b'"' + b"\n" * (MAX_ROW_LINES - 1) + b'"',  # just within
                b"\xef\xbb\xbfbom",
            ]
        )
    if dirty and rng.random() < 0.002:
        return b"x" * (MAX_CELL_CHARS + 1)
    text = rng.choice(POOLS[column % len(POOLS)])
    if any(ch in text for ch in ',"\r\n') or rng.random() < 0.2:
        return b'"' + text.replace('"', '""').encode() + b'"'
    return text.encode()


def dirty_file(seed: int, rows: int = 600, dirty: bool = True, bom: bool = False) -> bytes:
    rng = random.Random(seed)
    end = rng.choice([b"\n", b"\r\n"])
    out = [(b"\xef\xbb\xbf" if bom else b"") + ",".join(HEADER).encode() + end]
    for i in range(rows):
        width = len(HEADER)
        if dirty and rng.random() < 0.015:
            width += rng.choice([-2, -1, 1, 2])
        cells = [f"A{rng.randrange(rows)}".encode()] + [
            _cell(rng, dirty, j) for j in range(width - 1)
        ]
        if dirty and rng.random() < 0.01:
            cells = [rng.choice([b"", b"  ", b"\xe3\x80\x80"]) for _ in range(len(HEADER))]
        line = b",".join(cells)
        if dirty and rng.random() < 0.01:
            line = b""  # a blank line
        out.append(line + (end if i < rows - 1 or rng.random() < 0.5 else b""))
    return b"".join(out)


def flat(pieces: list[Piece]) -> list[tuple[int, tuple[str, ...], str | None]]:
    rows = []
    for piece in pieces:
        if isinstance(piece, Block):
            lines = piece.lines.to_pylist()
            cells = list(zip(*(c.to_pylist() for c in piece.columns), strict=True))
            rows += [(line, tuple(v), None) for line, v in zip(lines, cells, strict=True)]
        else:
            rows += [(r.line, tuple(r.values), r.problem) for r in piece.items]
    return rows


def strict(csv_file: CsvFile, **where: Any) -> list[tuple[int, tuple[str, ...], str | None]]:
    return [(r.line, tuple(r.values), r.problem) for r in csv_file.rows(**where)]


@pytest.fixture(params=[256, 1024])
def small_blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of a few rows, so that a file has many cuts and fallbacks."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("seed", range(12))
def test_blocks_give_the_strict_readers_rows(tmp_path: Path, seed: int, small_blocks: int) -> None:
    path = tmp_path / "activities.csv"
    path.write_bytes(dirty_file(seed, bom=seed % 3 == 0))
    csv_file = CsvFile(path)
    reader = BlockReader(csv_file)
    pieces = list(reader.pieces())
    assert flat(pieces) == strict(csv_file)
    assert reader.strict_blocks  # both paths ran
    assert reader.checked_blocks


@pytest.mark.parametrize("seed", range(4))
def test_resume_from_every_piece_and_every_split(
    tmp_path: Path, seed: int, small_blocks: int
) -> None:
    """The strict reader resumed at any checkpoint the block reader gives reads
    exactly the rows after it: none twice, none lost."""
    path = tmp_path / "activities.csv"
    path.write_bytes(dirty_file(seed, rows=150))
    csv_file = CsvFile(path)
    pieces = list(BlockReader(csv_file).pieces())
    expected = strict(csv_file)
    done = 0
    for piece in pieces:
        for k in range(1, piece.rows):
            head, rest = piece.split(k)
            assert flat([head]) + flat([rest]) == flat([piece])
            after = strict(csv_file, offset=head.next_offset, line=head.end_line)
            assert after == expected[done + k :]
        done += piece.rows
        after = strict(csv_file, offset=piece.next_offset, line=piece.end_line)
        assert after == expected[done:]
        resumed = flat(list(BlockReader(csv_file).pieces(piece.next_offset, piece.end_line)))
        assert resumed == expected[done:]


def test_a_clean_file_is_all_checked_blocks(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_bytes(dirty_file(1, rows=3000, dirty=False))
    csv_file = CsvFile(path)
    reader = BlockReader(csv_file)
    pieces = list(reader.pieces())
    assert flat(pieces) == strict(csv_file)
    assert all(isinstance(p, Block) for p in pieces) and reader.strict_blocks == 0


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_other_encodings(tmp_path: Path, encoding: str, small_blocks: int) -> None:
    """GB18030 blocks are checked as UTF-8 with offsets in the file's bytes;
    UTF-16 is read row by row."""
    text = dirty_file(5, dirty=False).decode("utf-8")
    path = tmp_path / "activities.csv"
    path.write_bytes(text.encode(encoding))
    csv_file = CsvFile(path, encoding=encoding)
    reader = BlockReader(csv_file)
    pieces = list(reader.pieces())
    assert flat(pieces) == strict(csv_file)
    assert bool(reader.checked_blocks) == (encoding == "gb18030")
    if encoding == "gb18030":
        done = 0
        for piece in pieces:
            done += piece.rows
            after = strict(csv_file, offset=piece.next_offset, line=piece.end_line)
            assert after == strict(csv_file)[done:]


# -- through the adapter -------------------------------------------------------------


def adapter(folder: Path, columnar: bool) -> CsvAdapter:
    config = CsvSettings.model_validate(
        {"folder": str(folder), "columnar": columnar, "activities": "activities.csv"}
    )
    context = ConnectionContext(
        "files", ZoneInfo("Asia/Shanghai"), "CNY", folder, logging.getLogger("test")
    )
    return CsvAdapter(config, context)


def context(batch_size: int) -> ReadContext:
    return ReadContext(started_at=dt.datetime(2026, 12, 8, tzinfo=dt.UTC), batch_size=batch_size)


def reject_key(r: Any) -> tuple[Any, ...]:
    return (int(r.location.rsplit(":", 1)[1]), r.reason, r.raw, r.source_id)


@pytest.mark.parametrize("batch_size", [7, 50, 1000])
@pytest.mark.parametrize("seed", range(3))
def test_the_adapter_reads_the_same_as_the_row_path(
    tmp_path: Path, seed: int, batch_size: int, small_blocks: int
) -> None:
    """Records, rejects and digests as on the row path, batch by batch."""
    (tmp_path / "activities.csv").write_bytes(dirty_file(seed, rows=300))
    by_rows, by_blocks = adapter(tmp_path, False), adapter(tmp_path, True)
    stream = by_rows.streams()[0]
    rows = list(by_rows.read(stream, None, context(batch_size)))
    cols = list(by_blocks.read(stream, None, context(batch_size)))

    def counts(batches: list[Any]) -> list[Any]:  # a checkpoint may fall after blank lines
        return [{k: v for k, v in b.state.items() if k not in ("offset", "line")} for b in batches]

    assert counts(cols) == counts(rows)
    assert [b.digests for b in cols] == [b.digests for b in rows]
    assert any(isinstance(b.records, pa.Table) for b in cols)
    a = read_all(by_rows, stream, None, context(batch_size))
    b = read_all(by_blocks, stream, None, context(batch_size))
    assert b.records == a.records
    assert sorted(map(reject_key, b.rejects)) == sorted(map(reject_key, a.rejects))
    assert len(a.records) > 50 and len(a.rejects) > 10


def batch_view(batch: Any) -> tuple[Any, ...]:
    """What a batch lands; its checkpoint without the offset, which may fall
    before or after blank lines depending on where the read began."""
    records = batch.records.to_pylist() if isinstance(batch.records, pa.Table) else batch.records
    state = {k: v for k, v in batch.state.items() if k not in ("offset", "line")}
    return (records, sorted(map(reject_key, batch.rejects)), state, batch.digests)


@pytest.mark.parametrize("seed", range(2))
def test_the_adapter_resumes_from_every_checkpoint(
    tmp_path: Path, seed: int, small_blocks: int
) -> None:
    """A read resumed from any batch's checkpoint yields exactly the batches
    that followed it: no row twice, none lost."""
    (tmp_path / "activities.csv").write_bytes(dirty_file(seed, rows=200))
    a = adapter(tmp_path, True)
    stream = a.streams()[0]
    read = list(a.read(stream, None, context(9)))
    batches = [batch_view(b) for b in read]
    assert len(batches) > 10
    for i, batch in enumerate(read[:-1]):
        rest = [batch_view(b) for b in a.read(stream, batch.state, context(9))]
        assert rest == batches[i + 1 :]


@pytest.mark.parametrize("small", [0, 1000])
def test_unchanged_rows_are_skipped_by_digest(
    tmp_path: Path, small: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows are skipped as unchanged on both paths (the digest means
    the same), the changed ones mapped column-wise or, when few, row by row."""
    monkeypatch.setattr("hub_csv.adapter.SMALL_BATCH", small)
    (tmp_path / "activities.csv").write_bytes(dirty_file(3, rows=300))
    stream = adapter(tmp_path, False).streams()[0]
    first = list(adapter(tmp_path, False).read(stream, None, context(100)))
    stored = {sid: d for b in first for sid, d in b.digests.items()}
    changed = next(iter(stored))
    stored[changed] = "a digest of another row"

    ctx = ReadContext(
        started_at=dt.datetime(2026, 12, 8, tzinfo=dt.UTC),
        batch_size=100,
        stored_digests=lambda ids: {i: stored[i] for i in ids if i in stored},
    )
    rows, cols = (list(adapter(tmp_path, c).read(stream, None, ctx)) for c in (False, True))
    assert [sorted(b.unchanged) for b in cols] == [sorted(b.unchanged) for b in rows]
    assert [b.digests for b in cols] == [b.digests for b in rows]
    assert sum(len(b.unchanged) for b in cols) > 30
    by_rows = [isinstance(b.records, list) for b in cols if len(b.records)]
    assert by_rows and all(by_rows) == bool(small)
    assert changed in {sid for b in cols for sid in b.digests}  # mapped again: its digest differs
    a, b = (read_all(adapter(tmp_path, c), stream, None, ctx) for c in (False, True))
    assert b.records == a.records
    assert sorted(map(reject_key, b.rejects)) == sorted(map(reject_key, a.rejects))
