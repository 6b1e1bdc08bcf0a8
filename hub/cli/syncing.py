"""`hub sync`, and what it leaves behind: `hub runs`, `hub rejects`, `hub state`."""

from __future__ import annotations

import sys

import click

from hub.cli.common import COUNT, config_from, print_json, print_table, store_from, when
from hub.errors import ConfigError, ExitCode
from hub.plugins import get_registry
from hub.sync import rejects as rejects_table
from hub.sync import runs as run_history
from hub.sync import state as sync_state
from hub.sync.engine import SyncEngine, SyncOptions, SyncReport
from hub.sync.lease import Lease
from hub.sync.progress import LogProgress, RichProgress


def _progress() -> LogProgress:
    return RichProgress() if sys.stderr.isatty() else LogProgress()


def _print_report(report: SyncReport, as_json: bool, identity: str | None = None) -> None:
    if as_json:
        print_json(
            {
                "run_id": report.run.run_id,
                "status": report.status,
                "exit_code": int(report.exit_code),
                "error": report.error,
                "notes": report.notes,
                "streams": [r.as_dict() for r in report.results],
                "identity": identity,
            }
        )
        return
    rows = [
        (
            r.connection,
            r.stream,
            r.status,
            r.read,
            r.inserted,
            r.updated,
            r.unchanged,
            r.deleted,
            r.rejected,
            r.unresolved or "",
            r.error or "",
        )
        for r in report.results
    ]
    title = (
        "dry run (nothing written)" if report.run.options.dry_run else f"run {report.run.run_id}"
    )
    print_table(
        title,
        [
            "connection",
            "stream",
            "status",
            "read",
            "new",
            "updated",
            "unchanged",
            "deleted",
            "rejected",
            "unresolved",
            "error",
        ],
        rows,
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if identity:
        click.echo(f"identity: {identity}", err=True)
    if report.exit_code == ExitCode.REJECTS:
        click.echo("finished with rejects: see `hub rejects`", err=True)
    elif report.exit_code != ExitCode.OK:
        click.echo(
            f"sync {report.status}" + (f": {report.error}" if report.error else ""), err=True
        )


@click.command()
@click.option(
    "--connection", "-c", "connections", multiple=True, help="Only this connection (repeatable)."
)
@click.option(
    "--stream", "-s", "streams", multiple=True, help="Only this stream or entity (repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Read and validate, write nothing.")
@click.option("--full-refresh", is_flag=True, help="Ignore saved state; tombstone what is gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option(
    "--engine", "on_engine", is_flag=True, help="Run on the [engine] workers (see `hub worker`)."
)
@click.option("--no-wait", is_flag=True, help="With --engine: print the run id and return.")
@click.option(
    "--timeout", type=float, help="With --engine: stop waiting after this many seconds (exit 1)."
)
@click.pass_context
def sync(
    ctx: click.Context,
    connections: tuple[str, ...],
    streams: tuple[str, ...],
    dry_run: bool,
    full_refresh: bool,
    as_json: bool,
    on_engine: bool,
    no_wait: bool,
    timeout: float | None,
) -> None:
    """Sync connections into the store.

    Exit codes: 0 ok, 1 a stream failed, 2 config error, 3 another sync holds
    the lock, 4 source unreachable or auth failed, 5 finished with rejects,
    6 vendor quota exhausted (resumes next run), 130 interrupted.
    """
    config = config_from(ctx)
    store = store_from(config)
    options = SyncOptions(
        connections=connections, streams=streams, dry_run=dry_run, full_refresh=full_refresh
    )
    identity = None
    if on_engine or no_wait or timeout is not None:
        from hub.cli.engine import sync_on_engine

        report = sync_on_engine(config, options, no_wait=no_wait, timeout=timeout, as_json=as_json)
        if report is None:  # --no-wait: the run id is printed
            ctx.exit(0)
    else:
        engine = SyncEngine(config, get_registry(), store, progress=_progress())
        report = engine.run(options)
        matched = report.exit_code in (ExitCode.OK, ExitCode.REJECTS) and not dry_run
        if matched and config.identity.enabled:
            from hub.identity.resolve import match_all  # after the streams land

            identity = match_all(store, config).summary()
    _print_report(report, as_json, identity)
    ctx.exit(int(report.exit_code))


@click.command()
@click.option("--limit", "-n", default=10, type=COUNT, show_default=True, help="How many runs.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Run history, newest first, with per-stream counts."""
    store = store_from(config_from(ctx))
    if store.current_revision() is None:
        history = []
    else:
        with store.read() as conn:
            history = run_history.recent(conn, limit)
    if as_json:
        print_json(history)
        return
    rows = []
    for run in history:
        rows.append(
            (
                run["id"],
                when(run["started_at"]),
                when(run["finished_at"]),
                run["status"],
                "",
                "",
                "",
                "",
                "",
                "",
                run["host"],
                run["error"] or "",
            )
        )
        for s in run["streams"]:
            rows.append(
                (
                    "",
                    "",
                    "",
                    s["status"],
                    f"{s['connection']}/{s['stream']}",
                    s["read"],
                    s["inserted"],
                    s["updated"],
                    s["deleted"],
                    s["rejected"],
                    s.get("worker") or "",
                    s["error"] or "",
                )
            )
    print_table(
        None,
        [
            "run",
            "started (UTC)",
            "finished",
            "status",
            "stream",
            "read",
            "new",
            "updated",
            "deleted",
            "rejected",
            "host / worker",
            "error",
        ],
        rows,
    )


@click.group(invoke_without_command=True)
@click.option("--connection", "-c", help="Only this connection.")
@click.option("--stream", "-s", help="Only this stream.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved rejects.")
@click.option("--limit", "-n", default=200, type=COUNT, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rejects(
    ctx: click.Context,
    connection: str | None,
    stream: str | None,
    include_resolved: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Records that could not be stored, with the reason (personal data masked)."""
    if ctx.invoked_subcommand is not None:
        return
    store = store_from(config_from(ctx))
    items: list[dict[str, object]] = []
    if store.current_revision() is not None:
        with store.read() as conn:
            items = rejects_table.listing(
                conn,
                connection=connection,
                stream=stream,
                include_resolved=include_resolved,
                limit=limit,
            )
    if as_json:
        print_json(items)
        return
    print_table(
        None,
        ["connection", "stream", "where", "reason", "seen", "last seen (UTC)", "resolved"],
        [
            (
                r["connection"],
                r["stream"],
                r["location"] or r["source_id"] or "",
                r["reason"],
                r["times_seen"],
                when(r["last_seen_at"]),
                r["resolution"] or "",
            )
            for r in items
        ],
    )
    if not items:
        click.echo("no open rejects" if not include_resolved else "no rejects", err=True)


@rejects.command("replay")
@click.option("--connection", "-c", help="Only this connection.")
@click.option("--stream", "-s", help="Only this stream.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rejects_replay(
    ctx: click.Context, connection: str | None, stream: str | None, as_json: bool
) -> None:
    """Read again every stream with open rejects, after you fixed the source or the mapping.

    The streams are re-read completely (like --full-refresh): rejects whose
    records now land are resolved, the others are updated with the new reason.
    """
    config = config_from(ctx)
    store = store_from(config)
    pairs: list[tuple[str, str]] = []
    if store.current_revision() is not None:
        with store.read() as conn:
            pairs = [
                (c, s)
                for c, s, _ in rejects_table.open_streams(conn)
                if (connection is None or c == connection) and (stream is None or s == stream)
            ]
    if not pairs:
        click.echo("no open rejects to replay", err=True)
        return
    engine = SyncEngine(config, get_registry(), store, progress=_progress())
    report = engine.run(SyncOptions(full_refresh=True, only=tuple(pairs)))
    _print_report(report, as_json)
    ctx.exit(int(report.exit_code))


@click.group(invoke_without_command=True)
@click.pass_context
def state(ctx: click.Context) -> None:
    """Saved sync state per connection and stream (`hub state show`, `hub state reset`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(state_show)


@state.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def state_show(ctx: click.Context, as_json: bool = False) -> None:
    """Show the saved checkpoint of every stream."""
    store = store_from(config_from(ctx))
    rows: list[dict[str, object]] = []
    if store.current_revision() is not None:
        with store.read() as conn:
            rows = sync_state.list_all(conn)
    if as_json:
        print_json(rows)
        return
    print_table(
        None,
        ["connection", "stream", "generation", "updated (UTC)", "run", "state"],
        [
            (
                r["connection"],
                r["stream"],
                r["generation"],
                when(r["updated_at"]),
                r["run_id"],
                r["state"],
            )  # type: ignore[arg-type]
            for r in rows
        ],
    )


@state.command("reset")
@click.option("--connection", "-c", help="Reset this connection's streams.")
@click.option("--stream", "-s", help="Reset only this stream.")
@click.option("--all", "everything", is_flag=True, help="Reset every stream of every connection.")
@click.pass_context
def state_reset(
    ctx: click.Context, connection: str | None, stream: str | None, everything: bool
) -> None:
    """Forget checkpoints: the next sync reads those streams from the beginning."""
    if not (connection or everything):
        raise ConfigError("hub state reset: name a --connection (and --stream), or pass --all")
    config = config_from(ctx)
    if connection:
        config.connection(connection)
    store = store_from(config)
    store.upgrade()
    lease = Lease(
        store,
        [connection] if connection else list(config.connections),
        config.sync.lease_ttl_seconds,
    )
    lease.acquire()  # never under a running sync
    try:
        with store.begin() as conn:
            count = sync_state.reset(conn, connection, stream)
    finally:
        lease.release()
    click.echo(f"reset {count} stream state(s)")
