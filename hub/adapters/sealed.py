"""Sealing a token for a store other people can read, with the standard library only.

The shared store's token table is readable by whoever can read the database
(a DBA, a backup). A token there is sealed with a key derived from the
credential it belongs to (`hub.adapters.tokens.TokenKey.secret`), which lives
only in hub.toml's secrets: encrypt-then-MAC, HMAC-SHA256 as the keystream
(counter mode) and as the tag, a random nonce per seal. The hub has no
cryptography package to lean on, and this construction needs nothing but a
PRF, which HMAC-SHA256 is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

NONCE_BYTES = 16
TAG_BYTES = 32


def _keys(secret: bytes) -> tuple[bytes, bytes]:
    return (
        hmac.digest(secret, b"hub-seal-encrypt", hashlib.sha256),
        hmac.digest(secret, b"hub-seal-mac", hashlib.sha256),
    )


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.digest(key, nonce + n.to_bytes(8, "big"), hashlib.sha256) for n in range(blocks)
    )[:length]


def seal(secret: bytes, text: str) -> str:
    """`text` encrypted and authenticated under `secret`, as ASCII."""
    encrypt, mac = _keys(secret)
    nonce = os.urandom(NONCE_BYTES)
    plain = text.encode("utf-8")
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(encrypt, nonce, len(plain)), strict=True))
    tag = hmac.digest(mac, nonce + cipher, hashlib.sha256)
    return base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii")


def unseal(secret: bytes, sealed: str) -> str | None:
    """The text, or None when `sealed` was not sealed under `secret` or was altered."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        return None
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    encrypt, mac = _keys(secret)
    if not hmac.compare_digest(tag, hmac.digest(mac, nonce + cipher, hashlib.sha256)):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(encrypt, nonce, len(cipher)), strict=True))
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        return None
