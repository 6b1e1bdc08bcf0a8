"""The CLI as a scheduler and an admin use it: outputs and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from hub.cli import run
from hub.errors import ExitCode
from hub.testing import Project


def cli(project: Project, *args: str) -> int:
    return run(["-C", str(project.config_path), *args])


def test_init_writes_a_commented_starter_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init"]) == 0
    text = (tmp_path / "hub.toml").read_text(encoding="utf-8")
    assert text.startswith("# hub.toml") and 'adapter = "csv"' in text
    assert run(["init"]) == ExitCode.CONFIG
    assert "already exists (use --force to overwrite)" in capsys.readouterr().err
    assert run(["init", "--force"]) == 0


def test_init_example_then_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["init", "--example", str(tmp_path / "demo")]) == 0
    assert "cd " in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "demo" / "data").iterdir()) == [
        "activities.csv",
        "customers.csv",
        "goals.csv",
        "managers.csv",
    ]
    assert run(["init", "--example", str(tmp_path / "demo")]) == ExitCode.CONFIG
    monkeypatch.chdir(tmp_path / "demo")
    assert run(["sync"]) == ExitCode.REJECTS
    out = capsys.readouterr()
    assert "run 1" in out.out and "finished with rejects: see `hub rejects`" in out.err
    assert run(["sync", "--json"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok" and report["run_id"] == 2
    assert {s["stream"]: s["read"] for s in report["streams"]} == {
        "managers": 0,
        "customers": 0,
        "activities": 0,
        "goals": 0,
    }


def test_check_reports_each_connection(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(example, "check") == 0
    assert (
        "ok   files: managers: managers.csv (utf-8); customers: customers.csv (gb18030)"
        in capsys.readouterr().out
    )
    text = example.config_path.read_text(encoding="utf-8")
    example.config_path.write_text(
        text + '\n[connections.gone]\nadapter = "csv"\nfolder = "nowhere"\n', encoding="utf-8"
    )
    assert cli(example, "check", "--json") == ExitCode.SOURCE
    results = {r["connection"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["files"]["ok"] is True and results["files"]["streams"] == [
        "managers",
        "customers",
        "activities",
        "goals",
    ]
    assert results["gone"] == {
        "connection": "gone",
        "ok": False,
        "message": f"folder {example.root / 'nowhere'} does not exist",
        "streams": [],
    }
    assert cli(example, "check", "nope") == ExitCode.CONFIG


def test_runs_rejects_and_state(example: Project, capsys: pytest.CaptureFixture[str]) -> None:
    cli(example, "sync")
    capsys.readouterr()
    assert cli(example, "runs", "--json") == 0
    (latest,) = json.loads(capsys.readouterr().out)
    assert latest["status"] == "rejects" and latest["exit_code"] == 5
    assert {s["stream"]: s["inserted"] for s in latest["streams"]} == {
        "managers": 20,
        "customers": 301,
        "activities": 3201,
        "goals": 288,
    }
    assert cli(example, "runs") == 0
    assert "files/activities" in capsys.readouterr().out

    assert cli(example, "rejects", "--json") == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 7
    manager_reject = next(r for r in items if r["stream"] == "managers")
    assert manager_reject["raw"]["phone"].count("*") == 4  # masked: 138****5678
    assert manager_reject["raw"]["name"] == "孙**"

    assert cli(example, "state") == 0
    assert "files" in capsys.readouterr().out
    assert cli(example, "state", "show", "--json") == 0
    states = json.loads(capsys.readouterr().out)
    assert {s["stream"] for s in states} == {"managers", "customers", "activities", "goals"}
    assert all(s["state"]["complete"] for s in states)

    assert cli(example, "state", "reset") == ExitCode.CONFIG
    assert "name a --connection" in capsys.readouterr().err
    assert cli(example, "state", "reset", "-c", "files", "-s", "goals") == 0
    assert "reset 1 stream state(s)" in capsys.readouterr().out
    assert cli(example, "sync", "--json") == ExitCode.REJECTS  # goals read again, the TBD row again
    report = json.loads(capsys.readouterr().out)
    assert {s["stream"]: s["read"] for s in report["streams"]}["goals"] == 289
    assert {s["stream"]: s["unchanged"] for s in report["streams"]}["goals"] == 288


def test_export_masks_personal_data_unless_asked(
    example: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli(example, "sync")
    capsys.readouterr()
    assert cli(example, "export", "customers", "--format", "json") == 0
    customers = json.loads(capsys.readouterr().out)
    assert len(customers) == 301
    phones = [c["phone"] for c in customers if c["phone"]]
    assert phones and all("****" in p for p in phones)
    person = next(c for c in customers if c["kind"] == "person")
    assert person["name"].endswith("**")

    target = tmp_path / "customers.csv"
    assert cli(example, "export", "customers", "--unmasked", "-o", str(target)) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 301 and any(r["phone"].isdigit() for r in rows)
    assert any(json.loads(r["extra"]).get("wechat", "").startswith("wx_") for r in rows)

    assert cli(example, "export", "activities", "--to", "files") == 0
    written = (example.root / "data" / "export" / "activities.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    assert written.count(b"\r\n") == 3201 + 1


def test_db_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(tmp_path)
    project.configure({})
    assert cli(project, "db", "status") == 0
    assert "current: (empty)" in capsys.readouterr().out
    assert cli(project, "db", "upgrade") == 0
    assert "upgraded to" in capsys.readouterr().out
    assert cli(project, "db", "upgrade") == 0
    assert "already at" in capsys.readouterr().out


def test_json_logs_for_schedulers(example: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-C", str(example.config_path), "--log-format", "json", "sync"]) == ExitCode.REJECTS
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    finished = [line for line in lines if line["message"].startswith("files/activities: 3205 read")]
    assert finished and finished[0]["level"] == "info"
    assert finished[0]["connection"] == "files" and finished[0]["rejected"] == 4


def test_schemas_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(["schemas", "--out", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert run(["schemas", "--out", str(tmp_path)]) == 0
    assert run(["schemas", "--out", str(tmp_path), "--check"]) == 0


def test_unknown_stream_is_a_config_error(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(example, "sync", "--stream", "orders") == ExitCode.CONFIG
    assert "--stream orders: no such stream in files" in capsys.readouterr().err


def test_an_unreachable_store_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project(tmp_path, store_url="postgresql+psycopg://hub:pw-not-shown@127.0.0.1:9/hub")
    project.configure({"files": {"adapter": "csv", "folder": str(tmp_path)}})
    (tmp_path / "managers.csv").write_text("id,name\nM1,a\n", encoding="utf-8")
    assert cli(project, "sync") == ExitCode.FAILED
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "error: store postgresql+psycopg://hub:***@127.0.0.1:9/hub: cannot connect"
    )
    assert "pw-not-shown" not in err and "\n" not in err
