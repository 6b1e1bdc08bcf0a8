"""Serving the fake Fxiaoke on loopback: `hub fake-fxiaoke`.

The same `FakeFxiaoke.handle` that tests mount with respx answers real HTTP
here, so a newcomer can run `hub sync` against a "Fxiaoke" without an
account, and benchmarks can measure a sync with real sockets and latency.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click
import httpx

from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFxiaoke
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = httpx.Request(
            self.command,
            f"http://{self.headers.get('Host', 'localhost')}{self.path}",
            headers=dict(self.headers.items()),
            content=body,
        )
        response = self.fake.handle(request)
        payload = response.content
        self.send_response(response.status_code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _serve
    do_GET = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: a benchmark sends thousands of requests


class FakeServer:
    """A FakeFxiaoke on a loopback port, in a background thread."""

    def __init__(self, fake: FakeFxiaoke, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.fake = fake
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connection_toml(name: str, settings: dict[str, str]) -> str:
    """The [connections.NAME] table for hub.toml (flat string settings only)."""
    lines = [f"[connections.{name}]", 'adapter = "fxiaoke"']
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    return "\n".join(lines)


@click.command("fake-fxiaoke")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--accounts",
    default=2000,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="AccountObj records.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60_000),
    help="Added per request.",
)
@click.option(
    "--daily-quota",
    default=None,
    type=click.IntRange(0, 10**12),
    help="Calls per day before errorCode 30002.",
)
@click.option("--calls-per-20s", default=100, show_default=True, type=click.IntRange(1, 10**6))
@click.option("--oauth", is_flag=True, help="Print settings for the /oauth2.0/token flow.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(0, 2**32 - 1))
def fake_fxiaoke(
    host: str,
    port: int,
    accounts: int,
    latency_ms: float,
    daily_quota: int | None,
    calls_per_20s: int,
    oauth: bool,
    seed: int,
) -> None:
    """Serve a fake Fxiaoke tenant on loopback (for demos and benchmarks).

    Prints the [connections] table to paste into hub.toml, then serves until
    interrupted. Follow-ups, visits, orders and payments are generated in
    proportion to --accounts (1.6, 0.5, 0.7 and 0.5 per account)."""
    fake = FakeFxiaoke(
        latency=latency_ms / 1000, daily_quota=daily_quota, calls_per_20s=calls_per_20s
    )
    populate(fake, DemoSizes(accounts=accounts), seed=seed)
    fake.custom_fields["ActiveRecordObj"] = {"hub_action_key__c"}  # ready for `hub actions`
    server = FakeServer(fake, host, port)
    records = sum(len(t) for t in fake.objects.values())
    settings = fake.settings(server.url, "oauth" if oauth else "legacy")
    click.echo(f"fake Fxiaoke at {server.url}: {records} records; add to hub.toml:\n", err=True)
    click.echo(connection_toml("fxiaoke", settings))
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
