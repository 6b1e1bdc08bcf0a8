"""Sealing a token for a store other people can read.

The shared store's token table is readable by whoever can read the database
(a DBA, a backup). A token there is sealed with a key derived from the
credential it belongs to (`hub.adapters.tokens.TokenKey.secret`), which lives
only in hub.toml's secrets. Fernet (the `cryptography` package: AES-128-CBC
with HMAC-SHA256, a random IV per seal) does the sealing, not code of ours.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def _fernet(secret: bytes) -> Fernet:
    # Fernet wants 32 url-safe base64 bytes; the credential's secret is any length.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"hub-seal\0" + secret).digest()))


def seal(secret: bytes, text: str) -> str:
    """`text` encrypted and authenticated under `secret`, as ASCII."""
    return _fernet(secret).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(secret: bytes, sealed: str) -> str | None:
    """The text, or None when `sealed` was not sealed under `secret` or was altered."""
    try:
        return _fernet(secret).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return None
