"""Deterministic keys and blocking keys of a record.

A key says "same entity" on its own (an e-mail, an E.164 mobile, a valid
credit code); a block only says "worth comparing". Both are stored hashed in
`identity_keys`, so an incremental match finds the records a change touches.
"""

from __future__ import annotations

import hashlib
from hashlib import blake2b

import pyarrow as pa
import pyarrow.compute as pc

from hub.identity.frame import flat
from hub.identity.settings import IdentitySettings

WEAK_KEYS = {"customers": {"phone", "email", "contact_mobile", "contact_email"}}
"""Keys that merge only when the names agree too: two companies may share a
phone line or a contact's address (one bookkeeper often keeps the books of
several small companies), one company never has two credit codes."""

NAME_AGREES = 70.0
"""RapidFuzz ratio (0-100) of normalised names a weak key needs."""


def _indexed(idx: pa.Array, values: pa.Array) -> pa.Table:
    keep = pc.and_(pc.is_valid(values), pc.not_equal(pc.fill_null(values, ""), ""))
    return pa.table({"idx": idx.filter(keep), "value": values.filter(keep)})


def keys_table(frame: pa.Table, entity: str, settings: IdentitySettings) -> pa.Table:
    """(idx, kind, value): each key that identifies a record of the frame
    (idx: the record's row in the frame), in the order the settings list them."""
    wanted = settings.manager_keys if entity == "managers" else settings.customer_keys
    idx = pa.array(range(frame.num_rows), pa.int32())
    parts = []
    for kind in wanted:
        if kind == "credit_code":
            valid = frame.column("credit_code_valid")
            code = pc.if_else(valid, frame.column("credit_code"), pa.scalar(None, pa.string()))
            part = _indexed(idx, flat(code))
        elif kind == "domain_name":
            joined = pc.binary_join_element_wise(frame.column("domain"), frame.column("name"), "|")
            name_empty = pc.equal(frame.column("name"), "")
            joined = pc.if_else(name_empty, pa.scalar(None, pa.string()), joined)
            part = _indexed(idx, flat(joined))
        elif kind in ("contact_mobile", "contact_email"):
            lists = frame.column(kind).combine_chunks()
            parents = pc.list_parent_indices(lists).cast(pa.int32())
            part = _indexed(parents, pc.list_flatten(lists))
        else:
            part = _indexed(idx, flat(frame.column(kind)))
        parts.append(part.append_column("kind", pa.array([kind] * part.num_rows, pa.string())))
    if not parts:
        return pa.table({"idx": pa.array([], pa.int32()), "value": pa.array([], pa.string()),
                         "kind": pa.array([], pa.string())})  # fmt: skip
    return pa.concat_tables(parts)


def blocks_table(frame: pa.Table, entity: str) -> pa.Table:
    """(idx, value): the blocks each record of the frame is in (`n:` its name,
    `h:`/`t:` the first/last four characters of a name of five or more, `p:`
    its pinyin where it differs from the name, `e:` the letters of its e-mail's
    local part when there are three or more).

    A customer's `h:`/`t:` blocks are per region where it has one: a typo'd
    name alone never reaches review (name ≈ +3.5 against the prior's -5), a
    different region takes 2 more off, and among a million companies the
    same four characters begin or end thousands of names."""
    idx = pa.array(range(frame.num_rows), pa.int32())
    name = flat(frame.column("name"))
    long_name = pc.greater_equal(pc.utf8_length(name), 5)
    none = pa.scalar(None, pa.string())
    head = pc.utf8_slice_codeunits(name, 0, 4)
    tail = pc.utf8_slice_codeunits(name, -4)
    if entity == "customers":
        region = flat(frame.column("region"))
        head = pc.coalesce(pc.binary_join_element_wise(head, region, "|"), head)
        tail = pc.coalesce(pc.binary_join_element_wise(tail, region, "|"), tail)
    pinyin = flat(frame.column("pinyin"))
    local = pc.replace_substring_regex(
        pc.replace_substring_regex(flat(frame.column("email")), "(?s)@.*$", ""), r"[^\p{L}]+", ""
    )
    parts = [
        ("n:", name),
        ("h:", pc.if_else(long_name, head, none)),
        ("t:", pc.if_else(long_name, tail, none)),
        ("p:", pc.if_else(pc.equal(pinyin, name), none, pinyin)),
        ("e:", pc.if_else(pc.greater_equal(pc.utf8_length(local), 3), local, none)),
    ]
    tables = []
    for prefix, values in parts:
        part = _indexed(idx, values)
        value = pc.binary_join_element_wise(prefix, part.column("value"), "")
        tables.append(pa.table({"idx": part.column("idx"), "value": value}))
    return pa.concat_tables(tables)


def digests(texts: pa.Array | pa.ChunkedArray) -> list[str]:
    """`digest` of each text, hashed from its bytes without building Python strings."""
    return [
        blake2b(v, digest_size=12).hexdigest() for v in flat(texts).cast(pa.binary()).to_pylist()
    ]


VERSION = 2
"""Of the keys' and blocks' definitions: a store matched under another one is
matched in full once (its stored digests would not meet the new ones)."""

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
