"""`hub new adapter NAME`, `hub new rule NAME`: start a plugin from a working scaffold."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def new() -> None:
    """Write a pip-installable plugin distribution to start from."""


def _write(kind: str, name: str, into: str | None) -> None:
    from hub.scaffold import names, write_scaffold

    target = write_scaffold(kind, name, Path(into) if into else None)
    snake = names(kind, name)["snake"]
    click.echo(f"wrote {target}/: the {kind} plugin `{snake}`, with its tests and README")
    click.echo(f"next: pip install -e {target} && pytest {target} && hub plugins")


@new.command("adapter")
@click.argument("name")
@click.option("--into", type=click.Path(file_okay=False), help="Folder (default ./hub-NAME).")
def new_adapter(name: str, into: str | None) -> None:
    """An adapter: settings, client, mapping, a fake API and the contract tests."""
    _write("adapter", name, into)


@new.command("rule")
@click.argument("name")
@click.option("--into", type=click.Path(file_okay=False), help="Folder (default ./hub-rule-NAME).")
def new_rule(name: str, into: str | None) -> None:
    """A compliance rule: parameters, evaluate, RuleSpec and tests on a RuleTestbed."""
    _write("rule", name, into)
