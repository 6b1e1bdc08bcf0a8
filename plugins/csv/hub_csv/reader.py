"""Streaming CSV rows with their byte offsets, in whatever encoding the file has.

Rows are read line by line from a binary file, so memory does not depend on
the file's size and every row knows the offset where the next one starts:
a checkpoint is just that offset, and resuming is a seek. (UTF-16 files,
where a byte 0x0A is not always a line end, resume by skipping rows instead.)

One bad spot never fails the file: a line with bytes that are not valid in
the file's encoding, a NUL, a line or a value over the size limits, or a
quote gone wrong becomes a row flagged with its `problem`, which the adapter
rejects with file and line; reading goes on after it. A quote that opens and
does not close within `MAX_ROW_LINES` lines rejects only the line where it
opened, and the lines after it are read again as rows of their own.

A file that is mostly undecodable (the wrong `encoding`) fails at once, with
a one-line hint naming the encoding to try.
"""

from __future__ import annotations

import codecs
import csv
import io
import stat
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.errors import SourceDataError

SAMPLE_SIZE = 64 * 1024
MAX_LINE_BYTES = 1 << 20
"""A physical line longer than this is rejected without being kept in memory."""
MAX_CELL_CHARS = 128 * 1024
"""A value longer than this (the csv module's own default limit) rejects its row."""
MAX_ROW_LINES = 100
"""A quoted value may span at most this many lines; beyond, its quote is taken as broken."""
_DELIMITERS = [",", "\t", ";", "|"]

csv.field_size_limit(sys.maxsize)  # the limits above are checked here, with a clear reason


@dataclass
class Row:
    values: list[str]
    line: int
    """Line number (1-based) where the row starts."""
    next_offset: int | None
    """Byte offset just after the row (None for UTF-16 files)."""
    end_line: int
    """Lines read up to the end of the row (to resume line numbering)."""
    problem: str | None = None
    """Why the row cannot be read as it is (it becomes a reject), or None."""


@dataclass
class _Line:
    text: str
    number: int
    end_offset: int | None
    problem: str | None


def check_regular_file(path: Path) -> None:
    """Source files must be regular files: a device or a FIFO would never end."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SourceDataError(f"{path}: no such file") from None
    except PermissionError:
        raise SourceDataError(f"{path}: permission denied") from None
    except OSError as exc:
        raise SourceDataError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise SourceDataError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or special file"
        raise SourceDataError(f"{path}: is {kind}, not a regular file; give a CSV file")


def _complete_lines(sample: bytes) -> list[bytes]:
    """The sample's lines, without a last line the sample may have cut."""
    if len(sample) >= SAMPLE_SIZE and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]
    return sample.splitlines()


def _line_stats(lines: list[bytes], encoding: str) -> tuple[int, int, int]:
    """(lines with non-ASCII bytes, lines that do not decode, first such line number)."""
    non_ascii = bad = first_bad = 0
    for number, raw in enumerate(lines, 1):
        if raw.isascii():
            continue
        non_ascii += 1
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            bad += 1
            first_bad = first_bad or number
    return non_ascii, bad, first_bad


def _mostly_bad(non_ascii: int, bad: int) -> bool:
    """More than half the lines with non-ASCII text fail: the encoding is wrong,
    not a stray byte."""
    return bad >= 2 and bad * 2 > non_ascii


