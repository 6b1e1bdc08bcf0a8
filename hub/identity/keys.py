"""Deterministic keys and blocking keys of a record.

A key says "same entity" on its own (an e-mail, an E.164 mobile, a valid
credit code); a block only says "worth comparing". Both are stored hashed in
`identity_keys`, so an incremental match finds the records a change touches.
"""

from __future__ import annotations

import hashlib

from hub.identity.records import Candidate
from hub.identity.settings import IdentitySettings

WEAK_KEYS = {"customers": {"phone", "email", "contact_mobile", "contact_email"}}
"""Keys that merge only when the names agree too: two companies may share a
phone line or a contact's address (one bookkeeper often keeps the books of
several small companies), one company never has two credit codes."""

NAME_AGREES = 70.0
"""RapidFuzz ratio (0-100) of normalised names a weak key needs."""


def record_keys(c: Candidate, entity: str, settings: IdentitySettings) -> list[tuple[str, str]]:
    """(key kind, normalised value) pairs that identify this record."""
    wanted = settings.manager_keys if entity == "managers" else settings.customer_keys
    found: list[tuple[str, str]] = []
    for kind in wanted:
        if kind == "credit_code":
            value = c.credit_code if c.credit_code_valid else None
        elif kind == "domain_name":
            value = f"{c.domain}|{c.name}" if c.domain and c.name else None
        elif kind in ("contact_mobile", "contact_email"):
            found.extend((kind, v) for v in getattr(c, kind))  # unique, sorted
            continue
        else:
            value = getattr(c, kind)
        if value:
            found.append((kind, value))
    return found


def block_keys(c: Candidate) -> list[str]:
    """Values that put records in the same comparison block."""
    blocks = []
    if c.name:
        blocks.append("n:" + c.name)
        if len(c.name) >= 5:
            blocks.append("h:" + c.name[:4])
            blocks.append("t:" + c.name[-4:])
    if c.pinyin and c.pinyin != c.name:
        blocks.append("p:" + c.pinyin)
    if c.email:
        local = "".join(ch for ch in c.email.partition("@")[0] if ch.isalpha())
        if len(local) >= 3:
            blocks.append("e:" + local)
    return blocks


TYPO_BLOCKS = ("h:", "t:")
"""Blocks that only catch typos (the first or last four characters of a name)."""

TYPO_BLOCK_RECORDS = 50
"""Typo blocks larger than this are not compared: a common beginning or
ending (an industry word) says nothing."""


def is_typo_block(value: str) -> bool:
    return value.startswith(TYPO_BLOCKS)


def digest(value: str) -> str:
    """The stored form of a key or block value: 24 hex characters."""
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


def key_digest(kind: str, value: str) -> str:
    return digest(f"k\x1f{kind}\x1f{value}")


def block_digest(value: str) -> str:
    return digest(f"b\x1f{value}")
