"""Access tokens shared by the threads of a run and reused by the runs after it.

Vendors allow few token mints (Zoho: ten per refresh token in ten minutes;
Fxiaoke: a few a minute), while a scheduled `hub sync`, a `hub check` or a
retry lasts seconds. Minting one token per run trips those limits by itself,
so a still-valid token is kept in a `TokenStore` and reused until shortly
before it expires.

- `TokenCache` is what an adapter holds: `get()` gives a token valid for more
  than `margin` seconds (from memory, then from the store, else minted once
  while other threads wait); `invalidate(value)` drops a token the API
  refused, in memory and in the store. A mint that failed with a `HubError`
  (credentials refused, token quota spent) is remembered: later callers get
  the same error instead of asking again, which vendors count against you.
- `FileTokenStore` keeps one 0600 JSON file per credential in `.hub/tokens/`
  beside hub.toml (`$HUB_TOKEN_CACHE` names another folder, or `off`). The
  file name is a digest of the credential's identity (token server, client
  id, a digest of the refresh token), so a changed secret never reuses the
  old token and no secret is ever written.

Tokens never reach logs: the cache logs only that a token was reused or minted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hub.adapters.localstate import PrivateFiles, state_dir
from hub.errors import HubError

TOKEN_CACHE_ENV = "HUB_TOKEN_CACHE"
"""A folder for cached tokens, or `off` to mint a fresh token in every run."""
_OFF = {"off", "0", "false", "no", "none"}


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
    token; while one process mints, the others wait for its token (up to `wait_seconds`:
    a process that died or failed minting lets them mint). See `hub.adapters.sharedstate`."""

    def __init__(self, url: str, wait_seconds: float = 20.0) -> None:
        from hub.adapters.sharedstate import redis_client

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
        deadline = time.monotonic() + self.wait_seconds
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
                return None  # the minting process died or failed: mint here
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


class TokenKey(str):
    """A store key for one credential (a digest of its identity), carrying `secret`: a
    second digest of the same identity that a store may seal the token with. A store
    that others can read (the shared store's table) then holds nothing usable without
    the credential itself, which only hub.toml's readers have."""

    secret: bytes

    def __new__(cls, value: str, secret: bytes) -> TokenKey:
        key = super().__new__(cls, value)
        key.secret = secret
        return key


def token_key(kind: str, *identity: str) -> TokenKey:
    """A file-safe key for one credential: `kind` and a digest of what identifies it.
    Pass secrets (a refresh token, an app secret) freely: only their digest is kept."""
    joined = "\x00".join(identity).encode("utf-8")
    digest = hashlib.sha256(joined).hexdigest()[:32]
    secret = hashlib.sha256(b"hub-token-seal\x00" + joined).digest()
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in kind)
    return TokenKey(f"{safe}-{digest}", secret)


def token_store(config_dir: Path, log: logging.Logger | None = None) -> TokenStore:
    """The store for the project whose hub.toml is in `config_dir`: what `$HUB_TOKEN_CACHE`
    says (a folder, a `redis://` URL shared by several machines, or `off`), else the
    installation's shared state (the engine's workers: `hub.adapters.sharedstate`), else
    `.hub/tokens/` there or `$HUB_STATE_DIR/tokens/`."""
    setting = os.environ.get(TOKEN_CACHE_ENV, "").strip()
    if setting.lower() in _OFF:
        return NoTokenStore()
    if setting.lower().startswith(("redis://", "rediss://")):
        return RedisTokenStore(setting)
    if setting:
        return FileTokenStore(Path(setting).expanduser(), log)
    from hub.adapters import sharedstate

    shared = sharedstate.current()
    if shared is not None:
        return shared.tokens
    return FileTokenStore(state_dir(config_dir) / "tokens", log)


class TokenCache:
    """One credential's access token, shared by threads and reused across runs."""

    def __init__(
        self,
        mint: Callable[[], Token],
        store: TokenStore,
        key: str,
        *,
        margin: float = 60.0,
        clock: Callable[[], float] = time.time,
        log: logging.Logger | None = None,
    ) -> None:
        self._mint = mint
        self._store = store
        self._key = key
        self._margin = margin
        self._clock = clock
        self._log = log or logging.getLogger("hub.adapters.tokens")
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._failed: HubError | None = None
        self.minted = 0
        """Tokens this cache minted (not those it reused)."""
        self.reused = 0
        """Tokens taken from the store, minted by an earlier run."""

    def get(self) -> Token:
        with self._lock:
            if self._failed is not None:
                raise self._failed
            now = self._clock()
            if self._token is not None and self._token.valid_for(now) > self._margin:
                return self._token
            stored = self._store.load(self._key, self._margin)
            if stored is not None and stored.valid_for(now) > self._margin:
                self._token = stored
                self.reused += 1
                self._log.debug(
                    "reusing an access token from an earlier run, valid for %.0f s",
                    stored.valid_for(now),
                )
                return stored
            try:
                token = self._mint()
            except HubError as exc:
                self._failed = exc
                raise
            self._token = token
            self.minted += 1
            self._store.save(self._key, token)
            return token

    def invalidate(self, value: str) -> None:
        """The API refused `value`: the next `get()` mints a new token (unless another
        thread already replaced it)."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None
            self._store.forget(self._key, value)

    @property
    def current(self) -> Token | None:
        """The token in use, if any (no mint)."""
        return self._token
