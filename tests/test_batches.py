"""Both batch paths: a row adapter and an Arrow adapter pass the contract
suite, sync into the same store, and an Arrow batch's bad rows become rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.errors import ExitCode
from hub.plugins import Registry, load_registry
from hub.store.tables import rejects
from hub.testing import AdapterContract, Project

from .ledger import LedgerPlugin, ledger_row, write_ledger

ROWS = [ledger_row(i) for i in range(1, 8)]


def ledger_registry() -> Registry:
    registry = load_registry()
    registry.register(LedgerPlugin(), name="ledger")
    return registry


class _LedgerContract(AdapterContract):
    @pytest.fixture
    def registry(self) -> Registry:
        return ledger_registry()

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, Any]:
        path = tmp_path / "ledger.json"
        write_ledger(path, ROWS)
        return {"source_file": str(path)}

    def change_source(self, settings: dict[str, Any]) -> dict[str, set[str]]:
        now = dt.datetime.now(dt.UTC).isoformat()
        changed = [dict(r) for r in ROWS]
        changed[2] |= {"note": "改了", "updated": now}
        changed.append(ledger_row(99, updated=now))
        write_ledger(Path(settings["source_file"]), changed)
        return {"activities": {changed[2]["id"], "a099"}}


class TestRowAdapterContract(_LedgerContract):
    adapter_name = "ledger-rows"


class TestArrowAdapterContract(_LedgerContract):
    adapter_name = "ledger-arrow"


def _project(root: Path, adapter: str, rows: list[dict[str, Any]], **kw: Any) -> Project:
    project = Project(root, registry=ledger_registry(), **kw)
    write_ledger(root / "ledger.json", rows)
    project.configure(
        {"books": {"adapter": adapter, "source_file": str(root / "ledger.json")}},
        sync={"batch_size": 3},
    )
    return project


def _stores_equal(store_url_a: str | None, tmp_path: Path) -> None:
    rows_project = _project(tmp_path / "rows", "ledger-rows", ROWS, store_url=store_url_a)
    arrow_project = _project(tmp_path / "arrow", "ledger-arrow", ROWS)
    for project in (rows_project, arrow_project):
        report = project.sync()
        assert report.exit_code == ExitCode.OK, report.results
        assert report.results[0].inserted == len(ROWS)
    assert rows_project.rows("activities") == arrow_project.rows("activities")
    amounts = {r["source_id"]: r["amount"] for r in arrow_project.rows("activities")}
    assert str(amounts["a003"]) == "30.5000"


def test_row_and_arrow_adapters_store_the_same_rows(tmp_path: Path) -> None:
    _stores_equal(None, tmp_path)


@pytest.mark.postgres
def test_row_adapter_on_postgresql_equals_arrow_adapter_on_sqlite(
    tmp_path: Path, postgres_url: str
) -> None:
    _stores_equal(postgres_url, tmp_path)


def test_arrow_batch_bad_rows_are_rejected_and_the_good_ones_land(tmp_path: Path) -> None:
    rows = [*ROWS, ledger_row(50, kind="séance"), ledger_row(51, amount="5", currency=None)]
    project = _project(tmp_path, "ledger-arrow", rows)
    report = project.sync()
    result = report.results[0]
    assert report.exit_code == ExitCode.REJECTS
    assert (result.read, result.inserted, result.rejected) == (len(rows), len(ROWS), 2)
    with project.store.read() as conn:
        stored = conn.execute(
            select(rejects.c.source_id, rejects.c.location, rejects.c.reason).order_by(
                rejects.c.source_id
            )
        ).all()
    assert [(s, loc) for s, loc, _ in stored] == [
        ("a050", "ledger.json#a050"),
        ("a051", "ledger.json#a051"),
    ]
    assert "field 'kind' is not one of" in stored[0].reason
    assert "amount needs a currency" in stored[1].reason
    # fixed in the source, the rows land and their rejects are resolved
    fixed = [*ROWS, ledger_row(50), ledger_row(51)]
    write_ledger(tmp_path / "ledger.json", fixed)
    again = project.sync(full_refresh=True)
    assert again.exit_code == ExitCode.OK, again.results
    assert len(project.rows("activities")) == len(fixed)


def test_an_arrow_batch_that_does_not_fit_the_schema_fails_the_stream(tmp_path: Path) -> None:
    project = _project(tmp_path, "ledger-arrow", ROWS)
    report = project.sync()
    assert report.exit_code == ExitCode.OK
    bad = [*ROWS, ledger_row(60, at="2026-03-05T10:00:00")]  # a naive time: an adapter bug
    write_ledger(tmp_path / "ledger.json", bad)
    report = project.sync(full_refresh=True)
    assert report.exit_code == ExitCode.FAILED
    assert "column 'occurred_at' must be a timezone-aware timestamp" in report.results[0].error
    assert len(project.rows("activities")) == len(ROWS)  # nothing stored is lost
