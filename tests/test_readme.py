"""The README's commands work as written: what a newcomer types first."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from hub.cli import run

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def sh_block(section: str) -> list[str]:
    """The command lines of the first ```sh block under the `## section` heading."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", body, re.S)
    assert block, f"no sh block under ## {section}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands_and_ci_runs_exactly_them() -> None:
    first_heading = README.split("\n## ", 2)[1].splitlines()[0]
    assert first_heading == "Two commands"
    install, tests = sh_block("Two commands")
    assert install == (
        "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt "
        "&& .venv/bin/hub demo"
    )
    assert tests == ".venv/bin/pytest"
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert install in ci and tests in ci
    assert ci.index(install) < ci.index(tests)


def test_the_documented_rules_cycle_works_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """17.7: `rules run`, the reports and `period close` as the README shows them."""
    monkeypatch.chdir(tmp_path)
    assert run(["demo"]) == 0  # the README's first command, minus the install
    commands = sh_block("Rules and reports")
    assert any("period close" in c for c in commands)
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "hub"
        assert run(args[1:]) == 0, command
    out = capsys.readouterr().out
    assert "2026-Q3 closed at version 2" in out


def test_the_documented_write_back_works_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub actions plan|apply|list` as the README shows them, on the demo's fakes."""
    from hub.demo.steps import run_demo

    monkeypatch.chdir(tmp_path)
    done = run_demo(tmp_path / "demo", serve=False, force=False, fixed_ports=False)
    assert any("follow-up tasks" in line for line in done.lines)
    # the fakes are gone now: what was written is confirmed, so nothing needs them
    for command in sh_block("Write-back: follow-up tasks in the CRMs"):
        args = shlex.split(command.split("#")[0])
        assert args[0] == "hub"
        assert run(args[1:]) == 0, command
