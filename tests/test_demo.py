"""`hub demo`: one command from nothing to a synced three-source project with a report."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.cli import run
from hub.config import load_config
from hub.demo import steps
from hub.demo.company import PERIOD, build_company
from hub.errors import ExitCode
from hub.store.database import Store
from hub.store.tables import entity_tables


def hub(folder: Path, *args: str) -> int:
    return run(["-C", str(folder / "hub.toml"), *args])


def listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    assert run(["demo", str(folder)]) == 0
    return folder


def test_demo_syncs_all_three_sources_runs_rules_and_writes_a_report(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub(demo_dir, "runs", "--json") == 0
    streams = json.loads(capsys.readouterr().out)[0]["streams"]
    read = {}
    for s in streams:
        assert s["status"] in ("ok", "rejects"), s
        read[s["connection"]] = read.get(s["connection"], 0) + s["read"]
    assert set(read) == {"hr", "fxiaoke", "zoho"} and all(n > 0 for n in read.values())

    report = (demo_dir / f"report-{PERIOD}.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "Mingyuan" in report
    assert "scorecard" in report and "incentives" in report and "compliance" in report
    assert "13800138001" not in report and "王芳" not in report  # people stay masked
    assert "<script" not in report and "http" not in report  # self-contained

    assert hub(demo_dir, "period", "status", "--json") == 0
    periods = json.loads(capsys.readouterr().out)
    assert [p["period"] for p in periods] == [PERIOD]


def test_demo_keeps_its_broken_rows_visible_as_rejects(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub(demo_dir, "rejects", "--json") == 0
    reasons = sorted(r["reason"] for r in json.loads(capsys.readouterr().out))
    assert len(reasons) == 4
    assert any("managers.csv:13: column id" in r for r in reasons)
    assert any("managers.csv:14: column hired_at: not a date: '2026/2/30'" in r for r in reasons)
    assert any(r.startswith("AccountObj ") and "name: empty" in r for r in reasons)
    assert any(r.startswith("Accounts ") and "Account_Name: missing" in r for r in reasons)


def test_demo_data_has_the_overlaps_identity_resolution_needs(demo_dir: Path) -> None:
    store = Store(load_config(str(demo_dir / "hub.toml")).store_url())
    managers, customers = entity_tables["managers"], entity_tables["customers"]
    with store.read() as conn:
        people = conn.execute(select(managers.c.source, managers.c.name, managers.c.email)).all()
        codes = conn.execute(
            select(customers.c.source, customers.c.credit_code).where(
                customers.c.credit_code.is_not(None)
            )
        ).all()
    director = {(s, n) for s, n, e in people if e == "zhang.wei@mingyuan.example"}
    assert director == {("hr", "张伟"), ("fxiaoke", "张伟"), ("zoho", "Wei Zhang")}
    fxiaoke = {c for s, c in codes if s == "fxiaoke" and c}
    zoho = {c for s, c in codes if s == "zoho" and c}
    assert len(zoho) == 3 and {c.upper() for c in zoho} <= fxiaoke
    assert all(c != c.upper() for c in zoho)  # the same companies, the code in another case


def test_demo_statement_and_close_follow_the_printed_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert run(["demo", str(folder)]) == 0
    out = capsys.readouterr().out
    statement = next(line.strip() for line in out.splitlines() if "report statement" in line)
    args = statement.split()[1:]  # drop "hub"
    assert run(args) == 0
    assert "commission" in capsys.readouterr().out
    assert hub(folder, "period", "close", PERIOD) == 0  # every payable could be evaluated
    # the same folder again: allowed (it is a demo), a new rules version, same data
    assert run(["demo", str(folder)]) == 0
    assert "version 2" in capsys.readouterr().out


def test_demo_refuses_a_folder_that_holds_something_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert run(["demo", str(tmp_path)]) == ExitCode.CONFIG
    assert "folder is not empty and not a demo" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert run(["demo", str(tmp_path / "notes.txt")]) == ExitCode.CONFIG
    assert "notes.txt' is a file" in capsys.readouterr().err
    assert run(["demo", "/proc/no/such/demo"]) == ExitCode.CONFIG
    assert "/proc/no/such/demo: cannot create the folder" in capsys.readouterr().err


def test_the_written_hub_toml_reaches_the_fakes_while_they_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `hub demo --serve` leaves running: a later `hub check` / `hub sync` works."""
    demo = steps.DemoRun(tmp_path, fixed_ports=False)
    try:
        for step in (steps.build_data, steps.start_fakes, steps.write_files):
            step(demo)
        assert hub(tmp_path, "check") == 0
        assert capsys.readouterr().out.count("ok ") == 3
        assert hub(tmp_path, "sync") == ExitCode.REJECTS
        assert hub(tmp_path, "sync") == ExitCode.OK  # nothing new
    finally:
        assert demo.running is not None
        demo.running.stop()
    assert not listening(demo.running.fxiaoke_url) and not listening(demo.running.zoho_url)


