"""Tokens, in-flight budgets and daily credits shared by every process of an installation.

Vendors count per client, not per process: Zoho allows about ten token mints
per ten minutes per refresh token, Fxiaoke ten a minute, and both cap the
calls in flight and the daily credits per org. Workers on several machines
therefore share one `SharedState`:

- `tokens`: a `TokenStore` (`hub.adapters.tokenstores`) with one access token per
  credential. When there is none, the first process to ask takes a short mint
  lock and mints; the others wait for its token instead of minting their own
  (so N workers starting at once still mint once).
- `slots(key)`: a counting semaphore across processes for `InFlightLimit`
  (`hub.adapters.pacing`): a request takes a slot of the whole installation's
  budget before it is sent and gives it back when the answer came. A slot is
  a lease: one whose process died expires after `SLOT_LEASE_SECONDS`. Taken
  and kept for a window's length, slots are a sliding-window rate limit across
  processes (Fxiaoke's calls per 20 s per interface).
- `credits`: per org, what all processes know of its daily credits: spent
  until a moment (the vendor said so), or a balance the vendor reported, which
  every process's calls draw down. A process checks it before each call, so
  once one met the vendor's "quota exhausted" the others stop without
  spending refused calls.

Two backends: Redis (here) and the store's tables (`hub.engine.budget`, for
RabbitMQ set-ups). The engine's workers pick one with `use()` (`[engine]
shared_limits`); other processes may name a Redis in `$HUB_SHARED_LIMITS`.
Nothing is logged but that a token was shared or minted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from hub.adapters.redisclient import redis_client
from hub.adapters.tokenstores import RedisTokenStore, TokenStore

SHARED_LIMITS_ENV = "HUB_SHARED_LIMITS"
"""A redis:// URL: tokens, in-flight limits and credits are shared by every process using it."""
MINT_LOCK_SECONDS = 20.0
"""How long other processes wait for one that is minting (a mint that fails lets them try)."""
SLOT_LEASE_SECONDS = 120.0
"""A slot not given back within this long is free again (its process died): longer than
any request's timeout, so a live request never loses its slot."""
POLL_SECONDS = 0.05
PREFIX = "hub:shared:"
SPENT_REASON = (
    "the org's API credits are used up (the balance the vendor last reported, less the "
    "calls every worker sent since)"
)

log = logging.getLogger("hub.adapters.sharedstate")


class Slots(Protocol):
    """At most `limit` holders at once across processes, for one key."""

    def try_acquire(self, limit: int) -> str | None:
        """A holder id when a slot was free (it is then taken), else None."""
        ...

    def release(self, holder: str) -> None: ...

    def holders(self) -> int: ...


class Credits(Protocol):
    """What every process knows of an org's daily credits."""

    def take(self, key: str, cost: int = 1) -> str | None:
        """Count a call about to be sent; the reason not to send it when the org's credits
        are known to be spent (then nothing is counted)."""
        ...

    def note(self, key: str, remaining: int, valid_until: float) -> None:
        """The vendor said how many credits remain (it knows best); the balance, drawn
        down by every process's calls, counts until `valid_until` (credits come back)."""
        ...

    def exhaust(self, key: str, until: float, reason: str) -> None:
        """The vendor refused a call for the quota: no process sends any until `until`
        (seconds since the epoch). `reason` is what the others say; it holds no secret."""
        ...


class SharedState(Protocol):
    tokens: TokenStore
    credits: Credits

    def slots(self, key: str, lease_seconds: float | None = None) -> Slots:
        """The slots of `key`; a slot not given back ends after `lease_seconds` (default
        `SLOT_LEASE_SECONDS`). Taken and never given back, slots with a lease of one
        rate-limit window count the calls sent in the last window, across processes."""
        ...


def acquire(slots: Slots, limit: int) -> str:
    """Wait for a free slot of `slots`."""
    while True:
        holder = slots.try_acquire(limit)
        if holder is not None:
            return holder
        time.sleep(POLL_SECONDS)


# -- which backend this process uses -------------------------------------------------------

_factory: Callable[[], SharedState] | None = None
_current: tuple[int, SharedState] | None = None
_lock = threading.Lock()


