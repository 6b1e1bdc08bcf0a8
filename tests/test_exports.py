"""Exports keep the masking promise, stay inside the project, and never hand
a spreadsheet a formula to run."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from hub.cli import run
from hub.errors import ExitCode
from hub.exporting import spreadsheet_cell
from hub.reports.output import Report, Section, write
from hub.testing import Project

from .conftest import example_project

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def cli(project: Project, *args: str) -> int:
    return run(["-C", str(project.config_path), *args])


@pytest.fixture
def synced(tmp_path: Path) -> Project:
    project = example_project(tmp_path / "example")
    assert project.sync().exit_code == ExitCode.REJECTS
    return project


def test_export_to_a_connection_masks_unless_unmasked(
    synced: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    target = synced.root / "data" / "export" / "customers.csv"
    assert cli(synced, "export", "customers", "--to", "files") == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="gb18030"))))
    assert len(rows) == 301
    phones = [r["phone"] for r in rows if r["phone"]]
    emails = [r["email"] for r in rows if r["email"]]
    assert phones and all("****" in p for p in phones)
    assert emails and all("***@" in e for e in emails)
    assert not any(json.loads(r["extra"] or "{}").get("wechat", "").startswith("wx_") for r in rows)

    assert cli(synced, "export", "customers", "--to", "files", "--unmasked") == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="gb18030"))))
    assert any(r["phone"].isdigit() for r in rows)
    # the store itself was never touched by the masking
    stored = synced.rows("customers")
    assert any((c["phone"] or "").isdigit() for c in stored)


@pytest.mark.parametrize("folder", ["../../victim", "/", "/tmp/victim", "a/../../b"])
def test_export_folder_outside_the_project_is_refused(
    synced: Project, folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = synced.config_path.read_text(encoding="utf-8")
    text = text.replace('folder = "data"\n', f'folder = "data"\nexport_folder = "{folder}"\n', 1)
    synced.config_path.write_text(text, encoding="utf-8")
    assert cli(synced, "export", "customers", "--to", "files") == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert err.startswith(f"error: {synced.config_path}: connections.files.export_folder: ")
    assert err.count("\n") == 1


def test_a_connection_folder_outside_the_project_cannot_carry_exports_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "managers.csv").write_text("id,name\nM1,Zhang San\n", encoding="utf-8")
    project = Project(tmp_path / "project")
    project.configure({"files": {"adapter": "csv", "folder": str(outside)}})
    assert project.sync().exit_code == ExitCode.OK
    assert cli(project, "export", "managers", "--to", "files") == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "connections.files.export_folder" in err and "outside the project folder" in err
    assert not (outside / "export").exists()
    # the admin can still write anywhere from the command line
    target = outside / "managers.csv.out"
    assert cli(project, "export", "managers", "-o", str(target)) == 0
    assert "Z***" in target.read_text(encoding="utf-8")


def test_spreadsheet_cells() -> None:
    for formula in FORMULAS:
        assert spreadsheet_cell(formula) == "'" + formula
    for plain in ["-12.50", "-5", "12", "", "a=b", "张三", "2026-01-01"]:
        assert spreadsheet_cell(plain) == plain
    assert spreadsheet_cell(Decimal("-1")) == Decimal("-1")


@pytest.fixture
def formulas(tmp_path: Path) -> Project:
    with (tmp_path / "managers.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "title", "department"])
        writer.writerows([f"M{i}", name, "t", name] for i, name in enumerate(FORMULAS))
    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": "."}})
    assert project.sync().exit_code == ExitCode.OK
    return project


def test_formula_cells_are_neutralised_in_every_csv_export(
    formulas: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = {r["source_id"]: r["department"] for r in formulas.rows("managers")}
    # what the reader keeps of the leading tab / CR is the CSV adapter's business; the stored
    # value is what must come out neutralised
    expected = {sid: value for sid, value in stored.items() if value}
    assert '=HYPERLINK("http://x","y")' in expected.values()

    target = tmp_path / "out.csv"
    assert cli(formulas, "export", "managers", "-o", str(target), "--unmasked") == 0
    for row in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))):
        value = expected[row["source_id"]]
        assert row["department"] == spreadsheet_cell(value)
        if value.startswith(("=", "+", "@")):
            assert row["department"] == "'" + value

    assert cli(formulas, "export", "managers", "--to", "files", "--unmasked") == 0
    written = (tmp_path / "export" / "managers.csv").read_text(encoding="utf-8-sig")
    for row in csv.DictReader(io.StringIO(written)):
        assert row["department"] == spreadsheet_cell(expected[row["source_id"]])

    capsys.readouterr()
    # JSON is not a spreadsheet format, and the store keeps the value as it came
    assert cli(formulas, "export", "managers", "--format", "json", "--unmasked") == 0
    exported = {r["source_id"]: r["department"] for r in json.loads(capsys.readouterr().out)}
    assert exported == stored
    assert {r["source_id"]: r["department"] for r in formulas.rows("managers")} == stored


def test_report_csv_neutralises_formulas(tmp_path: Path) -> None:
    report = Report(
        "test",
        {},
        [
            Section(
                "main",
                ["who", "amount"],
                [{"who": f, "amount": Decimal("-3.50")} for f in FORMULAS],
            )
        ],
    )
    target = tmp_path / "report.csv"
    write(report, "csv", str(target))
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["who", "amount"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert {r[1] for r in rows[1:]} == {"-3.50"}
