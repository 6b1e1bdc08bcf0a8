"""Identity's records as columns: read in bulk, normalised by Arrow's kernels.

A full match of a million customers cannot afford a Python object and a
dozen calls per record, so records are read into an Arrow table and
normalised column by column, with the rules of `hub.identity.normalise`
(which stays the per-value reference: a property test compares the two).
What has no kernel runs in Python once per distinct value: the pinyin of
person names, phone numbers that are not Chinese mobiles (phonenumbers), and
the rare values whose case mapping Arrow's simple mapping would get wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, select

from hub.identity import normalise as norm
from hub.identity.settings import CONTACT_KEYS, IdentitySettings
from hub.store.tables import entity_tables

FIELDS = {
    "managers": ("name", "email", "phone", "employee_number", "team", "department", "region"),
    "customers": ("name", "kind", "phone", "email", "credit_code", "region", "country"),
}
"""What identity reads of each record, beside id, source, source_id and created_at."""

# Python's whitespace (str.isspace, and `\s` in its regular expressions) in RE2's syntax
_WS = r"\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\p{Z}"
_SPACE_PUNCT = "[" + _WS + r"\-_.,，。·・()（）\[\]【】'\"/\\&+:;!?#*@]+"
_SEPARATORS = "[" + _WS + r"\-]+"
_SPECIAL_LOWER = r"[\x{130}\x{3a3}]"
"""Characters whose lower case Python maps with context or to two characters
(İ, final sigma): values holding one are normalised by the reference."""

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""GB 32100's check-character alphabet and weights (as python-stdnum's `uscc`)."""


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\-" else ch for ch in text)


_SUFFIX = "(?s)^(.+?)(?:" + "|".join(_escape(s) for s in norm.COMPANY_SUFFIXES) + ")$"
_PLACE = (
    "^(?:"
    + "|".join(norm.PLACE_PREFIXES)
    + ")(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
)


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array from what Arrow may hand back in chunks."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _strings(values: Any) -> pa.Array:
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return array


def _by_reference(
    result: pa.Array, raw: pa.Array, needs: pa.Array, reference: Callable[[Any], Any]
) -> pa.Array:
    """`result`, with the rows where `needs` is true computed by the Python
    reference instead (once per distinct value)."""
    mask = pc.fill_null(needs, False)
    if not pc.any(mask).as_py():
        return result
    chosen = raw.filter(mask)
    table = {v: reference(v) for v in pc.unique(chosen).to_pylist()}
    fixed = pa.array([table[v] for v in chosen.to_pylist()], result.type)
    return pc.replace_with_mask(result, mask, fixed)


def text(values: Any) -> pa.Array:
    """`normalise.text` on a column: NFKC, trimmed, lower case ('' for null)."""
    raw = _strings(values)
    out = pc.utf8_normalize(pc.fill_null(raw, ""), "NFKC")
    out = pc.replace_substring_regex(out, f"^[{_WS}]+|[{_WS}]+$", "")
    lowered = pc.utf8_lower(out)
    special = pc.match_substring_regex(out, _SPECIAL_LOWER)
    return _by_reference(lowered, pc.fill_null(raw, ""), special, norm.text)


def _or_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def person_name(values: Any) -> pa.Array:
    return pc.replace_substring_regex(text(values), _SPACE_PUNCT, "")


def company_name(values: Any) -> pa.Array:
    name = text(values)
    while True:  # strip one legal-form ending at a time, as the reference does
        stripped = pc.replace_substring_regex(name, _SUFFIX, r"\1")
        changed = pc.not_equal(stripped, name)
        if not pc.any(changed).as_py():
            break
        name = pc.if_else(changed, pc.utf8_rtrim(stripped, characters=" ,."), name)
    name = pc.replace_substring_regex(name, _SPACE_PUNCT, "")
    placed = pc.replace_substring_regex(name, _PLACE, "", max_replacements=1)
    return pc.if_else(pc.greater_equal(pc.utf8_length(placed), 2), placed, name)


def email(values: Any) -> pa.Array:
    found = pc.replace_substring(text(values), " ", "")
    valid = pc.match_substring_regex(found, r"^[^@]+@[^@]*\.[^@]*$")
    return pc.if_else(valid, found, pa.scalar(None, pa.string()))