def test_serve_keeps_the_fakes_up_until_stopped(tmp_path: Path) -> None:
    stop = threading.Event()
    done: list[steps.DemoRun] = []
    thread = threading.Thread(
        target=lambda: done.append(
            steps.run_demo(tmp_path, serve=True, force=False, fixed_ports=False, stop=stop)
        )
    )
    thread.start()
    try:
        report = tmp_path / f"report-{PERIOD}.html"
        for _ in range(600):  # at most 60 s
            if report.exists() or not thread.is_alive():
                break
            time.sleep(0.1)
        assert report.exists() and thread.is_alive()
        assert hub(tmp_path, "check") == 0  # a later command reaches the served fakes
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and done
    assert done[0].running is not None and not listening(done[0].running.zoho_url)


def test_the_company_is_the_same_every_time() -> None:
    first, second = build_company(), build_company()
    assert first.activities == second.activities and first.goals == second.goals
    assert len({a.key for a in first.activities}) == len(first.activities)


def test_unified_managers_carry_hrs_team_and_employee_number(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CRMs' records of a person have no team; HR's roster does, and the demo's
    `[identity.managers]` lets it win: reports and a lead's dashboard scope see it."""
    assert hub(demo_dir, "report", "scorecard", "-p", PERIOD, "--format", "json") == 0
    cards = json.loads(capsys.readouterr().out)["scorecards"]
    in_hr = [c for c in cards if c["manager"].startswith("E")]
    assert len(in_hr) >= 10  # every roster person with goals, whichever record anchors them
    assert all(c["team"] in ("domestic", "foreign_trade") for c in in_hr), in_hr
    assert not any(c["manager"].startswith("FSUID_") and c["team"] for c in cards)

    from hub.web.data import Scope
    from hub.web.users import User

    store = Store(load_config(str(demo_dir / "hub.toml")).store_url())
    managers = entity_tables["managers"]
    lead = Scope(User(1, "lead", "lead", None, "domestic", None))
    with store.read() as conn:
        reached = set(conn.execute(lead.manager_ids()).scalars())
        wang = conn.execute(
            select(managers.c.id, managers.c.source).where(
                managers.c.name == "王芳"  # domestic, in HR and Fxiaoke
            )
        ).all()
    assert {s for _, s in wang} == {"hr", "fxiaoke"}
    assert {i for i, _ in wang} <= reached  # the Fxiaoke record too, whose own team is empty

    from hub.web import data, users

    with store.read() as conn:
        zhang = users.get(conn, "zhang.wei")  # the demo's lead, named by employee number
        assert zhang is not None and (zhang.role, zhang.team) == ("lead", "domestic")
        board = data.overview(conn, PERIOD, Scope(zhang))
    names = {c["manager"] for c in board["cards"]}
    assert len(names) >= 5 and all(c["team"] == "domestic" for c in board["cards"])
    assert [t["team"] for t in board["teams"]] == ["domestic"]
    assert list(board["trend"]["teams"]) == ["domestic"]  # not "—": the CRM records' own team
