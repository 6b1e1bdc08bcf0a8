"""`columnar = true` reads the same records and rejects the same rows as the row path."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hub_csv.adapter import CsvAdapter
from hub_csv.settings import CsvSettings

from hub.adapters.contract import ConnectionContext, ReadContext
from hub.testing import read_all

EXAMPLE = Path(__file__).parents[3] / "hub" / "demo" / "example" / "data"
SETTINGS = {
    "managers": "managers.csv",
    "activities": "activities.csv",
    "customers": {"path": "customers.csv", "encoding": "gb18030"},
}


def adapter(folder: Path, columnar: bool, **settings: Any) -> CsvAdapter:
    config = CsvSettings.model_validate({"folder": str(folder), "columnar": columnar, **settings})
    context = ConnectionContext(
        "files", ZoneInfo("Asia/Shanghai"), "CNY", folder, logging.getLogger("test")
    )
    return CsvAdapter(config, context)


def read(a: CsvAdapter, entity: str, batch_size: int = 500):
    stream = next(s for s in a.streams() if s.entity == entity)
    ctx = ReadContext(started_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC), batch_size=batch_size)
    return read_all(a, stream, None, ctx)


@pytest.mark.parametrize("entity", ["managers", "customers", "activities"])
def test_the_example_reads_the_same_both_ways(entity: str) -> None:
    rows = read(adapter(EXAMPLE, False, **SETTINGS), entity)
    columns = read(adapter(EXAMPLE, True, **SETTINGS), entity)
    assert len(rows.records) >= 20
    assert sorted(columns.records, key=lambda r: r.source_id) == sorted(
        rows.records, key=lambda r: r.source_id
    )
    assert sorted(r.location for r in columns.rejects) == sorted(r.location for r in rows.rejects)


def test_column_batches_are_arrow_tables_and_rejects_name_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "activities.csv").write_text(
        "id,type,date,amount,currency\n"
        'A1,order,2026/3/5 10:00,"¥1,234.50",\n'
        'A2,order,2026-03-06,"1,23",\n'
        "A3,order,0001-01-01,5,\n"
        "A4,order,2026-03-07,$5,CNY\n"
        "A5,call,2026-03-08 09:00,,\n",
        encoding="utf-8",
    )
    a = adapter(tmp_path, True, activities="activities.csv")
    stream = a.streams()[0]
    ctx = ReadContext(started_at=dt.datetime.now(dt.UTC), batch_size=100)
    (batch,) = list(a.read(stream, None, ctx))
    assert isinstance(batch.records, pa.Table) and batch.records.num_rows == 2
    reasons = sorted(r.reason for r in batch.rejects)
    assert reasons == [
        "activities.csv:3: column amount: not a number: '1,23' (a decimal comma? "
        "thousands separators go in groups of three)",
        "activities.csv:4: column date (occurred_at): not a date: '0001-01-01' "
        "(year 1 is outside 1900–2999)",
        "activities.csv:5: column amount: says USD but column currency says CNY",
    ]
    result = read(a, "activities")
    assert [(r.source_id, r.amount, r.currency) for r in result.records] == [
        ("A1", pytest.approx(1234.5), "CNY"),
        ("A5", None, None),
    ]


@pytest.mark.parametrize("columnar", [False, True])
def test_a_columnar_resync_updates_only_what_changed(tmp_path: Path, columnar: bool) -> None:
    from hub.testing import Project

    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": str(tmp_path), "columnar": columnar}})
    rows = [f"A{i},call,2026-03-05 10:{i % 60:02d},M1" for i in range(50)]
    path = tmp_path / "activities.csv"
    path.write_text("id,type,date,manager\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert project.sync().exit_code == 0
    rows[7] = "A7,visit,2026-03-06 11:00,M1"
    path.write_text("id,type,date,manager\n" + "\n".join(rows[:-1]) + "\n", encoding="utf-8")
    report = project.sync()
    assert report.exit_code == 0
    (result,) = report.results
    assert (result.updated, result.unchanged, result.deleted) == (1, 48, 1)
    stored = {r["source_id"]: r for r in project.rows("activities")}
    assert stored["A7"]["kind"] == "visit" and stored["A49"]["deleted_at"] is not None


DIRTY = {
    "managers": (
        "id,name,email,微信号,微信号\n"
        'M1,Ann,ann@example.com,wx1,\nM2,"Bob ""B"", Jr.",,,wx2\n'
        'M3,,a@b.c,,\n,NoId,,,\nM1,Ann again,,"x\ny",\n'
        'M4,"two\nlines",,,\nM5,Eve,,,,extra,\nM6,"broken"q,,,\nM7,Zed,,\x00,\n'
        "   ,  , ,,\n\n"
        "M8,Ivy\nM9,\udcff坏,,,\nM10,Ann,,\t,\u3000\n"
    ),
    "activities": (
        "id,type,date,amount,currency,manager,duration,notes,channel\n"
        'A1,order,2026/3/5 10:00,"¥1,234.50",,M1,05:30,"a, b",Web\n'
        'A2,order,2026-03-06,"1,23",,M1,,,\n'
        "A3,call,0001-01-01,5,,M1,,,\n"
        "A4,order,2026-03-07,$5,CNY,M1,,,\n"
        "A5,飞鸽传书,2026-03-08 09:00,,,M1,,,\n"
        "A6,order,2026-03-09T09:00+08:00,-5,,M1,,,\n"
        "A7,call,,,,,,,\n"
        'A8,visit,2026年3月10日 下午3:00,1.2万,,M2,12分钟,"多\n行",企业微信\n'
        "A9,call,2026-02-30 10:00,,,,,,\n"
        "A2,call,2026-03-11 10:00,,,,abc,,\n"
        "A10,call,2026-03-12 10:00,,usd,,,,\n"
    ),
}


@pytest.mark.parametrize("batch_size", [3, 1000])
@pytest.mark.parametrize("entity", list(DIRTY))
def test_dirty_files_read_the_same_both_ways(tmp_path: Path, entity: str, batch_size: int) -> None:
    """Records in the same order, and the same rejects (location, reason, raw, id)."""
    (tmp_path / f"{entity}.csv").write_bytes(DIRTY[entity].encode("utf-8", "surrogateescape"))
    rows = read(adapter(tmp_path, False, **{entity: f"{entity}.csv"}), entity, batch_size)
    columns = read(adapter(tmp_path, True, **{entity: f"{entity}.csv"}), entity, batch_size)
    assert columns.records == rows.records
    assert len(rows.records) >= 3 and len(rows.rejects) >= 4

    def key(r):  # type: ignore[no-untyped-def]
        return (int(r.location.rsplit(":", 1)[1]), r.reason, r.raw, r.source_id)

    assert sorted(map(key, columns.rejects)) == sorted(map(key, rows.rejects))