def domain(emails: pa.Array, free: Iterable[str]) -> pa.Array:
    found = pc.replace_substring_regex(emails, "^[^@]*@", "")
    return pc.if_else(
        pc.is_in(found, value_set=pa.array(list(free), pa.string())),
        pa.scalar(None, pa.string()),
        found,
    )


def phone(values: Any, region: str = "CN") -> pa.Array:
    """E.164: Chinese mobiles by kernels, the rest through phonenumbers."""
    raw = text(values)
    digits = pc.replace_substring_regex(raw, r"[^\p{Nd}]+", "")
    long_enough = pc.greater_equal(pc.utf8_length(digits), 5)
    if region == "CN":  # a number without "+" is read as Chinese
        fast_region = pc.or_(pc.invert(pc.starts_with(raw, "+")), pc.starts_with(raw, "+86"))
    else:
        fast_region = pc.starts_with(raw, "+86")
    mobile = r"^(?:00)?(?:86)?(1[3-9]\p{Nd}{9})$"
    is_mobile = pc.and_(fast_region, pc.match_substring_regex(digits, mobile))
    fast = pc.replace_substring_regex(digits, mobile, r"+86\1")
    slow_rows = pc.and_(long_enough, pc.invert(is_mobile))
    out = pc.if_else(is_mobile, fast, pa.scalar(None, pa.string()))
    return _by_reference(out, raw, slow_rows, lambda v: norm.phone(v, region))


def employee_number(values: Any) -> pa.Array:
    found = pc.replace_substring_regex(text(values), _SPACE_PUNCT, "")
    upper = pc.utf8_upper(found)
    fixed = _by_reference(upper, found, pc.invert(pc.string_is_ascii(found)), str.upper)
    return _or_null(fixed)


def credit_code(values: Any) -> tuple[pa.Array, pa.Array]:
    """(codes with case, blanks and full width normalised or null, valid?)."""
    found = pc.replace_substring_regex(text(values), _SEPARATORS, "")
    ascii_ = pc.string_is_ascii(found)
    found = _by_reference(pc.utf8_upper(found), found, pc.invert(ascii_), str.upper)
    shaped = pc.match_substring_regex(found, r"^[0-9]{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$")
    alphabet = pa.array(list(_ALPHABET))
    total = pa.scalar(0, pa.int64())
    for position, weight in enumerate(_WEIGHTS):
        char = pc.utf8_slice_codeunits(found, position, position + 1)
        value = pc.fill_null(pc.index_in(char, value_set=alphabet), 0).cast(pa.int64())
        total = pc.add(total, pc.multiply(value, weight))
    check = pc.modulo(pc.subtract(31, pc.modulo(total, 31)), 31)
    given = pc.index_in(pc.utf8_slice_codeunits(found, 17, 18), value_set=alphabet)
    valid = pc.fill_null(pc.and_(shaped, pc.equal(check, given.cast(pa.int64()))), False)
    return _or_null(found), valid


def pinyin_sorted(values: Any) -> pa.Array:
    """Sorted syllables of each name, computed once per distinct name."""
    raw = pc.fill_null(_strings(values), "")
    distinct = pc.unique(raw)
    mapped = pa.array([norm.pinyin_sorted(v) for v in distinct.to_pylist()], pa.string())
    return mapped.take(pc.index_in(raw, value_set=distinct))


def normalise(raw: pa.Table, entity: str, settings: IdentitySettings) -> pa.Table:
    """The columns identity compares, from the columns it reads (`FIELDS`)."""
    n = raw.num_rows
    none = pa.nulls(n, pa.string())

    def column(name: str) -> pa.Array:
        return _strings(raw.column(name)) if name in raw.column_names else none

    names = column("name")
    if entity == "managers":
        person = pa.array([True] * n)
    else:
        person = pc.fill_null(pc.equal(column("kind"), "person"), False)
    name = pc.if_else(person, person_name(names), company_name(names))
    pinyin = pinyin_sorted(pc.if_else(person, names, ""))  # pinyin is for people only
    emails = email(column("email"))
    code, valid = credit_code(column("credit_code"))
    return pa.table(
        {
            "id": column("id"),
            "source": column("source"),
            "source_id": column("source_id"),
            "created_at": _timestamps(
                raw.column("created_at") if "created_at" in raw.column_names else none
            ),
            "name": name,
            "pinyin": pinyin,
            "email": emails,
            "phone": phone(column("phone"), settings.default_region),
            "employee_number": employee_number(column("employee_number")),
            "credit_code": code,
            "credit_code_valid": valid,
            "domain": domain(emails, settings.free_email_domains),
            "team": _or_null(text(column("team"))),
            "region": _or_null(text(column("region"))),
            "country": _or_null(text(column("country"))),
        }
    )


