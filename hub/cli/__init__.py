"""The `hub` command line.

Every failure the user can fix is one line on stderr and a documented exit
code (see `hub.errors.ExitCode`); nothing prompts, so schedulers can run it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
from typing import Any

import click

from hub import __version__, logs, secrets
from hub.errors import ExitCode, HubError
from hub.plugins import get_registry

# Command name -> "module:attribute". A command's module is imported only when
# the command runs, so `hub --version` or `hub sync` do not pay for the rest.
COMMANDS = {
    "init": "hub.cli.project:init",
    "check": "hub.cli.project:check",
    "plugins": "hub.cli.project:plugins",
    "db": "hub.cli.project:db",
    "schemas": "hub.cli.project:schemas",
    "sync": "hub.cli.syncing:sync",
    "runs": "hub.cli.syncing:runs",
    "rejects": "hub.cli.syncing:rejects",
    "state": "hub.cli.syncing:state",
    "export": "hub.cli.data:export",
    "identity": "hub.cli.identity:identity",
    "rules": "hub.cli.rules:rules",
    "period": "hub.cli.rules:period",
    "report": "hub.cli.reports:report",
    "demo": "hub.cli.demo:demo",
    "new": "hub.cli.new:new",
    "worker": "hub.cli.engine:worker",
    "workers": "hub.cli.engine:workers",
    "scheduler": "hub.cli.engine:scheduler",
    "actions": "hub.cli.actions:actions",
    "serve": "hub.cli.serve:serve",
    "users": "hub.cli.users:users",
}


class HubGroup(click.Group):
    """Loads its commands lazily, adds the commands plugins register."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self._plugin_commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, _, attribute = COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return self._plugin_commands().get(name)

    def _plugin_commands(self) -> dict[str, click.Command]:
        try:
            return {name: cmd for name, (cmd, _) in get_registry().commands.items()}
        except HubError:
            return {}


@click.group(cls=HubGroup)
@click.version_option(__version__, prog_name="hub")
@click.option(
    "--config",
    "-C",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="HUB_CONFIG",
    help="hub.toml to use (default: ./hub.toml, or $HUB_CONFIG).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="HUB_LOG_FORMAT",
    show_default=True,
    help="json: one JSON object per log line, for schedulers and log shippers.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    envvar="HUB_LOG_LEVEL",
    show_default=True,
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_format: str, log_level: str) -> None:
    """Sync customers, managers, activities and goals into one store."""
    logs.setup(log_format, log_level)
    ctx.obj = {"config_path": config_path, "log_format": log_format}


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (what `main` exits with).

    Nothing escapes as a traceback: a usage mistake is one line and exit 2,
    a hub error its own exit code, a file the OS refuses one line naming it,
    and anything unforeseen one line too (the traceback goes to the debug log).
    """
    try:
        code = cli.main(args=args, prog_name="hub", standalone_mode=False)
    except HubError as exc:
        return _fail(str(exc), int(exc.exit_code))
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        return _fail(usage_line(exc), int(ExitCode.CONFIG))
    except click.ClickException as exc:
        return _fail(exc.format_message(), ExitCode.CONFIG if exc.exit_code == 2 else exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _quiet_stdout()  # `hub export | head`: the reader left, which is not an error
        return int(ExitCode.FAILED)
    except OSError as exc:
        return _fail(os_error_line(exc), int(ExitCode.FAILED))
    except Exception as exc:
        logging.getLogger("hub").debug("unexpected error", exc_info=True)
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (a bug in hub or a plugin; "
            "--log-level debug shows where)",
            int(ExitCode.FAILED),
        )
    return code if isinstance(code, int) else 0


def _fail(message: str, code: int) -> int:
    """One line on stderr, secrets redacted, whatever the message held."""
    line = " ".join(secrets.redact(message).split())
    with contextlib.suppress(OSError):
        click.echo(f"error: {line}", err=True)
    return code


def usage_line(exc: click.UsageError) -> str:
    """click's usage block as one line: what is wrong, and where help is."""
    command = exc.ctx.command_path if exc.ctx else "hub"
    return f"{exc.format_message()} (see `{command} --help`)"


def os_error_line(exc: OSError) -> str:
    """`/dev/full: No space left on device`: the file and the system's reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    names = [n for n in (exc.filename, exc.filename2) if n]
    return f"{' -> '.join(map(str, names))}: {reason}" if names else reason


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    """Console entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    code = run()
    try:
        sys.stdout.flush()  # a full disk behind `> file` is reported, not a traceback at exit
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as exc:
        _quiet_stdout()
        code = _fail(f"standard output: {os_error_line(exc)}", int(ExitCode.FAILED))
    sys.exit(code)


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


__all__ = ["COMMANDS", "cli", "main", "run"]
