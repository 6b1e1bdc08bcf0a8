"""One bad spot rejects its line(s), never the file; bad money, dates and paths are refused."""

from __future__ import annotations

import datetime as dt
import logging
import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hub_csv.adapter import CsvAdapter
from hub_csv.reader import MAX_CELL_CHARS, MAX_LINE_BYTES, MAX_ROW_LINES
from hub_csv.settings import CsvSettings

from hub.adapters.contract import ConnectionContext, ReadContext
from hub.errors import SourceDataError
from hub.testing import Project, read_all

SHANGHAI = ZoneInfo("Asia/Shanghai")


def adapter(folder: Path, **settings: Any) -> CsvAdapter:
    config = CsvSettings.model_validate({"folder": str(folder), **settings})
    context = ConnectionContext("files", SHANGHAI, "CNY", folder, logging.getLogger("test"))
    return CsvAdapter(config, context)


def read(a: CsvAdapter, entity: str, batch_size: int = 1000):
    stream = next(s for s in a.streams() if s.entity == entity)
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=batch_size)
    return read_all(a, stream, None, ctx)


def managers(folder: Path, body: bytes, **settings: Any):
    (folder / "managers.csv").write_bytes(b"id,name\n" + body)
    return read(adapter(folder, managers="managers.csv", **settings), "managers")


def lines(n: int, start: int = 0) -> bytes:
    return "".join(f"M{i},经理{i}\n" for i in range(start, start + n)).encode()


# -- 17.1: one bad spot rejects its line(s); the rest of the file lands -----------


def test_one_gbk_byte_early_in_a_utf8_file_rejects_only_that_line(tmp_path: Path) -> None:
    bad = b"M-bad," + "坏".encode("gb18030") + b"\n"
    result = managers(tmp_path, lines(3) + bad + lines(3, start=3))
    assert [r.source_id for r in result.records] == [f"M{i}" for i in range(6)]
    assert result.records[0].name == "经理0"  # still read as UTF-8, not as GB18030
    (reject,) = result.rejects
    assert reject.location == "managers.csv:5"
    assert reject.reason == (
        "managers.csv:5: bytes that are not valid text in this file's encoding (utf-8)"
    )


def test_one_nul_early_in_a_file_rejects_only_that_line(tmp_path: Path) -> None:
    result = managers(tmp_path, lines(2) + b"M9,Al\x00ice\n" + lines(2, start=2))
    assert [r.source_id for r in result.records] == ["M0", "M1", "M2", "M3"]
    (reject,) = result.rejects
    assert reject.location == "managers.csv:4" and "a NUL byte" in reject.reason


