"""Where access tokens are kept between runs: nowhere, in memory, in private
files beside hub.toml, or in a Redis shared by several machines.

`hub.adapters.tokens` is what adapters use (it re-exports these); the stores
live apart so that `hub.adapters.sharedstate` can build its Redis backend on
them without importing the cache that asks it which store to use.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hub.adapters.localstate import PrivateFiles
from hub.adapters.redisclient import redis_client

TOKEN_CACHE_ENV = "HUB_TOKEN_CACHE"
"""A folder for cached tokens, or `off` to mint a fresh token in every run."""
_OFF = {"off", "0", "false", "no", "none"}


MINT_WAIT_ROUNDS = 3
"""A waiter gives up on the mint lock after this many lock lifetimes. A minter that
died lets its lock expire after one; then one waiter takes it and mints while the
others keep waiting, so one death costs one more mint, not one per waiter."""


def is_off(setting: str) -> bool:
    """Whether a `$HUB_TOKEN_CACHE` value turns the cache off."""
    return setting.strip().lower() in _OFF


@dataclass(frozen=True)
class Token:
    """An access token and what came with it."""

    value: str
    expires_at: float
    """When it expires, in seconds since the epoch (wall clock: it outlives the process)."""
    details: Mapping[str, str] = field(default_factory=dict)
    """Non-secret facts minted with the token that a reuse needs (API domain, scope, tenant id)."""

    def valid_for(self, now: float) -> float:
        return self.expires_at - now


class TokenStore(Protocol):
    """Where tokens outlive the process. Implementations must be thread-safe."""

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        """The stored token. One valid for `margin` seconds or less is due for replacing:
        a store shared by processes treats it as none and lets one process replace it
        (the others wait for its token); the others may return it as is."""
        ...

    def save(self, key: str, token: Token) -> None: ...

    def forget(self, key: str, value: str) -> None:
        """Drop the stored token if it is still `value` (another run may have replaced it)."""
        ...


class NoTokenStore:
    """Keeps nothing: every process mints its own token."""

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        return None

    def save(self, key: str, token: Token) -> None:
        pass

    def forget(self, key: str, value: str) -> None:
        pass


class MemoryTokenStore:
    """Tokens kept by this process only (tests; several connections of one worker)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def forget(self, key: str, value: str) -> None:
        with self._lock:
            if key in self._tokens and self._tokens[key].value == value:
                del self._tokens[key]


class FileTokenStore:
    """One 0600 JSON file per credential in a 0700 folder."""

    def __init__(self, folder: Path, log: logging.Logger | None = None) -> None:
        self.files = PrivateFiles(folder, log)
        self._lock = threading.Lock()

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        with self._lock:
            data = self.files.read(key)
        if data is None:
            return None
        try:
            details = data.get("details") or {}
            return Token(
                value=str(data["value"]),
                expires_at=float(data["expires_at"]),
                details={str(k): str(v) for k, v in dict(details).items()},
            )
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, key: str, token: Token) -> None:
        data = {
            "value": token.value,
            "expires_at": token.expires_at,
            "details": dict(token.details),
        }
        with self._lock:
            self.files.write(key, data)

    def forget(self, key: str, value: str) -> None:
        with self._lock:
            data = self.files.read(key)
            if data is not None and data.get("value") == value:
                self.files.remove(key)


class RedisTokenStore:
    """Access tokens in Redis for every process of an installation, expiring with the
    token; while one process mints, the others wait for its token (the mint lock ends
    after `wait_seconds`: a process that died or failed minting lets the next one take
    it). See `hub.adapters.sharedstate`."""

    def __init__(self, url: str, wait_seconds: float = 20.0) -> None:
        self.redis = redis_client(url)
        self.wait_seconds = wait_seconds
        self._minting: set[str] = set()
        self.waited = 0
        """Times this store waited for another process's mint (tests, logs)."""

    def _keys(self, key: str) -> tuple[str, str]:
        return f"hub:shared:token:{key}", f"hub:shared:minting:{key}"

    def _read(self, name: str) -> Token | None:
        raw = self.redis.get(name)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return Token(
                value=str(data["value"]),
                expires_at=float(data["expires_at"]),
                details={str(k): str(v) for k, v in dict(data.get("details") or {}).items()},
            )
        except (KeyError, TypeError, ValueError):
            return None

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        """The shared token; None means "mint it" (this process then holds the mint lock).
        While another process mints, wait for its token."""
        token_name, lock_name = self._keys(key)
        deadline = time.monotonic() + MINT_WAIT_ROUNDS * self.wait_seconds
        waited = False
        while True:
            token = self._read(token_name)
            if token is not None and token.valid_for(time.time()) > margin:
                if waited:
                    self.waited += 1
                return token
            if self.redis.set(lock_name, os.getpid(), nx=True, px=int(self.wait_seconds * 1000)):
                self._minting.add(key)
                return None
            if time.monotonic() > deadline:
                return None  # minting processes kept dying or failing: mint here
            waited = True
            time.sleep(0.05)

    def save(self, key: str, token: Token) -> None:
        token_name, lock_name = self._keys(key)
        ttl = max(1, int((token.expires_at - time.time()) * 1000))
        data = {
            "value": token.value,
            "expires_at": token.expires_at,
            "details": dict(token.details),
        }
        pipe = self.redis.pipeline()
        pipe.set(token_name, json.dumps(data), px=ttl)
        pipe.delete(lock_name)
        pipe.execute()
        self._minting.discard(key)

    def forget(self, key: str, value: str) -> None:
        """Drop the token if it is still `value` (compare and delete, atomically)."""
        token_name, _ = self._keys(key)
        script = (
            "local v = redis.call('GET', KEYS[1]) "
            "if v and cjson.decode(v)['value'] == ARGV[1] then "
            "  return redis.call('DEL', KEYS[1]) end "
            "return 0"
        )
        self.redis.eval(script, 1, token_name, value)
