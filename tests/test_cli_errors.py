"""No command shows a traceback: every mistake is one line and an exit code.

The cases are generated from the click command tree (plugin commands
included), so a new command or option is covered the day it is added: each
option and argument gets values of the wrong kind for its type, each command
an unknown option, and each command that reads hub.toml a missing one.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest

from hub.cli import cli, run
from hub.errors import ExitCode
from hub.testing import Project

from .conftest import example_project

# values a well-formed invocation needs for its required parameters
VALID = {
    "entity": "customers",
    "period_text": "2026-Q3",
    "name": "thing",
    "manager": "M1001",
}
# wrong values, by click type name
BAD = {
    "integer": ["99999999999999999999999", "-99999999999999999999999", "x"],
    "integer range": ["99999999999999999999999", "-99999999999999999999999", "x"],
    "float": ["1e999", "-1e999", "x"],
    "float range": ["1e999", "-1e999", "x"],
    "choice": ["no-such-choice"],
    "file": ["/dev/null/missing/out.csv", "/dev/full"],
    "directory": ["/dev/null/missing", "/dev/full"],
    "path": ["/dev/null/missing", "/dev/full"],
    "text": ["\x00", "../../../../../../etc/passwd"],
}
# commands that never read hub.toml
NO_CONFIG = {
    "demo",
    "init",
    "new adapter",
    "new rule",
    "schemas",
    "plugins",
    "fake-zoho",
    "fake-fxiaoke",
}
SECONDS = 60  # a command still running after this accepted a bad value


def leaves(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name), command


def invocation(command: click.Command, bad: click.Parameter | None, value: str) -> list[str]:
    """The command's required parameters with valid values, and `bad` with `value`."""
    args: list[str] = []
    for param in command.params:
        if param is bad:
            given = value
        elif param.required:
            choices = getattr(param.type, "choices", None)
            given = VALID.get(param.name or "") or (str(choices[0]) if choices else "x")
        else:
            continue
        if isinstance(param, click.Option):
            args += [param.opts[0], given]
        else:
            args.append(given)
    return args


def cases() -> Iterator[tuple[str, list[str]]]:
    for path, command in leaves(cli):
        base = list(path)
        yield " ".join(path), [*base, *invocation(command, None, ""), "--no-such-option"]
        for param in command.params:
            if isinstance(param, click.Option) and (param.is_flag or param.count):
                continue
            for value in BAD.get(param.type.name, BAD["text"]):
                yield " ".join(path), [*base, *invocation(command, param, value)]


class Hung(BaseException):
    pass


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = example_project(tmp_path_factory.mktemp("cli-errors"))
    assert project.sync().exit_code == ExitCode.REJECTS
    return project


@pytest.fixture
def watchdog() -> Iterator[None]:
    def hung(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {SECONDS} s: a bad value was accepted")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def assert_one_line(code: int, err: str, args: list[str]) -> None:
    assert "Traceback" not in err, (args, err)
    if code != 0:
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, (args, err)
        assert code in (ExitCode.CONFIG, ExitCode.FAILED), (args, code, err)


def test_the_tree_covers_plugin_commands_and_subcommands() -> None:
    names = {name for name, _ in cases()}
    assert {"sync", "runs", "export", "report statement", "rejects replay", "fake-zoho"} <= names


@pytest.mark.parametrize(("name", "args"), list(cases()), ids=lambda v: repr(v)[:60])
def test_bad_arguments_are_one_line(
    project: Project,
    name: str,
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    watchdog: None,
) -> None:
    monkeypatch.chdir(tmp_path)  # commands that write into the current folder write here
    code = run(["-C", str(project.config_path), *args])
    out = capsys.readouterr()
    assert_one_line(code, out.err, args)
    if args[-1] == "--no-such-option":
        assert code == ExitCode.CONFIG
        assert out.err.strip().endswith(f"(see `hub {name} --help`)"), out.err


@pytest.mark.parametrize(
    ("name", "command"), [(" ".join(p), c) for p, c in leaves(cli) if " ".join(p) not in NO_CONFIG]
)
def test_a_missing_config_is_one_line_in_every_command(
    name: str,
    command: click.Command,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    watchdog: None,
) -> None:
    missing = tmp_path / "nowhere" / "hub.toml"
    args = [*name.split(), *invocation(command, None, "")]
    code = run(["-C", str(missing), *args])
    err = capsys.readouterr().err
    assert_one_line(code, err, args)
    assert code == ExitCode.CONFIG, (args, err)
    # the file, or a mistake the command finds before it reads the file
    assert str(missing) in err or f"hub {name}:" in err, err


@pytest.mark.parametrize(
    "args",
    [
        ["--log-level", "loud", "runs"],
        ["--log-format", "xml", "runs"],
        ["no-such-command"],
        ["runs", "-n"],
        ["report"],
        ["export", "customers", "--format"],
    ],
)
def test_usage_mistakes_are_one_line_with_the_hint(
    project: Project, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["-C", str(project.config_path), *args])
    err = capsys.readouterr().err
    if args == ["report"]:  # a group without its subcommand shows its help, like git
        assert code in (0, ExitCode.CONFIG)
        return
    assert code == ExitCode.CONFIG
    assert err.count("\n") == 1 and err.startswith("error: ") and "--help`)" in err, err


def test_runs_with_a_huge_limit_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["-C", str(project.config_path), "runs", "-n", "99999999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid value for '--limit' / '-n'") and err.count("\n") == 1


@pytest.mark.parametrize("target", ["/dev/full", "/dev/null/missing/customers.csv"])
def test_export_to_an_unwritable_file_names_it(
    project: Project, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["-C", str(project.config_path), "export", "customers", "-o", target])
    err = capsys.readouterr().err
    assert code == ExitCode.FAILED
    assert err.startswith(f"error: --output {target}: cannot write: ") and err.count("\n") == 1


def test_an_unexpected_exception_is_one_line(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.sync import runs as run_history

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom\nsecond line")

    monkeypatch.setattr(run_history, "recent", broken)
    assert run(["-C", str(project.config_path), "runs"]) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert (
        err
        == "error: unexpected ZeroDivisionError: boom second line (a bug in hub or a plugin; --log-level debug shows where)\n"
    )
