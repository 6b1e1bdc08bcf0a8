"""Serving the dashboard: in the foreground (`hub serve`) or in a background
thread (`hub demo --serve`, the browser tests)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from hub.config import HubConfig
from hub.errors import ConfigError


def free_port(host: str, preferred: int) -> int:
    """The preferred port if nothing listens there, else any free one."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise ConfigError(f"no free port on {host}")


@dataclass
class Background:
    server: object
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]
        self.thread.join(10)


def start(config: HubConfig, host: str = "127.0.0.1", port: int = 8000) -> Background:
    import uvicorn

    from hub.web.app import create_app

    port = free_port(host, port)
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host=host, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="hub-serve", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not server.started:
        raise ConfigError(f"the dashboard could not listen on {host}:{port}")
    return Background(server, thread, f"http://{host}:{port}")