def test_a_quote_that_never_closes_rejects_its_line_and_the_rest_lands(tmp_path: Path) -> None:
    rows = ["id,name", *(f"M{i},Name{i}" for i in range(30))]
    rows[6] = 'M5,"Name'
    (tmp_path / "managers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read(adapter(tmp_path, managers="managers.csv"), "managers")
    assert len(result.records) == 29 and "M5" not in {r.source_id for r in result.records}
    (reject,) = result.rejects
    assert reject.location == "managers.csv:7"
    assert reject.reason == (
        "managers.csv:7: a quote opens in this line and does not close within 25 line(s) "
        "(an unmatched quote?); reading goes on at line 8"
    )


def test_a_quote_that_swallows_rows_is_bounded(tmp_path: Path) -> None:
    """A quote closed by another broken quote further down rejects both lines, not
    what is between them."""
    rows = ["id,name", *(f"M{i},Name{i}" for i in range(10))]
    rows[3] = 'M2,"Name'
    rows[6] = 'M5,Na",x'
    (tmp_path / "managers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read(adapter(tmp_path, managers="managers.csv"), "managers")
    assert [r.source_id for r in result.records] == ["M0", "M1", "M3", "M4", "M6", "M7", "M8", "M9"]
    first, second = result.rejects
    assert first.location == "managers.csv:4"
    assert "runs over 4 lines" in first.reason and "reading goes on at line 5" in first.reason
    assert second.location == "managers.csv:7" and "does not close" in second.reason


def test_an_endless_quote_swallows_at_most_max_row_lines(tmp_path: Path) -> None:
    body = b'M0,"never closed\n' + b"".join(b"x%d,\n" % i for i in range(MAX_ROW_LINES + 50))
    result = managers(tmp_path, body + b"M1,after\n")
    # the x lines are rejects too (no name): where they stand among the others
    # is the path's (the columnar path's model checks come after the batch's)
    (quote,) = [r for r in result.rejects if r.location == "managers.csv:2"]
    assert f"within {MAX_ROW_LINES} line(s)" in quote.reason
    assert result.records[-1].source_id == "M1"


def test_quotes_inside_unquoted_cells_lose_no_line(tmp_path: Path) -> None:
    """`a"b` is a cell with a quote in it: two such lines in a row used to be
    taken as one record, and the second line was dropped without a reject."""
    result = managers(tmp_path, b'M1,a"b\nM2,c"d\nM3,"e\nf"\nM4,g\n')
    assert [(r.source_id, r.name) for r in result.records] == [
        ("M1", 'a"b'),
        ("M2", 'c"d'),
        ("M3", "e\nf"),
        ("M4", "g"),
    ]
    assert not result.rejects


def test_a_legitimate_multiline_value_still_reads(tmp_path: Path) -> None:
    result = managers(tmp_path, b'M0,"two\nlines"\nM1,"a ""quoted"" word"\n')
    assert [r.name for r in result.records] == ["two\nlines", 'a "quoted" word']
    assert not result.rejects


def test_a_quote_out_of_place_rejects_the_line(tmp_path: Path) -> None:
    result = managers(tmp_path, b'M0,"Ann"x\nM1,Bob\n')
    assert [r.source_id for r in result.records] == ["M1"]
    assert "a quote out of place" in result.rejects[0].reason


def test_a_cell_over_the_size_limit_rejects_its_row(tmp_path: Path) -> None:
    huge = b"M0," + b"x" * (MAX_CELL_CHARS + 1) + b"\n"
    result = managers(tmp_path, huge + b"M1,Bob\n")
    assert [r.source_id for r in result.records] == ["M1"]
    assert f"a value of {MAX_CELL_CHARS + 1} characters" in result.rejects[0].reason


def test_a_line_over_the_size_limit_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    huge = b"M0," + b"x" * (2 * MAX_LINE_BYTES) + b"\n"
    result = managers(tmp_path, huge + b"M1,Bob\n")
    assert [r.source_id for r in result.records] == ["M1"]
    assert result.rejects[0].location == "managers.csv:2"
    assert f"a line longer than {MAX_LINE_BYTES} bytes" in result.rejects[0].reason


def test_resuming_after_a_rejected_quote_line_reads_the_lines_after_it(tmp_path: Path) -> None:
    rows = ["id,name", *(f"M{i},Name{i}" for i in range(10))]
    rows[3] = 'M2,"Name'
    (tmp_path / "managers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    a = adapter(tmp_path, managers="managers.csv")
    stream = a.streams()[0]
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=3)
    first = next(iter(a.read(stream, None, ctx)))  # M0, M1 and the broken M2
    assert [r.location for r in first.rejects] == ["managers.csv:4"]
    rest = read_all(a, stream, first.state, ctx)
    assert [r.source_id for r in rest.records] == [f"M{i}" for i in range(3, 10)]


def test_a_mostly_undecodable_file_fails_fast_naming_the_encoding(tmp_path: Path) -> None:
    body = "".join(f"M{i},经理{i}\n" for i in range(20)).encode("gb18030")
    (tmp_path / "managers.csv").write_bytes(b"id,name\n" + body)
    with pytest.raises(SourceDataError) as caught:
        read(adapter(tmp_path, managers="managers.csv", encoding="utf-8"), "managers")
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(
        "managers.csv: line 2: bytes that are not valid utf-8, in 20 of the first 20 lines "
        'with non-ASCII text (the file may be gb18030: set encoding = "gb18030")'
    )
    # and auto-detection reads it right
    result = read(adapter(tmp_path, managers="managers.csv"), "managers")
    assert result.records[3].name == "经理3" and not result.rejects


def test_a_sync_with_bad_spots_stores_the_rest_and_exits_with_rejects(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": str(tmp_path)}})
    body = lines(2) + b'M7,"broken\n' + b"M8,\xff\xfe\n" + b"M9,N\x00UL\n" + lines(2, start=2)
    (tmp_path / "managers.csv").write_bytes(b"id,name\n" + body)
    report = project.sync()
    assert report.exit_code == 5
    assert sorted(r["source_id"] for r in project.rows("managers")) == ["M0", "M1", "M2", "M3"]


# -- 17.2 / 16.11: strict money --------------------------------------------------------


ACTIVITIES = "id,type,date,amount\n"


def activity_amounts(folder: Path, cells: list[str], **file: Any):
    rows = "".join(f'A{i},order,2026-03-05,"{c}"\n' for i, c in enumerate(cells))
    (folder / "activities.csv").write_text(ACTIVITIES + rows, encoding="utf-8")
    settings = {"activities": {"path": "activities.csv", **file}}
    return read(adapter(folder, **settings), "activities")


@pytest.mark.parametrize(
    "cell", ["1,23", "1 000,50", "¥1,2,3", "--5", "1,,2", "1_000", "1e5", "$-0", "1.234,56"]
)
def test_malformed_money_rejects_its_row_naming_column_and_value(tmp_path: Path, cell: str) -> None:
    result = activity_amounts(tmp_path, [cell, "¥1,234,567.89"])
    assert [r.amount for r in result.records] == [Decimal("1234567.89")]
    (reject,) = result.rejects
    assert reject.reason.startswith(f"activities.csv:2: column amount: not a number: {cell!r}")


def test_decimal_comma_is_a_per_column_setting(tmp_path: Path) -> None:
    result = activity_amounts(
        tmp_path, ["1.234,56", "€1 000,50", "1,5", "1,234.56"], decimal_comma=["amount"]
    )
    assert [r.amount for r in result.records] == [
        Decimal("1234.56"),
        Decimal("1000.50"),
        Decimal("1.5"),
    ]
    assert result.records[1].currency == "EUR"
    assert "not a number: '1,234.56'" in result.rejects[0].reason


def test_negative_amounts_only_where_the_column_means_it(tmp_path: Path) -> None:
    result = activity_amounts(tmp_path, ["-5", "(12.50)", "5"])
    assert [r.amount for r in result.records] == [Decimal("5")]
    assert [r.location for r in result.rejects] == ["activities.csv:2", "activities.csv:3"]
    assert "a negative amount '-5'" in result.rejects[0].reason
    result = activity_amounts(tmp_path, ["-5", "(12.50)", "¥-3"], negative=["amount"])
    assert [r.amount for r in result.records] == [Decimal("-5"), Decimal("-12.50"), Decimal("-3")]


def test_a_setting_naming_a_missing_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceDataError, match="decimal_comma: 'Betrag' is not a column"):
        activity_amounts(tmp_path, ["1"], decimal_comma=["Betrag"])


# -- 17.3: a date out of range rejects its row ---------------------------------------


@pytest.mark.parametrize("cell", ["0001-01-01", "0001-01-01 00:00", "9999-12-31 23:59", "1/1/0001"])
def test_a_placeholder_or_overflowing_date_rejects_its_row(tmp_path: Path, cell: str) -> None:
    (tmp_path / "activities.csv").write_text(
        f"id,type,date\nA1,call,{cell}\nA2,call,2026-03-05\n", encoding="utf-8"
    )
    result = read(adapter(tmp_path, activities="activities.csv"), "activities")
    assert [r.source_id for r in result.records] == ["A2"]
    (reject,) = result.rejects
    assert reject.location == "activities.csv:2" and "not a date" in reject.reason


# -- 17.4: source paths must be regular files -----------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_file_is_refused_in_one_line(tmp_path: Path, device: str) -> None:
    a = adapter(tmp_path, managers=device)
    with pytest.raises(SourceDataError) as caught:
        read(a, "managers")
    assert (
        str(caught.value)
        == f"{device}: is a device or special file, not a regular file; give a CSV file"
    )
    assert not a.check().ok


def test_a_fifo_is_refused_in_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "managers.csv"
    os.mkfifo(fifo)
    with pytest.raises(
        SourceDataError, match=r"managers.csv: is a FIFO \(named pipe\), not a regular file"
    ):
        read(adapter(tmp_path, managers="managers.csv"), "managers")
