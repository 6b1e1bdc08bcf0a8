"""`hub serve`: the dashboard (see docs/dashboard.md)."""

from __future__ import annotations

import socket

import click

from hub.cli.common import config_from
from hub.errors import ConfigError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the dashboard over the store: team overview, managers' pages and
    statements, findings, customers, sync health. Users: `hub users add`."""
    config = config_from(ctx)
    run_server(config, host, port)


def run_server(config: object, host: str, port: int) -> None:
    try:
        import uvicorn

        from hub.web.app import create_app
    except ImportError as exc:
        raise ConfigError(
            f"hub serve needs the web extra ({exc.name} is missing): pip install 'hub[web]'"
        ) from None
    with socket.socket() as probe:  # uvicorn only logs this and exits: say it in one line
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on {host} ({exc.strerror})") from None
    app = create_app(config)  # type: ignore[arg-type]
    click.echo(f"dashboard on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
