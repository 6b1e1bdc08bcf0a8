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
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hub.adapters import sharedstate
from hub.adapters.localstate import state_dir
from hub.adapters.tokenstores import (
    TOKEN_CACHE_ENV,
    FileTokenStore,
    MemoryTokenStore,
    NoTokenStore,
    RedisTokenStore,
    Token,
    TokenStore,
    is_off,
)
from hub.errors import HubError

__all__ = [
    "TOKEN_CACHE_ENV",
    "FileTokenStore",
    "MemoryTokenStore",
    "NoTokenStore",
    "RedisTokenStore",
    "Token",
    "TokenCache",
    "TokenKey",
    "TokenStore",
    "token_key",
    "token_store",
]


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
    if is_off(setting):
        return NoTokenStore()
    if setting.lower().startswith(("redis://", "rediss://")):
        return RedisTokenStore(setting)
    if setting:
        return FileTokenStore(Path(setting).expanduser(), log)
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
