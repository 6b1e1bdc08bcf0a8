"""Serving the fake on loopback, for demos and benchmarks (`hub fake-zoho`).

The same `FakeZoho.handle` that tests mount on respx answers real HTTP here:
each request becomes an `httpx.Request`, each thread of the server handles
one connection, so per-request latency and the concurrency limit behave as
they would against Zoho.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from hub_zoho.fake.api import FakeZoho


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeZoho
    origin: str

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = httpx.Request(
            self.command, self.origin + self.path, headers=dict(self.headers.items()), content=body
        )
        try:
            response = self.fake.handle(request)
        except httpx.TimeoutException:
            response = httpx.Response(504, content=b"gateway timeout")
        except httpx.TransportError:
            self.close_connection = True
            return
        content = response.content
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if content:
            self.wfile.write(content)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header on the fake org's clock, as `handle` writes it."""
        return format_datetime(self.fake.org.now(), usegmt=True)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def make_server(fake: FakeZoho, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server answering with `fake`; the fake's accounts server and API
    domain become the server's own address."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    origin = f"http://{host}:{server.server_address[1]}"
    fake.accounts_url = fake.api_domain = origin
    handler = type("FakeZohoHandler", (_Handler,), {"fake": fake, "origin": origin})
    server.RequestHandlerClass = handler
    return server


@contextlib.contextmanager
def running(fake: FakeZoho, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `fake` in a background thread; yields its base URL."""
    server = make_server(fake, host, port)
    thread = threading.Thread(target=server.serve_forever, name="fake-zoho", daemon=True)
    thread.start()
    try:
        yield fake.api_domain
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