def _columns(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> pa.Table:
    if not rows:
        return pa.table({name: pa.array([], pa.string()) for name in names})
    return pa.table(
        {
            name: pa.array(list(values))
            for name, values in zip(names, zip(*rows, strict=True), strict=True)
        }
    )


def read(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    ids: Iterable[str] | None = None,
    chunk: int = 50_000,
) -> pa.Table:
    """The live records of the entity (all, or those with these hub ids),
    normalised, with their contacts' keys for customers."""
    t = entity_tables[entity]
    names = ["id", "source", "source_id", "created_at", *FIELDS[entity]]
    columns = [t.c[c] for c in names]
    live = t.c.deleted_at.is_(None)
    parts: list[pa.Table] = []
    if ids is None:
        for rows in _raw_rows(conn, select(*columns).where(live), chunk):
            parts.append(normalise(_columns(rows, names), entity, settings))
    else:
        wanted = sorted(ids)
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            rows = conn.execute(select(*columns).where(live, t.c.id.in_(part))).all()
            parts.append(normalise(_columns(rows, names), entity, settings))
    if not parts:
        parts.append(normalise(_columns([], names), entity, settings))
    frame = pa.concat_tables(parts, promote_options="permissive")
    if entity == "customers":
        frame = with_contacts(conn, frame, settings)
    return frame


def _raw_rows(conn: Connection, query: Any, chunk: int) -> Iterable[list[tuple[Any, ...]]]:
    """The rows of a query without parameters, straight from the driver in
    slices (a server-side cursor on PostgreSQL): the values need no
    conversion but the timestamp, which Arrow parses on the whole column."""
    sql = str(query.compile(dialect=conn.dialect))
    dbapi = conn.connection
    named = conn.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="hub_identity_read") if named else dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


def _timestamps(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """UTC timestamps, from SQLite's text or the drivers' datetimes."""
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), pa.timestamp("us", tz="UTC"))
    if pa.types.is_string(values.type):
        values = values.cast(pa.timestamp("us"))
    return values.cast(pa.timestamp("us", tz="UTC"))


def with_contacts(conn: Connection, frame: pa.Table, settings: IdentitySettings) -> pa.Table:
    """Adds `contact_mobile` and `contact_email`: the sorted distinct
    normalised values of each customer's live contacts (empty when the key is off)."""
    kinds = [k for k in settings.customer_keys if k in CONTACT_KEYS]
    empty = pa.array([[] for _ in range(frame.num_rows)], pa.list_(pa.string()))
    out = frame
    for kind in CONTACT_KEYS:
        out = out.append_column(kind, empty)
    if not kinds or frame.num_rows == 0:
        return out
    t = entity_tables["contacts"]
    live = (t.c.deleted_at.is_(None), t.c.customer_id.is_not(None))
    fields = [CONTACT_KEYS[k] for k in kinds]
    query = select(t.c.customer_id, *(t.c[f] for f in fields)).where(*live)
    ids = frame.column("id").combine_chunks()
    if frame.num_rows < 50_000:  # an incremental match: only its customers' contacts
        query = query.where(t.c.customer_id.in_(ids.to_pylist()))
    rows = conn.execute(query).all()
    contacts = _columns(rows, ["customer_id", *fields])
    position = pc.index_in(contacts.column("customer_id"), value_set=ids)
    for kind, field in zip(kinds, fields, strict=True):
        values = (
            phone(contacts.column(field), settings.default_region)
            if kind == "contact_mobile"
            else email(contacts.column(field))
        )
        by_record: dict[int, set[str]] = {}
        for at, value in zip(position.to_pylist(), values.to_pylist(), strict=True):
            if at is not None and value:
                by_record.setdefault(at, set()).add(value)
        lists: list[list[str]] = [[] for _ in range(frame.num_rows)]
        for at, found in by_record.items():
            lists[at] = sorted(found)
        out = out.set_column(
            out.column_names.index(kind), kind, pa.array(lists, pa.list_(pa.string()))
        )
    return out
