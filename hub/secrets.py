"""Keep secrets out of logs, error messages, rejects and run records.

Every value that came from `${ENV_VAR}` in hub.toml, every `SecretStr` in a
connection's settings and the store password are registered here; anything
the hub writes for humans or into its own tables passes through `redact`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

MASK = "***"
_MIN_LENGTH = 4  # shorter values would blot out ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()


def register(values: Iterable[str | None]) -> None:
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_LENGTH:
                _secrets.add(value)


def redact(text: str) -> str:
    """Replace every registered secret in `text` with ***."""
    if not _secrets or not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def clear() -> None:
    """Forget all registered secrets (tests)."""
    with _lock:
        _secrets.clear()
