"""The CSV adapter on the files people really have."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hub_csv.adapter import CsvAdapter
from hub_csv.reader import SAMPLE_SIZE, CsvFile
from hub_csv.settings import CsvSettings

from hub.adapters.contract import ConnectionContext, ReadContext, Reject
from hub.errors import SourceDataError
from hub.model import Activity, Customer
from hub.testing import read_all

SHANGHAI = ZoneInfo("Asia/Shanghai")


def adapter(folder: Path, **settings: Any) -> CsvAdapter:
    config = CsvSettings.model_validate({"folder": str(folder), **settings})
    context = ConnectionContext("files", SHANGHAI, "CNY", folder, logging.getLogger("test"))
    return CsvAdapter(config, context)


def read(a: CsvAdapter, entity: str, state: dict[str, Any] | None = None, batch_size: int = 1000):
    stream = next(s for s in a.streams() if s.entity == entity)
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=batch_size)
    return read_all(a, stream, state, ctx)


ACTIVITY_HEADER = "记录编号,类型,客户,负责人,跟进时间,金额,币种,评分,通话时长,微信群\n"
ACTIVITY_ROWS = (
    "A1,电话,C1,M1,2026/3/5 10:00,,,,05:30,群1\n"
    'A2,订单,C1,M1,2026-03-06 14:00,"¥1,234.50",,,,\n'
    "A3,回访,C2,M2,2026年3月7日 9时,,,4.5,,\n"
    "A4,Payment,C2,M2,2026-09-30 23:30,$99.90,,,,\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "activities.csv").write_bytes((ACTIVITY_HEADER + ACTIVITY_ROWS).encode(encoding))
    result = read(adapter(tmp_path, activities="activities.csv"), "activities")
    assert not result.rejects
    by_id = {r.source_id: r for r in result.records}
    assert len(by_id) == 4
    a1, a2, a3, a4 = (by_id[k] for k in ("A1", "A2", "A3", "A4"))
    assert isinstance(a1, Activity) and a1.kind == "call" and a1.duration_seconds == 330
    assert a1.occurred_at == dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)
    assert a1.extra == {"微信群": "群1"}  # unknown column kept
    assert (a2.kind, a2.amount, a2.currency) == ("order", Decimal("1234.50"), "CNY")
    assert (a3.kind, a3.score) == ("feedback", Decimal("4.5"))
    assert (a4.kind, a4.amount, a4.currency) == ("payment", Decimal("99.90"), "USD")
    assert a4.occurred_at.astimezone(SHANGHAI).date() == dt.date(2026, 9, 30)
    assert a1.customer_source_id == "C1" and a1.manager_source_id == "M1"


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = 'id,name,phone\nC1,甲,13800000000\nC2,"乙, Ltd",\n'.replace(",", delimiter)
    (tmp_path / "customers.csv").write_text(text, encoding="utf-8")
    result = read(adapter(tmp_path, customers="customers.csv"), "customers")
    assert [r.name for r in result.records] == ["甲", f"乙{delimiter} Ltd"]


def test_english_headers_mappings_defaults_and_keys(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "Customer Name,Owner,Mobile,VIP Level,Opted In,Tags,Internal\n"
        'Acme GmbH,M1,+49 30 1234567,Gold,yes,"fair; referral",x\n'
        "Blue Ltd,M2,,Silver,no,,\n",
        encoding="utf-8",
    )
    a = adapter(
        tmp_path,
        customers={
            "path": "customers.csv",
            "columns": {"VIP Level": "tier", "Internal": "-"},
            "key": ["Customer Name"],
            "defaults": {"country": "DE"},
        },
    )
    result = read(a, "customers")
    assert not result.rejects
    acme = next(r for r in result.records if r.name == "Acme GmbH")
    assert isinstance(acme, Customer)
    assert acme.source_id == "Acme GmbH" and acme.tier == "Gold" and acme.country == "DE"
    assert acme.marketing_consent is True and acme.tags == ["fair", "referral"]
    assert acme.extra == {}  # "Internal" was ignored on purpose


def test_rows_without_any_id_get_a_content_key(tmp_path: Path) -> None:
    (tmp_path / "activities.csv").write_text(
        "类型,客户,跟进时间\n电话,C1,2026-03-05\n拜访,C1,2026-03-06\n", encoding="utf-8"
    )
    first = read(adapter(tmp_path, activities="activities.csv"), "activities")
    again = read(adapter(tmp_path, activities="activities.csv"), "activities")
    assert [r.source_id for r in first.records] == [r.source_id for r in again.records]
    assert all(r.source_id.startswith("row:") for r in first.records)


def test_a_mapping_to_an_unknown_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,name,x\n1,a,b\n", encoding="utf-8")
    a = adapter(tmp_path, customers={"path": "customers.csv", "columns": {"x": "colour"}})
    with pytest.raises(
        SourceDataError, match="'x' is mapped to 'colour', which is not a field of customers"
    ):
        read(a, "customers")


def test_a_missing_required_column_says_what_to_call_it(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,phone\n1,138\n", encoding="utf-8")
    with pytest.raises(
        SourceDataError, match="no column for name \\(a header like: name, customer, customer name"
    ):
        read(adapter(tmp_path, customers="customers.csv"), "customers")


def test_bad_bytes_late_in_a_file_reject_that_row_only(tmp_path: Path) -> None:
    good = "".join(f"C{i},客户{i}\n" for i in range(SAMPLE_SIZE // 10))
    bad = b"C-bad," + "坏".encode("gb18030") + b"\n"
    (tmp_path / "customers.csv").write_bytes(
        b"id,name\n" + good.encode() + bad + "C-last,最后\n".encode()
    )
    result = read(adapter(tmp_path, customers="customers.csv"), "customers")
    assert len(result.rejects) == 1
    assert "bytes that are not valid text" in result.rejects[0].reason
    assert result.records[-1].source_id == "C-last"


def test_multiline_cells_and_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "activities.csv").write_text(
        'id,type,date,notes\nA1,note,2026-01-01,"line one\nline two"\nA2,note,2026-13-01,x\n',
        encoding="utf-8",
    )
    result = read(adapter(tmp_path, activities="activities.csv"), "activities")
    assert result.records[0].content == "line one\nline two"
    (reject,) = result.rejects
    assert isinstance(reject, Reject) and reject.location == "activities.csv:4"


def test_a_row_with_extra_cells_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,name\n1,Acme,Inc\n2,Blue\n", encoding="utf-8")
    result = read(adapter(tmp_path, customers="customers.csv"), "customers")
    assert [r.source_id for r in result.records] == ["2"]
    assert "3 cells but the header has 2" in result.rejects[0].reason


def test_goals_from_period_labels(tmp_path: Path) -> None:
    (tmp_path / "goals.csv").write_text(
        '经理,指标,考核期,目标,权重\nM1,销售额,2026年第三季度,"500,000",40%\nM1,满意度,2026-Q3,4.5,0.2\n',
        encoding="utf-8",
    )
    result = read(adapter(tmp_path, goals="goals.csv"), "goals")
    assert not result.rejects
    sales, satisfaction = result.records
    assert (sales.metric, str(sales.period_start), str(sales.period_end), sales.period_label) == (
        "sales_amount",
        "2026-07-01",
        "2026-09-30",
        "2026-Q3",
    )
    assert sales.target == Decimal("500000") and sales.weight == Decimal("0.40")
    assert sales.source_id == "M1|sales_amount|2026-Q3"  # manager, metric, period
    assert satisfaction.metric == "satisfaction"


def test_unchanged_files_are_skipped_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "customers.csv").write_text("id,name\n1,a\n", encoding="utf-8")
    a = adapter(tmp_path, customers="customers.csv")
    first = read(a, "customers")
    opened: list[Path] = []
    original = CsvFile.__init__

    def spy(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(path)
        original(self, path, *args, **kwargs)

    monkeypatch.setattr(CsvFile, "__init__", spy)
    again = read(a, "customers", first.state)
    assert again.batches == [] and opened == []


def test_changing_the_mapping_reads_the_file_again(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,name,星级\n1,a,VIP\n", encoding="utf-8")
    first = read(adapter(tmp_path, customers="customers.csv"), "customers")
    assert first.records[0].extra == {"星级": "VIP"}
    remapped = adapter(tmp_path, customers={"path": "customers.csv", "columns": {"星级": "tier"}})
    again = read(remapped, "customers", first.state)
    assert again.records[0].tier == "VIP"


def test_resume_keeps_line_numbers(tmp_path: Path) -> None:
    rows = "".join(f"{i},name{i}\n" for i in range(10)) + "bad,\n"
    (tmp_path / "customers.csv").write_text("id,name\n" + rows, encoding="utf-8")
    a = adapter(tmp_path, customers="customers.csv")
    stream = a.streams()[0]
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=4)
    part = read_all(a, stream, None, ctx, stop_after=1)
    rest = read_all(a, stream, part.state, ctx)
    assert [r.source_id for r in part.records + rest.records] == [str(i) for i in range(10)]
    assert rest.rejects[0].location == "customers.csv:12"
    assert not rest.batches[0].snapshot_begins and rest.batches[-1].snapshot_complete


def test_write_exports_for_excel(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,name\n1,甲\n", encoding="gb18030")
    a = adapter(tmp_path, customers={"path": "customers.csv", "encoding": "gb18030"})
    outcomes = list(a.write("customers", read(a, "customers").records))
    assert [o.status for o in outcomes] == ["created"]
    text = (tmp_path / "export" / "customers.csv").read_bytes().decode("gb18030")
    assert text.splitlines()[0].startswith("source,source_id,created_at")
    assert "甲" in text and not (tmp_path / "export" / "customers.csv.partial").exists()


def test_a_repeated_id_keeps_the_later_row_and_rejects_the_earlier(tmp_path: Path) -> None:
    (tmp_path / "managers.csv").write_text(
        "id,name\nM1,Alice\nM2,Carol\nM1,Bob\n", encoding="utf-8"
    )
    result = read(adapter(tmp_path, managers="managers.csv"), "managers")
    assert [(r.source_id, r.name) for r in result.records] == [("M1", "Bob"), ("M2", "Carol")]
    (reject,) = result.rejects
    assert reject.location == "managers.csv:2"
    assert reject.reason == "managers.csv:2: id 'M1' appears again at line 4; the later row is used"


def test_a_nul_byte_rejects_its_row(tmp_path: Path) -> None:
    filler = "".join(f"F{i},filler{i}\n" for i in range(SAMPLE_SIZE // 10)).encode()
    (tmp_path / "managers.csv").write_bytes(b"id,name\n" + filler + b"M1,Al\x00ice\nM2,Bob\n")
    result = read(adapter(tmp_path, managers="managers.csv"), "managers", batch_size=100_000)
    assert result.records[-1].source_id == "M2"
    assert "M1" not in {r.source_id for r in result.records}
    assert "not valid text" in result.rejects[0].reason


def test_a_file_that_changes_while_it_is_read_is_not_taken_as_complete(tmp_path: Path) -> None:
    path = tmp_path / "managers.csv"
    path.write_text("id,name\n" + "".join(f"M{i},n{i}\n" for i in range(10)), encoding="utf-8")
    a = adapter(tmp_path, managers="managers.csv")
    stream = a.streams()[0]
    batches = a.read(stream, None, ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=4))
    first = next(batches)
    assert not first.snapshot_complete
    with path.open("a", encoding="utf-8") as f:
        f.write("M10,late\n")  # the export is still being written
    with pytest.raises(SourceDataError, match="the file changed while it was read; run again"):
        list(batches)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_lines_without_quotes_split_as_the_csv_module_splits_them(
    tmp_path: Path, delimiter: str
) -> None:
    """The reader splits a line without a quote itself: the cells, line numbers
    and problems must be the csv module's (which refuses a stray carriage return)."""
    import csv
    import random

    rng = random.Random(20261204)
    pieces = ["a", "甲", " ", "\t", ",", ";", "|", "\r", "\x0b", "\x1f", "\u2028", "\x85", "", "12"]
    lines = ["h1,h2,h3\n".replace(",", delimiter)]
    for _ in range(3000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        lines.append(body + rng.choice(["\n", "\r\n", "\n", "\r\r\n"]))
    lines.append("tail" + delimiter + "x")  # the last line without a line break
    path = tmp_path / "t.csv"
    path.write_bytes("".join(lines).encode("utf-8"))
    rows = list(CsvFile(path, delimiter=delimiter).rows())
    want = []
    for number, line in enumerate(lines[1:], 2):
        try:
            values = next(csv.reader([line], delimiter=delimiter, strict=True), [])
        except csv.Error:
            want.append((number, None))
            continue
        if any(v.strip() for v in values):
            want.append((number, values))
    got = [(r.line, None if r.problem else r.values) for r in rows]
    assert got == want
