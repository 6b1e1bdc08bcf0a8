"""Tokens and in-flight budgets shared by every process of an installation, through Redis.

Vendors count per client, not per process: Zoho allows about ten token mints
per ten minutes per refresh token, Fxiaoke a few a minute, and both cap the
calls in flight per org. Workers on several machines therefore share:

- `hub.adapters.tokens.RedisTokenStore` (there, beside the other token stores,
  with the client from here): one access token
  per credential. When there is none, the first process to ask takes a short
  mint lock and mints; the others wait for its token instead of minting their
  own (so N workers starting at once still mint once).
- `RedisSlots`: a counting semaphore across processes for `InFlightLimit`
  (`hub.adapters.pacing`): a request takes a slot of the whole installation's
  budget before it is sent, and gives it back when the answer came. A slot
  whose process died expires after `SLOT_TTL_SECONDS`.

Used when `$HUB_TOKEN_CACHE` / `$HUB_SHARED_LIMITS` name a `redis://` URL (the
engine's workers set them from `[engine] shared_limits`). Token values live
in Redis as they live in `.hub/tokens/` files: protect the Redis as you
protect that folder. Nothing is logged but that a token was shared or minted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any

SHARED_LIMITS_ENV = "HUB_SHARED_LIMITS"
"""A redis:// URL: in-flight limits are shared by every process using it."""
MINT_LOCK_SECONDS = 20.0
"""How long other processes wait for one that is minting (a mint that fails lets them try)."""
SLOT_TTL_SECONDS = 120.0
POLL_SECONDS = 0.05
PREFIX = "hub:shared:"

log = logging.getLogger("hub.adapters.sharedstate")

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


class RedisSlots:
    """At most `limit` holders at once across processes, for one key (a sorted set of
    holders scored by when they took their slot; stale ones are dropped)."""

    _ACQUIRE = (
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) "
        "if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then "
        "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) "
        "  redis.call('PEXPIRE', KEYS[1], ARGV[5]) return 1 end "
        "return 0"
    )

    def __init__(self, url: str, key: str) -> None:
        self.redis = redis_client(url)
        self.name = f"{PREFIX}slots:{key}"
        self.peak = 0

    def acquire(self, limit: int) -> str:
        holder = uuid.uuid4().hex
        while True:
            now = time.time()
            took = self.redis.eval(
                self._ACQUIRE,
                1,
                self.name,
                now - SLOT_TTL_SECONDS,
                max(1, limit),
                now,
                holder,
                int(SLOT_TTL_SECONDS * 1000),
            )
            if took:
                return holder
            time.sleep(POLL_SECONDS)

    def release(self, holder: str) -> None:
        self.redis.zrem(self.name, holder)

    def holders(self) -> int:
        return int(self.redis.zcard(self.name))
