"""Setting up: `hub init`, `hub check`, `hub plugins`, `hub db`, `hub schemas`."""

from __future__ import annotations

from pathlib import Path

import click

from hub.adapters.contract import Adapter
from hub.cli.common import config_from, print_json, print_table, store_from
from hub.config import HubConfig
from hub.connections import open_adapter, selected
from hub.errors import ConfigError, ExitCode, HubError
from hub.model import json_schemas
from hub.plugins import get_registry
from hub.starter import STARTER_CONFIG
from hub.sync.engine import worst


@click.command()
@click.option(
    "--example",
    "example_dir",
    type=click.Path(file_okay=False),
    help="Write the example project (config + data files) into this folder.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing hub.toml.")
@click.pass_context
def init(ctx: click.Context, example_dir: str | None, force: bool) -> None:
    """Write a commented starter hub.toml (or a whole example project)."""
    if example_dir:
        from hub.example import write_example

        target = Path(example_dir)
        if target.exists() and any(target.iterdir()) and not force:
            raise ConfigError(f"{target}: folder is not empty (use --force to write anyway)")
        summary = write_example(target)
        click.echo(f"wrote the example project to {target}/: {summary}")
        click.echo(f"next: cd {target} && hub sync")
        return
    path = Path(ctx.obj.get("config_path") or "hub.toml")
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"wrote {path}; edit its [connections], then run `hub check`")


@click.command()
@click.argument("connections", nargs=-1)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def check(ctx: click.Context, connections: tuple[str, ...], as_json: bool) -> None:
    """Test each connection's settings, credentials and reachability."""
    config = config_from(ctx, connections=False)  # each connection's verdict is listed below
    registry = get_registry()
    results = []
    codes: list[ExitCode] = []
    for name in selected(config, connections):
        streams: list[str] = []
        try:
            adapter = open_adapter(config, registry, name)
            try:
                outcome = adapter.check()
                problem = None
                if outcome.ok:
                    streams = [s.name for s in adapter.streams()]
                    problem = _check_actions(config, adapter)
            finally:
                adapter.close()
            ok, message = outcome.ok, outcome.message
            if not ok:
                codes.append(ExitCode(outcome.exit_code))
            elif problem:
                ok, message = False, f"write-back: {problem}"
                codes.append(ExitCode.CONFIG)
        except HubError as exc:
            ok, message = False, str(exc)
            codes.append(exc.exit_code)
        results.append({"connection": name, "ok": ok, "message": message, "streams": streams})
    if as_json:
        print_json(results)
    else:
        for r in results:
            mark = "ok  " if r["ok"] else "FAIL"
            click.echo(f"{mark} {r['connection']}: {r['message']}")
        if not results:
            click.echo("no connections configured", err=True)
    ctx.exit(int(worst(codes)))


def _check_actions(config: HubConfig, adapter: Adapter) -> str | None:
    """With [actions] configured, a connection that writes them must be set up for it
    (the key field that makes writes exactly-once); None when it is."""
    writer = adapter.action_writer() if config.actions else None
    return writer.check() if writer is not None else None


@click.command()
@click.option("--json", "as_json", is_flag=True)
def plugins(as_json: bool) -> None:
    """Installed plugins, their versions and what each registers."""
    registry = get_registry()
    infos = registry.infos()
    if as_json:
        print_json([i.as_dict() for i in infos])
        return
    print_table(
        None,
        ["plugin", "distribution", "version", "adapters", "rules", "commands", "hooks / error"],
        [
            (
                i.name,
                i.distribution or "",
                i.version or "",
                ", ".join(i.adapters),
                ", ".join(i.rules),
                ", ".join(i.commands),
                f"FAILED TO LOAD: {i.error}" if i.error else ", ".join(i.hooks),
            )
            for i in infos
        ],
    )


@click.group()
def db() -> None:
    """The store's schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending migrations (`hub sync` also does this by itself)."""
    store = store_from(config_from(ctx))
    applied = store.upgrade()
    click.echo(
        f"{store.display_url}: "
        + ("upgraded to " if applied else "already at ")
        + store.head_revision()
    )


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Show the schema version of the store and the newest one."""
    store = store_from(config_from(ctx))
    current = store.current_revision()
    click.echo(f"store:   {store.display_url}")
    click.echo(f"current: {current or '(empty)'}")
    click.echo(f"newest:  {store.head_revision()}")


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default="schemas", show_default=True)
@click.option(
    "--check", "check_only", is_flag=True, help="Fail if the files differ from the models."
)
@click.pass_context
def schemas(ctx: click.Context, out: str, check_only: bool) -> None:
    """Write schemas/*.json from the canonical models."""
    folder = Path(out)
    stale = []
    for name, text in json_schemas().items():
        path = folder / f"{name}.json"
        if check_only:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    if stale:
        click.echo(f"out of date: {', '.join(stale)} (run `hub schemas`)", err=True)
        ctx.exit(1)
