"""`hub users …`, `hub serve` errors, `hub report --format html`, `hub demo --serve`."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from hub.cli import run
from hub.errors import ExitCode

from .conftest import Company, login


def hub(company: Company, *args: str, stdin: str | None = None, monkeypatch=None) -> int:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run(["--config", str(company.root / "hub.toml"), *args])


def test_users_add_list_set_role_remove(
    company: Company, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = hub(company, "users", "add", "neo", "--role", "manager", "--manager", "M2",
               "--password-stdin", stdin="s3cret-password\n", monkeypatch=monkeypatch)  # fmt: skip
    assert code == 0 and "added neo (manager)" in capsys.readouterr().out
    assert hub(company, "users", "list", "--json") == 0
    listed = {u["username"]: u for u in json.loads(capsys.readouterr().out)}
    assert listed["neo"] == {"username": "neo", "role": "manager", "team": None, "manager": "M2"}
    assert "s3cret" not in json.dumps(listed)
    assert hub(company, "users", "set-role", "neo", "lead", "--team", "south") == 0
    assert "neo is now lead of south" in capsys.readouterr().out
    login(company.client(), "neo", "s3cret-password")  # the password it was given
    assert hub(company, "users", "remove", "neo") == 0
    assert hub(company, "users", "remove", "neo") == ExitCode.CONFIG
    assert "no user 'neo'" in capsys.readouterr().err


def test_users_add_refuses_bad_input_in_one_line(
    company: Company, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        (["--role", "manager"], "--role manager needs --manager"),
        (["--role", "lead"], "--role lead needs --team"),
        (["--role", "manager", "--manager", "M99"], "--manager M99: no such manager"),
    ]
    for extra, message in cases:
        code = hub(company, "users", "add", "x", *extra, "--password-stdin",
                   stdin="long enough password\n", monkeypatch=monkeypatch)  # fmt: skip
        assert code == ExitCode.CONFIG
        assert message in capsys.readouterr().err
    code = hub(company, "users", "add", "x", "--role", "admin", "--password-stdin",
               stdin="short\n", monkeypatch=monkeypatch)  # fmt: skip
    assert code == ExitCode.CONFIG and "at least 8 characters" in capsys.readouterr().err
    code = hub(company, "users", "add", "ada", "--role", "admin", "--no-password")
    assert code == ExitCode.CONFIG and "exists already" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = hub(company, "users", "add", "y", "--role", "admin")
    assert code == ExitCode.CONFIG and "use --password-stdin" in capsys.readouterr().err


def test_report_format_html_is_one_self_contained_file(company: Company, tmp_path: Path) -> None:
    out = tmp_path / "scorecard.html"
    assert hub(company, "report", "scorecard", "--period", "2026-Q3", "--format", "html",
               "-o", str(out)) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text and "http" not in text
    assert 'class="bar' in text and "M1" in text and "张伟" not in text  # masked by default


def test_serve_refuses_a_taken_port(company: Company, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert hub(company, "serve", "--port", str(port)) == ExitCode.CONFIG
    assert f"--port {port}: cannot listen" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_serve_starts_the_dashboard_on_the_demo_store(tmp_path: Path) -> None:
    from hub.demo import steps

    stop = threading.Event()
    done: list[steps.DemoRun] = []
    output: list[str] = []
    thread = threading.Thread(
        target=lambda: done.append(
            steps.run_demo(tmp_path, serve=True, force=False, fixed_ports=False, stop=stop)
        )
    )
    import click

    real_echo = click.echo
    click.echo = lambda message=None, **kw: output.append(str(message))  # type: ignore[assignment]
    thread.start()
    try:
        for _ in range(600):
            if any("the dashboard at" in line for line in output) or not thread.is_alive():
                break
            time.sleep(0.1)
        line = next(line for line in output if "the dashboard at" in line)
        url = line.split("the dashboard at ")[1].split("/;")[0]
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            assert json.load(response) == {"ok": True}
        with urllib.request.urlopen(f"{url}/login", timeout=10) as response:
            assert b"csrf" in response.read()
        assert any("dashboard users: admin / demo-admin" in line for line in output)
    finally:
        click.echo = real_echo  # type: ignore[assignment]
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
