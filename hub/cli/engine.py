"""`hub worker`, `hub scheduler`, `hub workers`, and `hub sync --engine`."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

import click

from hub.cli.common import config_from, print_json, print_table, store_from, when
from hub.config import HubConfig
from hub.errors import ConfigError, ExitCode
from hub.plugins import get_registry
from hub.sync.results import SyncOptions, SyncReport


def _use_project(config: HubConfig) -> None:
    """Worker processes (and `celery -A hub.engine.app`) find the project through $HUB_CONFIG."""
    os.environ["HUB_CONFIG"] = str(config.path.resolve())


def sync_on_engine(
    config: HubConfig,
    options: SyncOptions,
    *,
    no_wait: bool,
    timeout: float | None,
    as_json: bool,
) -> SyncReport | None:
    """`hub sync --engine`: the run's report, or None with --no-wait (the run id printed)."""
    from hub.engine import dispatch

    if options.dry_run:
        raise ConfigError("--dry-run writes nothing and runs here: leave out --engine")
    store = store_from(config)
    if no_wait:
        run_id, plan = dispatch.send_run(config, get_registry(), store, options)
        if as_json:
            print_json({"run_id": run_id, "streams": [list(p) for p in plan]})
        else:
            click.echo(run_id)
        return None
    return dispatch.run_on_engine(config, get_registry(), store, options, timeout)


@click.command()
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- CELERY OPTIONS]")
@click.pass_context
def worker(ctx: click.Context, celery_args: tuple[str, ...]) -> None:
    """Start a Celery worker for this project's [engine]; options after `--` go to Celery.

    For example `hub worker -- --concurrency 8 --loglevel DEBUG`.
    Equivalent to `HUB_CONFIG=hub.toml celery -A hub.engine.app worker -Q QUEUE`.
    Exit codes: 2 config error (also SQLite with a worker on another host),
    4 the broker cannot be reached.
    """
    from hub.engine.dispatch import check_broker, engine_app
    from hub.engine.workers import check_single_host

    config = config_from(ctx)
    app, settings = engine_app(config)
    store = store_from(config)
    store.upgrade()
    check_single_host(store, socket.gethostname())
    check_broker(app, settings)
    app.conf.broker_connection_max_retries = None  # from now on, ride out broker restarts
    _use_project(config)
    argv = [
        "worker",
        "--queues",
        settings.queue,
        "--concurrency",
        str(settings.concurrency),
        "--hostname",
        f"hub.{os.getpid()}@%h",
        "--loglevel",
        "INFO",
        *celery_args,
    ]
    app.worker_main(argv)


@click.command()
@click.option("--once", is_flag=True, help="Fire what is due this minute, then exit.")
@click.option(
    "--at",
    "at_text",
    help="With --once: fire what was due at this minute instead (e.g. a missed 2026-12-03T02:00).",
)
@click.pass_context
def scheduler(ctx: click.Context, once: bool, at_text: str | None) -> None:
    """Fire the [schedule] entries on time (cron, in the config's time zone).

    Two schedulers never double a tick: the first to record it in the store
    fires it. Exit codes: 2 config error, 4 broker unreachable.
    """
    from hub.engine.schedule import Scheduler

    config = config_from(ctx)
    at = None
    if at_text is not None:
        from hub.cli.rules import parse_as_of

        if not once:
            raise ConfigError("--at needs --once")
        try:
            at = dt.datetime.fromisoformat(at_text)
        except ValueError:
            raise ConfigError(f"--at: {at_text!r} is not a time (e.g. 2026-12-03T02:00)") from None
        at = parse_as_of(at_text, config.zone) if at.tzinfo is None else at
    Scheduler(config, get_registry(), store_from(config)).serve(once=once, at=at)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def workers(ctx: click.Context, as_json: bool) -> None:
    """Live workers (what each is running) and the tasks waiting in the queue."""
    from hub.engine.watch import engine_status

    config = config_from(ctx)
    status = engine_status(config, store_from(config))
    if as_json:
        print_json(status)
        return
    rows: list[tuple[Any, ...]] = [
        (
            w["name"],
            w.get("host", ""),
            w.get("pid", ""),
            w.get("state", ""),
            when(w.get("heartbeat_at")),
            "\n".join(w.get("active", [])),
        )
        for w in status["workers"]
    ]
    print_table(
        f"broker {status['broker']}, queue {status['queue']}: {status['queued']} task(s) waiting",
        ["worker", "host", "pid", "state", "last heartbeat (UTC)", "running"],
        rows,
    )
    if not status["workers"]:
        click.echo("no live worker: start one with `hub worker`", err=True)
    ctx.exit(int(ExitCode.OK))
