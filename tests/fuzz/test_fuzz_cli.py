"""Every command of the click tree (plugin commands included), with argument
lists hypothesis builds from its own parameters: random option values,
unknown options, missing values, stray arguments. No exception escapes
`hub.cli.run`, no traceback is printed, and a failure is one `error:` line
with exit 2 (usage) or another documented code.

Commands that would run for long with well-formed arguments (the demo, the
fake servers, a sync, a rules run) always get one wrong value as well, so
what is fuzzed is their argument handling, not their work."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.cli import cli, run
from hub.errors import ExitCode
from hub.testing import Project

from ..conftest import example_project
from ..test_cli_errors import leaves

pytestmark = pytest.mark.fuzz

LONG_RUNNING = {
    # serve until stopped, or do a whole job, when their arguments are well formed
    "demo",
    "serve",
    "fake-zoho",
    "fake-fxiaoke",
    "sync",
    "rules run",
    "rejects replay",
    "actions apply",
}
CODES = {int(code) for code in ExitCode}
COMMANDS = [(" ".join(path), command) for path, command in leaves(cli)]
SECONDS = 60

NASTY = st.sampled_from(
    [
        "",
        "-",
        "--",
        "-1",
        "0",
        "99999999999999999999999",
        "1e999",
        "nan",
        "x",
        "\x00",
        "é",
        "/dev/full",
        "/dev/null/x",
        "../../..",
        "2026-Q3",
        "2026-13",
        "customers",
        "files",
        "M1001",
        "--json",
        "--help",
        " ",
        "a" * 300,
    ]
)
VALUE = st.one_of(NASTY, st.text(max_size=12))


class Hung(BaseException):
    pass


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = example_project(tmp_path_factory.mktemp("fuzz-cli"))
    assert project.sync().exit_code == ExitCode.REJECTS
    return project


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Commands write into a folder of their own, and none runs away."""
    monkeypatch.chdir(tmp_path)

    def hung(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {SECONDS} s: a server or a long job? see LONG_RUNNING")

    previous = signal.signal(signal.SIGALRM, hung)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def arguments(command: click.Command, name: str) -> st.SearchStrategy[list[str]]:
    """Argument lists made of the command's own option names and positional
    slots, with random values."""
    options = [p for p in command.params if isinstance(p, click.Option)]
    positional = [p for p in command.params if isinstance(p, click.Argument)]

    def one(param: click.Option) -> st.SearchStrategy[list[str]]:
        flag = st.sampled_from(param.opts + param.secondary_opts)
        if param.is_flag or param.count:
            return flag.map(lambda f: [f])
        return st.tuples(flag, VALUE).map(list)

    pieces = [one(o) for o in options] + [VALUE.map(lambda v: [v]) for _ in positional]
    pieces.append(st.sampled_from([["--no-such-option"], ["stray"], []]))
    body = st.lists(st.one_of(*pieces), max_size=5).map(lambda parts: [a for p in parts for a in p])
    if name in LONG_RUNNING:
        # first, so that no `--` drawn later can turn it into an argument
        body = body.map(lambda args: ["--no-such-option", *args])
    return body


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
@settings(max_examples=max(20, settings.default.max_examples // 3))  # per command: 28 and more
@given(data=st.data())
def test_random_arguments_never_escape(
    project: Project,
    guarded: None,
    capsys: pytest.CaptureFixture[str],
    name: str,
    command: click.Command,
    data: st.DataObject,
) -> None:
    args = [*name.split(), *data.draw(arguments(command, name))]
    # `hub init` writes the config it is given: never the shared project's
    config = Path("hub.toml").resolve() if name == "init" else project.config_path
    capsys.readouterr()
    signal.alarm(SECONDS)
    try:
        code = run(["-C", str(config), *args])
    finally:
        signal.alarm(0)
    err = capsys.readouterr().err
    assert isinstance(code, int) and code in CODES, (args, code)
    assert "Traceback" not in err, (args, err)
    assert "Usage:" not in err, (args, err)  # click's usage block is one line here
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) <= 1, (args, err)
    if code == ExitCode.CONFIG and errors:
        assert errors[0].count("error:") == 1
