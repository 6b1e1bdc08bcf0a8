"""Re-reading a large file with few changes maps only the changed rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_csv.columnar import ColumnMapper
from hub_csv.mapping import RowMapper

from hub.testing import Project

HEADER = "id,name,tier\n"


def write_customers(path: Path, n: int, changed: dict[int, str] | None = None) -> None:
    changed = changed or {}
    rows = [f"C{i},{changed.get(i, f'客户{i}')},B\n" for i in range(n)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")


@pytest.fixture(params=[False, True], ids=["rows", "columns"])
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    (tmp_path / "data").mkdir()
    write_customers(tmp_path / "data" / "customers.csv", 300)
    project = Project(tmp_path)
    folder = str(tmp_path / "data")
    project.configure(
        {"files": {"adapter": "csv", "folder": folder, "columnar": request.param}},
        sync={"batch_size": 100},
    )
    return project


def count_mapped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows mapped, on either path (the files here have no bad rows)."""
    calls = [0]
    by_row, by_column = RowMapper.map, ColumnMapper.map

    def row(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return by_row(self, *args, **kwargs)

    def column(self, rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += len(rows)
        return by_column(self, rows, *args, **kwargs)

    monkeypatch.setattr(RowMapper, "map", row)
    monkeypatch.setattr(ColumnMapper, "map", column)
    return calls


def test_only_changed_rows_are_mapped_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_mapped(monkeypatch)
    assert project.sync().results[0].inserted == 300
    assert calls[0] == 300
    write_customers(project.root / "data" / "customers.csv", 300, {7: "改名公司", 250: "另一家"})
    calls[0] = 0
    (result,) = project.sync().results
    assert (result.read, result.updated, result.unchanged, result.deleted) == (300, 2, 298, 0)
    assert calls[0] == 2
    names = {r["source_id"]: r["name"] for r in project.rows("customers")}
    assert names["C7"] == "改名公司" and names["C250"] == "另一家"


def test_rows_skipped_as_unchanged_are_kept_alive_by_a_complete_read(project: Project) -> None:
    project.sync()
    write_customers(project.root / "data" / "customers.csv", 200, {5: "改"})  # C200..C299 removed
    (result,) = project.sync().results
    assert (result.updated, result.unchanged, result.deleted) == (1, 199, 100)
    live = [r["source_id"] for r in project.rows("customers") if not r["deleted_at"]]
    assert len(live) == 200


def test_a_changed_mapping_maps_every_row_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.sync()
    calls = count_mapped(monkeypatch)
    text = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(
        text
        + '\n[connections.files.customers]\npath = "customers.csv"\n[connections.files.customers.columns]\ntier = "segment"\n',
        encoding="utf-8",
    )
    (result,) = project.sync().results
    assert calls[0] == 300 and result.updated == 300
    assert {r["segment"] for r in project.rows("customers")} == {"B"}


def test_a_full_refresh_maps_everything(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.sync()
    calls = count_mapped(monkeypatch)
    (result,) = project.sync(full_refresh=True).results
    assert calls[0] == 300 and result.unchanged == 300