def detect_encoding(path: Path, sample: bytes) -> str:
    """BOM first; then UTF-8 unless most non-ASCII lines fail it; then GB18030
    (a superset of GBK). A few bad lines in either become rejects."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.startswith(b"PK\x03\x04"):
        raise SourceDataError(
            f"{path}: this is an Excel workbook (xlsx), not CSV: save it as CSV UTF-8 first"
        )
    _refuse_binary(path, sample)
    lines = _complete_lines(sample)
    u_non_ascii, u_bad, _ = _line_stats(lines, "utf-8")
    if u_bad == 0 or (u_non_ascii - u_bad >= u_bad):
        return "utf-8"
    _, g_bad, _ = _line_stats(lines, "gb18030")
    if g_bad >= u_bad:
        if _mostly_bad(u_non_ascii, u_bad):
            raise SourceDataError(
                f"{path}: cannot tell the encoding (most lines are neither UTF-8 nor "
                'GBK/GB18030): set encoding (e.g. encoding = "utf-16")'
            )
        return "utf-8"
    return "gb18030"


def _refuse_binary(path: Path, sample: bytes) -> None:
    if sample.count(b"\x00") * 20 > len(sample):
        raise SourceDataError(
            f"{path}: looks binary or UTF-16 without a byte-order mark; "
            'save it as CSV (UTF-8) or set encoding = "utf-16"'
        )


def check_encoding(path: Path, sample: bytes, encoding: str) -> None:
    """Fail early, naming the line and the encoding to try, when a configured
    encoding does not fit most of the file; a stray bad line is a reject."""
    if encoding == "utf-16":
        return
    _refuse_binary(path, sample)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    non_ascii, bad, first_bad = _line_stats(_complete_lines(sample), encoding)
    if _mostly_bad(non_ascii, bad):
        guess = "gb18030" if encoding.startswith("utf") else "utf-8"
        raise SourceDataError(
            f"{path}: line {first_bad}: bytes that are not valid {encoding}, in {bad} of the "
            f"first {non_ascii} lines with non-ASCII text (the file may be {guess}: "
            f'set encoding = "{guess}")'
        )


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvFile:
    """One CSV file: its encoding, delimiter, header and rows."""

    def __init__(self, path: Path, encoding: str = "auto", delimiter: str | None = None):
        self.path = path
        check_regular_file(path)
        try:
            with path.open("rb") as f:
                sample = f.read(SAMPLE_SIZE)
        except FileNotFoundError:
            raise SourceDataError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SourceDataError(f"{path}: is a folder, not a file") from None
        except PermissionError:
            raise SourceDataError(f"{path}: permission denied") from None
        if encoding == "auto":
            encoding = detect_encoding(path, sample)
        elif encoding == "gbk":
            encoding = "gb18030"  # GB18030 reads every GBK file and more
        check_encoding(path, sample, encoding)
        self.encoding = encoding
        self.line_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        first_line = self._first_line(sample)
        self.delimiter = delimiter or sniff_delimiter(first_line)
        self.width = 0
        header, self.data_offset, self.data_line = self._read_header()
        self.header = [h.strip() for h in header]
        self.width = len(self.header)
        if not any(self.header):
            raise SourceDataError(f"{path}: the first line (the header) is empty")

    def _first_line(self, sample: bytes) -> str:
        if self.encoding == "utf-16":
            text = sample.decode("utf-16", errors="replace")
        else:
            raw = sample.split(b"\n", 1)[0]
            text = raw.decode(self.encoding, errors="replace")
        return text.lstrip("\ufeff").split("\n", 1)[0]

    def _read_header(self) -> tuple[list[str], int | None, int]:
        for row in self.rows(offset=0, with_header=True):
            if row.problem:
                raise SourceDataError(f"{self.path}:{row.line}: the header: {row.problem}")
            return row.values, row.next_offset, row.end_line
        raise SourceDataError(f"{self.path}: the file is empty (no header line)")

    def rows(
        self,
        offset: int | None = None,
        line: int = 0,
        skip_rows: int = 0,
        with_header: bool = False,
    ) -> Iterator[Row]:
        """Data rows from `offset` (bytes; `line` lines precede it) or after
        skipping `skip_rows` rows."""
        if self.encoding == "utf-16":
            with self.path.open("rb") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-16", errors="replace", newline="")
                rows = self._records(_utf16_lines(text))
                yield from self._select(rows, skip_rows, with_header, header_first=True)
            return
        if with_header:
            start, lines_before = 0, 0
        elif offset is None:
            start, lines_before = self.data_offset or 0, self.data_line
        else:
            start, lines_before = offset, line
        with self.path.open("rb") as f:
            f.seek(start)
            lines = _byte_lines(f, start, lines_before, self.line_encoding)
            yield from self._select(self._records(lines), skip_rows, with_header, False)

    def _select(
        self, rows: Iterator[Row], skip_rows: int, with_header: bool, header_first: bool
    ) -> Iterator[Row]:
        skipped = 0
        header_seen = not header_first
        for row in rows:
            if not header_seen:
                header_seen = True
                if not with_header:
                    continue
            if with_header:
                yield row
                return
            if row.problem is None and not "".join(row.values).strip():
                continue  # blank line (every cell empty or spaces)
            if skipped < skip_rows:
                skipped += 1
                continue
            yield row

    def _records(self, source: Iterator[_Line]) -> Iterator[Row]:
        """Physical lines joined into records: a record goes on while a quote is
        open. A record that cannot be read is a row with a problem; when its
        quote is at fault, only its first line is rejected and the lines after
        it are read again."""
        queue: deque[_Line] = deque()
        delimiter = self.delimiter
        plain_ok = delimiter not in '"\r\n'

        def next_line() -> _Line | None:
            return queue.popleft() if queue else next(source, None)

        while (first := next_line()) is not None:
            text = first.text
            if plain_ok and '"' not in text:
                # no quote: the csv module would split at the delimiter, so do that
                # (a carriage return before the end is left to it: it refuses one)
                body = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
                if "\r" not in body:
                    values = body.split(delimiter) if body else []
                    row = Row(values, first.number, first.end_offset, first.number, first.problem)
                    if row.problem is None and len(text) > MAX_CELL_CHARS:
                        longest = max((len(v) for v in values), default=0)
                        if longest > MAX_CELL_CHARS:
                            row.problem = (
                                f"a value of {longest} characters (the limit is {MAX_CELL_CHARS})"
                            )
                    yield row
                    continue
            group = [first]
            quotes = first.text.count('"')
            size = len(first.text)
            while quotes % 2 and len(group) < MAX_ROW_LINES and size <= MAX_LINE_BYTES:
                more = next_line()
                if more is None:
                    break
                group.append(more)
                quotes += more.text.count('"')
                size += len(more.text)
            if quotes % 2:  # the quote never closes within the bound
                queue.extendleft(reversed(group[1:]))
                yield self._broken(
                    first,
                    f"a quote opens in this line and does not close within {len(group)} "
                    f"line(s) (an unmatched quote?); reading goes on at line {first.number + 1}",
                )
                continue
            reader = csv.reader((ln.text for ln in group), delimiter=self.delimiter, strict=True)
            try:
                values = next(reader)
            except (csv.Error, StopIteration) as exc:
                if len(group) > 1:
                    queue.extendleft(reversed(group[1:]))
                    yield self._broken(
                        first,
                        f"a quote out of place ({exc}) in a value that runs over {len(group)} "
                        f"lines; reading goes on at line {first.number + 1}",
                    )
                else:
                    yield self._broken(first, f"a quote out of place ({exc})")
                continue
            if reader.line_num < len(group):
                # a quote inside an unquoted cell (`a"b`) is only a character to the
                # csv module: the record ended sooner, the lines after it are rows
                queue.extendleft(reversed(group[reader.line_num :]))
                group = group[: reader.line_num]
                size = sum(len(ln.text) for ln in group)
            last = group[-1]
            row = Row(values, first.number, last.end_offset, last.number)
            if len(group) > 1 and len(values) > self.width > 0:
                queue.extendleft(reversed(group[1:]))
                yield self._broken(
                    first,
                    f"a quoted value runs over {len(group)} lines into {len(values)} cells "
                    f"for {self.width} columns (an unmatched quote?); reading goes on at line "
                    f"{first.number + 1}",
                )
                continue
            row.problem = next((ln.problem for ln in group if ln.problem), None)
            if row.problem is None and size > MAX_CELL_CHARS:  # else no cell can be
                longest = max((len(v) for v in values), default=0)
                if longest > MAX_CELL_CHARS:
                    row.problem = f"a value of {longest} characters (the limit is {MAX_CELL_CHARS})"
            yield row

    def _broken(self, line: _Line, problem: str) -> Row:
        """A row for one line that cannot be read as CSV: its cells split plainly
        (for the reject's raw record) and the reason."""
        cells = line.text.rstrip("\r\n").split(self.delimiter)
        return Row(cells, line.number, line.end_offset, line.number, line.problem or problem)

    @property
    def offsets_supported(self) -> bool:
        return self.encoding != "utf-16"


def _byte_lines(f: io.BufferedReader, offset: int, line: int, encoding: str) -> Iterator[_Line]:
    """Decoded physical lines with their byte end offsets and any problem."""
    first = offset == 0
    while raw := f.readline(MAX_LINE_BYTES + 1):
        offset += len(raw)
        line += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := f.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                offset += len(rest)
            offset += len(rest)
            yield _Line("\n", line, offset, f"a line longer than {MAX_LINE_BYTES} bytes")
            continue
        if first:
            first = False
            raw = raw.removeprefix(codecs.BOM_UTF8)
        problem = None
        if b"\x00" in raw:  # no database stores NUL in text; the row becomes a reject
            problem = "a NUL byte: bytes that are not valid text"
            raw = raw.replace(b"\x00", b"")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            problem = (
                problem or f"bytes that are not valid text in this file's encoding ({encoding})"
            )
            text = raw.decode(encoding, errors="replace")
        yield _Line(text, line, offset, problem)


def _utf16_lines(text: io.TextIOWrapper) -> Iterator[_Line]:
    for number, line in enumerate(text, 1):
        problem = None
        if "\ufffd" in line:
            problem = "bytes that are not valid text in this file's encoding (utf-16)"
        if "\x00" in line:
            problem, line = "a NUL byte: bytes that are not valid text", line.replace("\x00", "")
        yield _Line(line, number, None, problem)