def use(factory: Callable[[], SharedState] | None) -> None:
    """Share through what `factory` opens (once per process: a forked pool process opens
    its own connections), or through nothing (None)."""
    global _factory, _current
    with _lock:
        _factory, _current = factory, None


def current() -> SharedState | None:
    """The shared state of this installation: what `use()` named, else the Redis in
    `$HUB_SHARED_LIMITS`, else None (each process keeps its own budgets)."""
    global _current
    with _lock:
        if _current is not None and _current[0] == os.getpid():
            return _current[1]
        factory = _factory
        if factory is None:
            url = os.environ.get(SHARED_LIMITS_ENV, "").strip()
            if not url.lower().startswith(("redis://", "rediss://")):
                return None
            factory = lambda: RedisShared(url)  # noqa: E731
        state = factory()
        _current = (os.getpid(), state)
        return state


# -- Redis ---------------------------------------------------------------------------------


class RedisShared:
    """Tokens, slots and credits in one Redis (the broker's, when it is Redis)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tokens = RedisTokenStore(url, wait_seconds=MINT_LOCK_SECONDS)
        self.credits = RedisCredits(url)

    def slots(self, key: str, lease_seconds: float | None = None) -> RedisSlots:
        return RedisSlots(self.url, key, lease_seconds or SLOT_LEASE_SECONDS)


class RedisSlots:
    """A sorted set of holders scored by when their lease ends; ended ones are dropped."""

    _ACQUIRE = (
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) "
        "if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then "
        "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) "
        "  redis.call('PEXPIRE', KEYS[1], ARGV[5]) return 1 end "
        "return 0"
    )

    def __init__(self, url: str, key: str, lease_seconds: float = SLOT_LEASE_SECONDS) -> None:
        self.redis = redis_client(url)
        self.name = f"{PREFIX}slots:{key}"
        self.lease_seconds = lease_seconds

    def try_acquire(self, limit: int) -> str | None:
        holder = uuid.uuid4().hex
        now = time.time()
        took = self.redis.eval(
            self._ACQUIRE,
            1,
            self.name,
            now,
            max(1, limit),
            now + self.lease_seconds,
            holder,
            int(self.lease_seconds * 1000),
        )
        return holder if took else None

    def acquire(self, limit: int) -> str:
        return acquire(self, limit)

    def release(self, holder: str) -> None:
        self.redis.zrem(self.name, holder)

    def holders(self) -> int:
        self.redis.zremrangebyscore(self.name, "-inf", time.time())
        return int(self.redis.zcard(self.name))


class RedisCredits:
    """Per org two keys: `spent` (the reason, expiring when the quota is back) once the
    vendor refused a call for it, and `remaining` (expiring as the report goes stale)."""

    _TAKE = (
        "local reason = redis.call('GET', KEYS[1]) "
        "if reason then return reason end "
        "local left = redis.call('GET', KEYS[2]) "
        "if left and tonumber(left) < tonumber(ARGV[1]) then return '' end "
        "if left then redis.call('DECRBY', KEYS[2], ARGV[1]) end "
        "return false"
    )

    def __init__(self, url: str) -> None:
        self.redis = redis_client(url)

    def _names(self, key: str) -> tuple[str, str]:
        return f"{PREFIX}credits:{key}:spent", f"{PREFIX}credits:{key}:remaining"

    def take(self, key: str, cost: int = 1) -> str | None:
        said = self.redis.eval(self._TAKE, 2, *self._names(key), cost)
        if said is None:
            return None
        text = said.decode() if isinstance(said, bytes) else str(said)
        return text or SPENT_REASON

    def note(self, key: str, remaining: int, valid_until: float) -> None:
        ttl = int((valid_until - time.time()) * 1000)
        if ttl > 0:
            self.redis.set(self._names(key)[1], max(0, remaining), px=ttl)
        else:
            self.redis.delete(self._names(key)[1])

    def exhaust(self, key: str, until: float, reason: str) -> None:
        spent, remaining = self._names(key)
        ttl = int((until - time.time()) * 1000)
        pipe = self.redis.pipeline()
        if ttl > 0:
            pipe.set(spent, reason, px=ttl)
        else:
            pipe.delete(spent)
        pipe.delete(remaining)
        pipe.execute()
