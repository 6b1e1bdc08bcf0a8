"""One record as identity compares it, pair by pair (see `frame` for all of them at once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields

import pyarrow as pa


@dataclass(slots=True)
class Candidate:
    """One record as identity sees it."""

    id: str
    source: str
    source_id: str
    created_at: dt.datetime | None
    name: str
    """Normalised name (company suffixes and place prefixes stripped for companies)."""
    pinyin: str
    """Syllables sorted and joined (`zhangwei` for 张伟, Zhang Wei, Wei Zhang); '' if none."""
    email: str | None
    phone: str | None
    employee_number: str | None
    credit_code: str | None
    credit_code_valid: bool
    domain: str | None
    team: str | None
    region: str | None
    country: str | None
    contact_mobile: tuple[str, ...] = ()
    """Normalised mobiles of the customer's live contacts (E.164), when a key."""
    contact_email: tuple[str, ...] = ()
    """Normalised e-mails of the customer's live contacts, when a key."""

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.source_id}"


def candidates(frame: pa.Table, rows: Iterable[int]) -> dict[int, Candidate]:
    """Row of the frame -> the record as a Python object, for the rows that
    are compared pair by pair (most records of a big match never are)."""
    wanted = sorted(set(rows))
    if not wanted:
        return {}
    names = [f.name for f in fields(Candidate)]
    part = frame.select([n for n in names if n in frame.column_names]).take(wanted)
    out = {}
    for at, row in zip(wanted, part.to_pylist(), strict=True):
        for kind in ("contact_mobile", "contact_email"):
            row[kind] = tuple(row.get(kind) or ())
        out[at] = Candidate(**row)
    return out
