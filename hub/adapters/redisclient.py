"""One Redis client (connection pool) per URL and process, for what shares through Redis."""

from __future__ import annotations

import os
import threading
from typing import Any

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def redis_client(url: str) -> Any:
    """One client (connection pool) per URL and process."""
    import redis

    key = f"{os.getpid()}:{url}"
    with _clients_lock:
        if key not in _clients:
            _clients[key] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        return _clients[key]
