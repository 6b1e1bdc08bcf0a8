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
