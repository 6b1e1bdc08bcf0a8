"""Streaming CSV rows with their byte offsets, in whatever encoding the file has.

Rows are read line by line from a binary file, so memory does not depend on
the file's size and every row knows the offset where the next one starts:
a checkpoint is just that offset, and resuming is a seek. (UTF-16 files,
where a byte 0x0A is not always a line end, resume by skipping rows instead.)

A line whose bytes are not valid in the file's encoding is decoded with
replacement markers and its row is flagged, so it becomes one reject instead
of failing the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.errors import SourceDataError

SAMPLE_SIZE = 64 * 1024
_DELIMITERS = [",", "\t", ";", "|"]


@dataclass
class Row:
    values: list[str]
    line: int
    """Line number (1-based) where the row starts."""
    next_offset: int | None
    """Byte offset just after the row (None for UTF-16 files)."""
    end_line: int
    """Lines read up to the end of the row (to resume line numbering)."""
    bad_bytes: bool = False


def detect_encoding(path: Path, sample: bytes) -> str:
    """BOM first; then UTF-8 if the sample decodes; then GB18030 (a superset of GBK)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.startswith(b"PK\x03\x04"):
        raise SourceDataError(
            f"{path}: this is an Excel workbook (xlsx), not CSV: save it as CSV UTF-8 first"
        )
    if b"\x00" in sample:
        raise SourceDataError(
            f"{path}: looks binary or UTF-16 without a byte-order mark; "
            "save it as CSV (UTF-8) or set encoding"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_SIZE)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=len(sample) < SAMPLE_SIZE)
        return "gb18030"
    except UnicodeDecodeError:
        raise SourceDataError(
            f"{path}: cannot tell the encoding (not UTF-8, not GBK/GB18030); set encoding"
        ) from None


def check_encoding(path: Path, sample: bytes, encoding: str) -> None:
    """Fail early, naming the line, when a configured encoding does not fit."""
    if encoding == "utf-16":
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=len(sample) < SAMPLE_SIZE)
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(b"\n") + 1
        guess = "gb18030" if encoding.startswith("utf") else "utf-8"
        raise SourceDataError(
            f"{path}: line {line}: bytes that are not valid {encoding} "
            f'(the file may be {guess}: set encoding = "{guess}")'
        ) from None


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvFile:
    """One CSV file: its encoding, delimiter, header and rows."""

    def __init__(self, path: Path, encoding: str = "auto", delimiter: str | None = None):
        self.path = path
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
        header, self.data_offset, self.data_line = self._read_header()
        self.header = [h.strip() for h in header]
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
            yield from self._rows_utf16(skip_rows, with_header)
            return
        if with_header:
            start, lines_before = 0, 0
        elif offset is None:
            start, lines_before = self.data_offset or 0, self.data_line
        else:
            start, lines_before = offset, line
        with self.path.open("rb") as f:
            f.seek(start)
            lines = _Lines(f, start, self.line_encoding, first=start == 0)
            lines.line = lines_before
            line_no_at = lines.line_numbers
            reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
            skipped = 0
            for values in self._checked(
                reader, lambda: line_no_at[0] if line_no_at else lines.line
            ):
                row_start_line = line_no_at.pop(0) if line_no_at else lines.line
                bad = lines.bad_since_last_row
                lines.bad_since_last_row = False
                line_no_at.clear()
                if not with_header and not any(v.strip() for v in values):
                    continue  # blank line
                if skipped < skip_rows:
                    skipped += 1
                    continue
                yield Row(values, row_start_line, lines.offset, lines.line, bad)
                if with_header:
                    return

    def _rows_utf16(self, skip_rows: int, with_header: bool) -> Iterator[Row]:
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-16", errors="replace", newline="")
            reader = csv.reader(text, delimiter=self.delimiter, strict=True)
            header_seen = False
            skipped = 0
            for values in self._checked(reader, lambda: reader.line_num):
                if not header_seen:
                    header_seen = True
                    if with_header:
                        yield Row(values, 1, None, reader.line_num)
                        return
                    continue
                if not any(v.strip() for v in values):
                    continue
                if skipped < skip_rows:
                    skipped += 1
                    continue
                yield Row(
                    values, reader.line_num, None, reader.line_num, "\ufffd" in "".join(values)
                )

    def _checked(self, reader: Iterator[list[str]], line: Callable[[], int]) -> Iterator[list[str]]:
        """The csv module's rows, with its errors turned into one line naming
        the file and line. Quoting is strict: a quote that never closes would
        otherwise swallow every later row into one value."""
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                hint = (
                    " (an unmatched quote?)"
                    if "quote" in str(exc) or "end of data" in str(exc)
                    else ""
                )
                raise SourceDataError(
                    f"{self.path}:{line()}: cannot read this row: {exc}{hint}"
                ) from None
            yield values

    @property
    def offsets_supported(self) -> bool:
        return self.encoding != "utf-16"


class _Lines:
    """Decoded lines of a binary file, tracking the byte offset and line number."""

    def __init__(self, f: io.BufferedReader, offset: int, encoding: str, first: bool):
        self._f = f
        self.offset = offset
        self.encoding = encoding
        self.line = 0
        self.line_numbers: list[int] = []
        self.bad_since_last_row = False
        self._first = first

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self._f.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        self.line_numbers.append(self.line)
        if self._first:
            self._first = False
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if b"\x00" in raw:  # no database stores NUL in text; the row becomes a reject
            self.bad_since_last_row = True
            raw = raw.replace(b"\x00", b"")
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError:
            self.bad_since_last_row = True
            return raw.decode(self.encoding, errors="replace")
