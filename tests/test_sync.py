"""`hub sync` end to end: the example project, changes, dry runs, refreshes, bad input."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.cli import run
from hub.errors import ExitCode
from hub.plugins import load_registry
from hub.store.tables import rejects, runs
from hub.sync.runs import recent as recent_runs
from hub.testing import Project

from .conftest import example_project
from .scripted import ScriptedPlugin, write_source

ENTITIES = ("managers", "customers", "activities", "goals")


def counts(report) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        r.stream: (r.read, r.inserted, r.updated, r.deleted, r.rejected) for r in report.results
    }


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding=encoding))))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def test_example_syncs_with_rejects_and_a_second_sync_changes_nothing(
    tmp_path: Path, store_url: str
) -> None:
    project = example_project(tmp_path / "example", store_url)
    first = project.sync()
    assert first.exit_code == ExitCode.REJECTS
    assert counts(first) == {
        "managers": (21, 20, 0, 0, 1),
        "customers": (302, 301, 0, 0, 1),
        "activities": (3205, 3201, 0, 0, 4),
        "goals": (289, 288, 0, 0, 1),
    }
    assert all(r.unresolved == 0 for r in first.results)
    with project.store.read() as conn:
        reasons = sorted(r.reason for r in conn.execute(select(rejects)))
    assert reasons == [
        "activities.csv:3202: column 跟进时间 (occurred_at): not a date: '2026-13-45' (month must be in 1..12)",
        "activities.csv:3203: column 金额 (amount): not a number: '12,3O0.00'",
        "activities.csv:3204: column 类型 (kind): unknown activity kind '飞鸽传书' (one of call, visit, meeting, email, message, task, note, order, payment, complaint, feedback, other, or a Chinese name)",
        "activities.csv:3205: column 金额 (amount): says CNY but column 币种 (currency) says USD",
        "customers.csv:303: column 客户名称 (name): empty",
        "goals.csv:290: column target: not a number: 'TBD'",
        "managers.csv:22: column id (source_id): empty (every row needs an id)",
    ]
    before = {e: project.rows(e) for e in ENTITIES}

    second = project.sync()
    assert second.exit_code == ExitCode.OK
    assert all(c == (0, 0, 0, 0, 0) for c in counts(second).values())
    assert {e: project.rows(e) for e in ENTITIES} == before  # same rows, same hub ids

    # touching the files (new mtime, same bytes) re-hashes them but reads nothing
    for path in (project.root / "data").iterdir():
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    third = project.sync()
    assert third.exit_code == ExitCode.OK
    assert all(c == (0, 0, 0, 0, 0) for c in counts(third).values())
    with project.store.read() as conn:
        assert [r.status for r in conn.execute(select(runs.c.status).order_by(runs.c.id))] == [
            "rejects",
            "ok",
            "ok",
        ]


def test_the_quarter_end_order_lands_in_q3(example: Project) -> None:
    example.sync()
    order = next(r for r in example.rows("activities") if r["source_id"] == "A199005")
    assert order["occurred_at"].isoformat() == "2026-09-30T15:30:00+00:00"  # 23:30 in Shanghai
    assert str(order["amount"]) == "88000.0000" and order["currency"] == "CNY"


def test_a_changed_row_updates_and_a_removed_row_becomes_a_tombstone(example: Project) -> None:
    example.sync()
    path = example.root / "data" / "activities.csv"
    rows = read_csv(path)
    assert rows[1][0] == "A100000" and rows[2][0] == "A100001"
    rows[1][6] = "内容已修改"  # A100000 changed
    removed = rows.pop(2)  # A100001 removed from the export
    write_csv(path, rows)

    report = example.sync(streams=["activities"])
    (result,) = report.results
    assert (result.inserted, result.updated, result.deleted) == (0, 1, 1)
    assert result.unchanged == 3201 - 2
    by_id = {r["source_id"]: r for r in example.rows("activities")}
    assert by_id["A100000"]["content"] == "内容已修改" and not by_id["A100000"]["deleted_at"]
    assert by_id["A100001"]["deleted_at"]
    with example.store.read() as conn:
        history = [r["streams"] for r in recent_runs(conn)]
    latest = {s["stream"]: s for s in history[0]}
    assert (latest["activities"]["updated"], latest["activities"]["deleted"]) == (1, 1)
    first_run = {s["stream"]: s for s in history[1]}
    assert first_run["activities"]["inserted"] == 3201

    # the row comes back: the tombstone is lifted, same hub id
    old_id = by_id["A100001"]["id"]
    write_csv(path, [*rows[:2], removed, *rows[2:]])
    example.sync(streams=["activities"])
    again = {r["source_id"]: r for r in example.rows("activities")}
    assert not again["A100001"]["deleted_at"] and again["A100001"]["id"] == old_id


def test_dry_run_writes_nothing(tmp_path: Path, store_url: str) -> None:
    project = example_project(tmp_path / "example", store_url)
    report = project.sync(dry_run=True)
    assert report.exit_code == ExitCode.REJECTS
    assert [r.status for r in report.results] == ["dry-run"] * 4
    assert counts(report)["activities"] == (3205, 0, 0, 0, 4)
    assert project.store.current_revision() is None  # not even the schema
    if store_url.startswith("sqlite"):
        assert not (project.root / "hub.db").exists()

    project.sync()
    before = {e: project.rows(e, include_bookkeeping=True) for e in ENTITIES}
    path = project.root / "data" / "activities.csv"
    rows = read_csv(path)
    rows[1][6] = "dry-run change"
    write_csv(path, rows)
    project.sync(dry_run=True)
    assert {e: project.rows(e, include_bookkeeping=True) for e in ENTITIES} == before
    with project.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 1


def scripted_project(root: Path, customers: list[dict[str, object]], **source: object) -> Project:
    registry = load_registry()
    registry.register(ScriptedPlugin(), name="scripted")
    project = Project(root, registry=registry)
    write_source(root / "source.json", customers, **source)
    project.configure({"crm": {"adapter": "scripted", "source_file": str(root / "source.json")}})
    return project


CUSTOMERS = [
    {"id": "c1", "name": "甲", "updated": "2026-01-01T00:00:00+00:00"},
    {"id": "c2", "name": "乙", "updated": "2026-01-02T00:00:00+00:00"},
    {"id": "c3", "name": "丙", "updated": "2026-01-03T00:00:00+00:00"},
]


def test_full_refresh_tombstones_what_an_incremental_read_cannot_see(tmp_path: Path) -> None:
    project = scripted_project(tmp_path, CUSTOMERS)
    project.sync()
    write_source(
        project.root / "source.json", [CUSTOMERS[0], CUSTOMERS[2]]
    )  # c2 deleted at the source
    incremental = project.sync()
    assert incremental.results[0].deleted == 0
    assert all(not r["deleted_at"] for r in project.rows("customers"))

    refreshed = project.sync(full_refresh=True)
    assert refreshed.results[0].deleted == 1
    assert {r["source_id"]: r["deleted_at"] for r in project.rows("customers")} == {
        "c1": False,
        "c2": True,
        "c3": False,
    }


def test_a_failed_read_tombstones_nothing(tmp_path: Path) -> None:
    project = scripted_project(tmp_path, CUSTOMERS)
    project.sync()
    c4 = {"id": "c4", "name": "丁", "updated": "2026-01-04T00:00:00+00:00"}
    write_source(project.root / "source.json", [CUSTOMERS[0], CUSTOMERS[2], c4], fail="crash")
    report = project.sync(full_refresh=True)
    assert report.exit_code == ExitCode.FAILED
    assert "RuntimeError: adapter bug" in report.results[0].error
    assert all(
        not r["deleted_at"] for r in project.rows("customers")
    )  # no sweep after a failed read


def test_quota_exhaustion_stops_cleanly_and_the_next_run_continues(tmp_path: Path) -> None:
    project = scripted_project(tmp_path, CUSTOMERS, fail="quota")
    report = project.sync()
    assert report.exit_code == ExitCode.QUOTA
    assert report.results[0].status == "quota"
    assert [r["source_id"] for r in project.rows("customers")] == [
        "c1",
        "c2",
    ]  # the first batch is kept
    write_source(project.root / "source.json", CUSTOMERS)
    report = project.sync()
    assert report.exit_code == ExitCode.OK
    assert report.results[0].inserted == 1  # only c3 was still missing
    assert [r["source_id"] for r in project.rows("customers")] == ["c1", "c2", "c3"]


def test_auth_failure_gives_the_source_exit_code(tmp_path: Path) -> None:
    project = scripted_project(tmp_path, CUSTOMERS, fail="auth")
    report = project.sync()
    assert report.exit_code == ExitCode.SOURCE
    assert report.results[0].status == "source-error"


def cli(project: Project, *args: str) -> int:
    return run(["-C", str(project.config_path), *args])


def test_bad_config_is_one_line_with_exit_code_2(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    example.sync()
    before = example.rows("customers")
    text = example.config_path.read_text(encoding="utf-8")
    example.config_path.write_text(
        text.replace('folder = "data"', 'folder = "data"\nfolderr = "x"'), encoding="utf-8"
    )
    assert cli(example, "sync") == ExitCode.CONFIG
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {example.config_path}: connections.files.folderr: unknown key"]

    example.config_path.write_text(
        text.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'), encoding="utf-8"
    )
    assert cli(example, "sync") == ExitCode.CONFIG
    assert "timezone: unknown time zone 'Mars/Olympus'" in capsys.readouterr().err

    example.config_path.write_text(
        text + '\n[connections.zoho]\nadapter = "nope"\n', encoding="utf-8"
    )
    assert cli(example, "sync") == ExitCode.CONFIG
    assert (
        "connections.zoho.adapter: no adapter named 'nope' (installed: " in capsys.readouterr().err
    )

    example.config_path.write_text("store = [", encoding="utf-8")
    assert cli(example, "sync") == ExitCode.CONFIG
    assert "invalid TOML" in capsys.readouterr().err
    example.config_path.write_text(text, encoding="utf-8")
    assert example.rows("customers") == before


def test_missing_file_fails_its_stream_only(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    example.sync()
    before = example.rows("goals")
    (example.root / "data" / "goals.csv").unlink()
    (example.root / "data" / "managers.csv").write_text("id,name\nM1,新经理\n", encoding="utf-8")
    assert cli(example, "sync") == ExitCode.FAILED
    err = capsys.readouterr().err
    assert f"{example.root / 'data' / 'goals.csv'}: no such file" in err
    assert example.rows("goals") == before  # nothing lost, nothing tombstoned
    assert (
        len([r for r in example.rows("managers") if not r["deleted_at"]]) == 1
    )  # other streams ran


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "is an Excel workbook (xlsx), not CSV"),
        (b"\x00\x01\x02binary\x00", "looks binary or UTF-16 without a byte-order mark"),
        (
            "客户编号,客户名称\nC1,甲公司\n".encode("gb18030"),
            "line 1: bytes that are not valid utf-8",
        ),
    ],
)
def test_unreadable_files_say_why(
    example: Project, content: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    example.sync()
    before = example.rows("customers")
    text = example.config_path.read_text(encoding="utf-8").replace(
        'encoding = "gb18030"', 'encoding = "utf-8"'
    )
    if content.startswith(b"PK") or content.startswith(b"\x00"):
        text = text.replace('encoding = "utf-8"', 'encoding = "auto"')
    example.config_path.write_text(text, encoding="utf-8")
    (example.root / "data" / "customers.csv").write_bytes(content)
    assert cli(example, "sync", "--stream", "customers") == ExitCode.FAILED
    assert message in capsys.readouterr().err
    assert example.rows("customers") == before


def test_a_broken_row_is_one_reject_naming_file_row_and_column(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    example.sync()
    path = example.root / "data" / "activities.csv"
    rows = read_csv(path)
    rows[10][4] = "2026-02-30 09:00"
    rows[11][12] = "forever"
    write_csv(path, rows)
    assert cli(example, "sync", "-s", "activities", "--json") == ExitCode.REJECTS
    assert cli(example, "rejects", "--json", "-s", "activities") == 0
    out = capsys.readouterr().out
    assert (
        "activities.csv:11: column 跟进时间 (occurred_at): not a date and time: '2026-02-30 09:00'"
        in out
        or "activities.csv:11: column 跟进时间 (occurred_at)" in out
    )
    assert "activities.csv:12: column 通话时长 (duration_seconds): not a duration: 'forever'" in out
    # the two rows keep their last good version: a typo does not delete a record
    live = {r["source_id"]: r for r in example.rows("activities") if not r["deleted_at"]}
    assert len(live) == 3201
    assert live[rows[10][0]]["occurred_at"] is not None


def test_rejects_are_replayed_after_the_source_is_fixed(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    example.sync()
    path = example.root / "data" / "goals.csv"
    rows = read_csv(path, "utf-8")
    assert rows[-1][3] == "TBD"
    rows[-1][3] = "0.9"
    write_csv(path, rows, "utf-8")
    assert (
        cli(example, "rejects", "replay", "--json") == ExitCode.REJECTS
    )  # other streams still reject
    capsys.readouterr()
    assert cli(example, "rejects", "--all", "--json", "-s", "goals") == 0
    out = capsys.readouterr().out
    assert '"resolution": "stored"' in out
    goals = [r for r in example.rows("goals") if r["metric"] == "retention_rate"]
    assert len(goals) == 1 and str(goals[0]["target"]) == "0.9000"


def test_sqlite_and_postgresql_end_with_identical_stores(tmp_path: Path, postgres_url: str) -> None:
    lite = example_project(tmp_path / "lite")
    pg = example_project(tmp_path / "pg", postgres_url)
    for project in (lite, pg):
        project.sync()
        path = project.root / "data" / "activities.csv"
        rows = read_csv(path)
        rows[5][7] = "¥77.70"
        del rows[9]
        write_csv(path, rows)
        project.sync()
    for entity in ENTITIES:
        assert lite.rows(entity) == pg.rows(entity), entity

    def reject_view(project: Project) -> list[tuple[str, str, str | None]]:
        with project.store.read() as conn:
            return sorted((r.stream, r.reason, r.resolution) for r in conn.execute(select(rejects)))

    assert reject_view(lite) == reject_view(pg)


def test_unresolved_references_are_counted_and_resolved_when_their_target_arrives(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("id,name,owner\nC1,甲,M1\nC2,乙,M9\n", encoding="utf-8")
    (data / "managers.csv").write_text("id,name\nM1,张伟\n", encoding="utf-8")
    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": str(data)}})
    first = {r.stream: r.unresolved for r in project.sync().results}
    assert first == {"managers": 0, "customers": 1}  # C2's owner M9 is not there (kept, counted)
    again = {r.stream: r.unresolved for r in project.sync().results}
    assert again == first  # nothing changed: the count is carried over, not recomputed
    (data / "managers.csv").write_text("id,name\nM1,张伟\nM9,王芳\n", encoding="utf-8")
    fixed = {r.stream: r.unresolved for r in project.sync().results}
    assert fixed == {"managers": 0, "customers": 0}
    owners = {r["source_id"]: r["owner_id"] for r in project.rows("customers")}
    assert owners["C2"] is not None


def test_a_record_that_turns_into_a_reject_keeps_its_last_good_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "managers.csv").write_text(
        "id,name,hired_at\nM1,Bob,2024-01-05\nM2,Ann,2024-02-01\n", encoding="utf-8"
    )
    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": str(data)}})
    project.sync()
    (data / "managers.csv").write_text(
        "id,name,hired_at\nM1,Bob,2024-13-45\nM2,Ann,2024-02-01\n", encoding="utf-8"
    )
    (result,) = project.sync().results
    assert (result.rejected, result.deleted) == (1, 0)
    bob = next(r for r in project.rows("managers") if r["source_id"] == "M1")
    assert not bob["deleted_at"] and str(bob["hired_at"]) == "2024-01-05"


def test_references_into_a_connection_synced_separately_resolve_later(tmp_path: Path) -> None:
    crm, hr = tmp_path / "crm", tmp_path / "hr"
    crm.mkdir()
    hr.mkdir()
    (crm / "customers.csv").write_text("id,name,owner\nC1,甲,E1001\n", encoding="utf-8")
    (hr / "managers.csv").write_text("id,name\nE1001,张伟\n", encoding="utf-8")
    project = Project(tmp_path)
    project.configure(
        {
            "crm": {"adapter": "csv", "folder": str(crm), "references": {"managers": "hr"}},
            "hr": {"adapter": "csv", "folder": str(hr)},
        }
    )
    assert project.sync(connections=["crm"]).results[0].unresolved == 1
    project.sync(connections=["hr"])  # a separate job, as schedulers often run them
    report = project.sync()  # crm's data did not change, its references still resolve
    assert {(r.connection, r.stream): r.unresolved for r in report.results}[
        ("crm", "customers")
    ] == 0
    (customer,) = project.rows("customers")
    assert customer["owner_id"] is not None


def test_a_batch_the_store_refuses_fails_with_the_database_reason_only(
    tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL refuses NUL in text; the message must not carry other records' data."""
    registry = load_registry()
    registry.register(ScriptedPlugin(), name="scripted")
    project = Project(tmp_path, store_url=postgres_url, registry=registry)
    customers = [
        {"id": "c1", "name": "call 13812345678", "updated": "2026-01-01T00:00:00+00:00"},
        {"id": "c2", "name": "bad\x00name", "updated": "2026-01-02T00:00:00+00:00"},
    ]
    write_source(tmp_path / "source.json", customers)
    project.configure(
        {"crm": {"adapter": "scripted", "source_file": str(tmp_path / "source.json")}}
    )
    (result,) = project.sync().results
    assert result.status == "failed"
    assert result.error.startswith("the store refused a batch: ")
    assert "13812345678" not in result.error and "INSERT" not in result.error
    assert project.rows("customers") == []  # the batch is all or nothing


def test_a_fixed_row_resolves_its_reject_when_it_lands_on_both_stores(
    tmp_path: Path, store_url: str
) -> None:
    """The rejects a batch's landed rows fix are found by the batch's ids in one
    statement (a JSON array on SQLite, an array on PostgreSQL)."""
    example = example_project(tmp_path / "p", store_url)
    path = example.root / "data" / "activities.csv"
    rows = read_csv(path)
    good = rows[11][12]
    rows[11][12] = "forever"
    write_csv(path, rows)
    example.sync()
    rows[11][12] = good
    write_csv(path, rows)
    example.sync(streams=("activities",))
    with example.store.read() as conn:
        found = conn.execute(
            select(rejects.c.resolution).where(rejects.c.source_id == rows[11][0])
        ).all()
    assert found == [("stored",)]
