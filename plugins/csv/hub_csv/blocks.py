"""The checked-block reader: whole blocks of a CSV file to Arrow columns, strictly.

The strict row reader (`hub_csv.reader`) costs Python per line. Here the
file is read in blocks of about `BLOCK_BYTES`, each cut at a line end that is
outside quotes, and each block gets a cheap check that proves it holds only
rows the strict reader would read exactly as Arrow's CSV parser does: no NUL,
no byte-order mark, every carriage return before a line feed, every quote
either opening a cell, closing it or doubled inside it (one regular
expression), valid text in the file's encoding, the header's field count
(Arrow refuses a row with more or fewer), no value over `MAX_CELL_CHARS`, no
record over `MAX_ROW_LINES` lines. A block that passes becomes string columns
in Arrow, with no Python per row; a block that fails is read by the strict
row reader instead, so its rejects keep file, line and reason exactly.

Line numbers come from the line feeds in each row's cells, and a checkpoint
can fall on any row: its byte offset is found from the block's line feeds.
UTF-8 files (with or without a byte-order mark; Arrow checks the UTF-8 as
strictly as Python: no surrogates, no overlong forms) and GB18030 files
(each block decoded and written as UTF-8 for Arrow: no line feed, quote or
comma byte occurs inside a GB18030 character) take the fast path; UTF-16 files, and
files with an unusual delimiter, are read row by row.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from hub_csv.convert import STRIP
from hub_csv.reader import MAX_CELL_CHARS, MAX_LINE_BYTES, MAX_ROW_LINES, CsvFile, Row

BLOCK_BYTES = 1 << 20
"""At most `MAX_LINE_BYTES`: no line or record in a block can then break that limit."""
STRICT_ROWS = 2000
"""Rows per piece when a whole file is read row by row."""
_FAST_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
_CUT_TRIES = 64

assert BLOCK_BYTES <= MAX_LINE_BYTES


def _grammar(delimiter: str) -> re.Pattern[bytes]:
    """Text outside quotes (a carriage return only before a line feed), and
    quoted cells that open after a delimiter or a line end and close before
    one; possessive, so a failure costs no backtracking."""
    d = re.escape(delimiter).encode()
    quoted = rb"(?:^|(?<=[" + d + rb'\n]))"[^"]*+(?:""[^"]*+)*+"(?=[' + d + rb"\n]|\r\n|\Z)"
    return re.compile(rb'(?:[^"\r]++|\r\n|' + quoted + rb")*+")


@dataclass
class Block:
    """Rows of a checked block, as string columns (no Python object per row)."""

    columns: list[pa.Array]
    joined: pa.Array
    """Each row's cells joined by U+001F, as UTF-8 bytes (what its digest covers)."""
    lines: pa.Array
    """Line (1-based) where each row starts (int64)."""
    data: bytes
    """The block's bytes as in the file (to find a row's offset)."""
    offset: int
    line: int
    """Byte offset of the block and the lines before it."""
    next_offset: int
    end_line: int

    @property
    def rows(self) -> int:
        return len(self.lines)

    def split(self, k: int) -> tuple[Block, Block]:
        """The first `k` rows (0 < k < rows) and the rest: the rest begins at
        the line where row `k` starts, after the line feeds before it."""
        start_line = self.lines[k].as_py()
        feeds = start_line - self.line - 1  # line feeds before the row, in the block
        cut = len(self.data) - len(self.data.split(b"\n", feeds)[feeds])
        head = Block(
            [c.slice(0, k) for c in self.columns],
            self.joined.slice(0, k),
            self.lines.slice(0, k),
            self.data[:cut],
            self.offset,
            self.line,
            self.offset + cut,
            start_line - 1,
        )
        rest = Block(
            [c.slice(k) for c in self.columns],
            self.joined.slice(k),
            self.lines.slice(k),
            self.data[cut:],
            self.offset + cut,
            start_line - 1,
            self.next_offset,
            self.end_line,
        )
        return head, rest


@dataclass
class Rows:
    """Rows read by the strict reader (a block that failed its check, or a
    file the fast path cannot read)."""

    items: list[Row] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.items)

    @property
    def next_offset(self) -> int | None:
        return self.items[-1].next_offset

    @property
    def end_line(self) -> int:
        return self.items[-1].end_line

    def split(self, k: int) -> tuple[Rows, Rows]:
        return Rows(self.items[:k]), Rows(self.items[k:])


Piece = Block | Rows


class BlockReader:
    """Pieces of a CSV file from a checkpoint: checked blocks where they pass,
    strict rows where they do not."""

    def __init__(self, csv_file: CsvFile) -> None:
        self.file = csv_file
        self.width = csv_file.width
        delimiter = csv_file.delimiter
        self.fast = (
            csv_file.encoding in _FAST_ENCODINGS
            and len(delimiter) == 1
            and delimiter.isascii()
            and delimiter not in '"\r\n'
            and self.width > 0
        )
        self.transcode = csv_file.encoding == "gb18030"
        if self.fast:
            self._check = _grammar(delimiter)
            names = [f"c{i}" for i in range(self.width)]
            self._names = names
            self._parse = pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            )
            self._convert = pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            )
        self.checked_blocks = 0
        self.strict_blocks = 0
        """How many blocks passed and failed the check (for tests and benchmarks)."""

    def pieces(
        self, offset: int | None = None, line: int = 0, skip_rows: int = 0
    ) -> Iterator[Piece]:
        """The data rows from `offset` (`line` lines before it), or from the
        start skipping `skip_rows` rows (files without byte offsets)."""
        if not self.fast or (offset is None and skip_rows):
            yield from self._strict_file(skip_rows)
            return
        if offset is None:
            offset, line = self.file.data_offset or 0, self.file.data_line
        with self.file.path.open("rb") as f:
            f.seek(offset)
            buffer = b""
            eof = False
            while True:
                if len(buffer) < BLOCK_BYTES and not eof:
                    more = f.read(BLOCK_BYTES - len(buffer))
                    eof = len(more) < BLOCK_BYTES - len(buffer)
                    buffer += more
                if not buffer:
                    return
                cut = len(buffer) if eof else self._cut(buffer)
                block = self._block(buffer[:cut], offset, line) if cut else None
                if block is not None:
                    self.checked_blocks += 1
                    buffer = buffer[cut:]
                    offset, line = block.next_offset, block.end_line
                    yield block
                    continue
                self.strict_blocks += 1
                rows = self._strict(offset, line, offset + (cut or len(buffer)))
                if not rows.items:
                    return  # only blank lines up to the end
                end = rows.next_offset
                assert end is not None
                if end - offset <= len(buffer):
                    buffer = buffer[end - offset :]
                else:
                    f.seek(end)
                    buffer, eof = b"", False
                offset, line = end, rows.end_line
                yield rows

    def _strict_file(self, skip_rows: int) -> Iterator[Rows]:
        piece = Rows()
        for row in self.file.rows(skip_rows=skip_rows):
            piece.items.append(row)
            if len(piece.items) >= STRICT_ROWS:
                yield piece
                piece = Rows()
        if piece.items:
            yield piece

    def _strict(self, offset: int, line: int, stop: int) -> Rows:
        """The strict reader's rows from `offset` up to the first that ends at or after `stop`."""
        piece = Rows()
        for row in self.file.rows(offset=offset, line=line):
            piece.items.append(row)
            if row.next_offset is not None and row.next_offset >= stop:
                break
        return piece

    def _cut(self, buffer: bytes) -> int:
        """Just after the last line feed outside quotes (an even number of
        quotes before it), or 0 if none is found near the end."""
        total = buffer.count(b'"')
        end = len(buffer)
        for _ in range(_CUT_TRIES):
            feed = buffer.rfind(b"\n", 0, end)
            if feed < 0:
                return 0
            if (total - buffer.count(b'"', feed)) % 2 == 0:
                return feed + 1
            end = feed
        return 0

    def _block(self, data: bytes, offset: int, line: int) -> Block | None:
        """The block as columns, or None if it fails the check."""
        if b"\x00" in data or data.startswith(codecs.BOM_UTF8):
            return None
        text = data
        if self.transcode:
            try:
                text = data.decode("gb18030").encode("utf-8")
            except UnicodeDecodeError:
                return None
        if b'"' in text:
            if self._check.fullmatch(text) is None:
                return None
        elif b"\r" in text and text.count(b"\r") != text.count(b"\r\n"):
            return None  # a carriage return alone: the csv module refuses one outside quotes
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(text),
                read_options=pa_csv.ReadOptions(
                    column_names=self._names, use_threads=False, block_size=len(text) + 1
                ),
                parse_options=self._parse,
                convert_options=self._convert,
            )
        except pa.ArrowInvalid:
            return None  # not valid UTF-8, or a row with more or fewer cells than the header
        columns = [
            c.chunk(0) if c.num_chunks == 1 else pa.concat_arrays(c.chunks) for c in table.columns
        ]
        n = table.num_rows
        joined = pc.binary_join_element_wise(*columns, "\x1f").cast(pa.binary())
        if n and pc.max(pc.binary_length(joined)).as_py() > MAX_CELL_CHARS:
            for c in columns:  # bytes >= characters: perhaps over the limit, let the rows tell
                if pc.max(pc.binary_length(c)).as_py() > MAX_CELL_CHARS:
                    return None
        physical = text.count(b"\n") + (0 if text.endswith(b"\n") else 1)
        if physical == n:
            lines = pa.array(range(line + 1, line + 1 + n), pa.int64())
        else:  # the separator is no line feed: a row's line feeds are its cells'
            spans = pc.add(pc.cast(pc.count_substring(joined, "\n"), pa.int64()), 1)
            if pc.sum(spans).as_py() != physical or pc.max(spans).as_py() > MAX_ROW_LINES:
                return None
            # each row starts after the lines of the rows before it
            lines = pc.add(pc.subtract(pc.cumulative_sum(spans), spans), line + 1)
        end_line = line + physical
        block = Block(columns, joined, lines, data, offset, line, offset + len(data), end_line)
        return self._without_blank(block) if n else block

    def _without_blank(self, block: Block) -> Block:
        """Rows whose every cell is empty or spaces are left out, as the strict reader does."""
        columns = block.columns
        first = pc.utf8_trim(columns[0], characters=STRIP)
        maybe = pc.indices_nonzero(pc.equal(pc.binary_length(first), 0)).to_pylist()
        blank = [i for i in maybe if not "".join(c[i].as_py() for c in columns[1:]).strip(STRIP)]
        if not blank:
            return block
        mask = pc.invert(pc.is_in(pa.array(range(block.rows), pa.int64()), pa.array(blank)))
        block.columns = [c.filter(mask) for c in columns]
        block.joined = block.joined.filter(mask)
        block.lines = block.lines.filter(mask)
        return block
