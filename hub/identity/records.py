"""What identity reads of each manager and customer record, normalised once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, select

from hub.identity import normalise as norm
from hub.identity.settings import CONTACT_KEYS, IdentitySettings
from hub.store.tables import entity_tables

FIELDS = {
    "managers": ("name", "email", "phone", "employee_number", "team", "department", "region"),
    "customers": ("name", "kind", "phone", "email", "credit_code", "region", "country"),
}


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

    def anchor_order(self) -> tuple[bool, dt.datetime, str]:
        """Oldest in its source first, then by hub id: the cluster's anchor."""
        return (self.created_at is None, self.created_at or dt.datetime.max, self.id)


def candidate(entity: str, row: dict, settings: IdentitySettings) -> Candidate:
    region_code = settings.default_region
    raw_name = row.get("name") or ""
    is_person = entity == "managers" or str(row.get("kind") or "") == "person"
    name = norm.person_name(raw_name) if is_person else norm.company_name(raw_name)
    pinyin = norm.pinyin_sorted(raw_name) if is_person else ""
    code, valid = norm.credit_code(row.get("credit_code"))
    email = norm.email(row.get("email"))
    domain = email.partition("@")[2] if email else None
    if domain in settings.free_email_domains:
        domain = None
    return Candidate(
        id=row["id"],
        source=row["source"],
        source_id=row["source_id"],
        created_at=row.get("created_at"),
        name=name,
        pinyin=pinyin,
        email=email,
        phone=norm.phone(row.get("phone"), region_code),
        employee_number=norm.employee_number(row.get("employee_number")),
        credit_code=code,
        credit_code_valid=valid,
        domain=domain,
        team=norm.text(row.get("team")) or None,
        region=norm.text(row.get("region")) or None,
        country=norm.text(row.get("country")) or None,
    )


def contact_keys(
    conn: Connection,
    settings: IdentitySettings,
    customer_ids: Iterable[str] | None = None,
    chunk: int = 5000,
) -> dict[str, dict[str, set[str]]]:
    """Customer hub id -> contact key kind -> the normalised values of its live
    contacts (all customers', or these customers'). Empty when no contact key is on."""
    kinds = [k for k in settings.customer_keys if k in CONTACT_KEYS]
    if not kinds:
        return {}
    t = entity_tables["contacts"]
    columns = [t.c.customer_id, *(t.c[CONTACT_KEYS[k]] for k in kinds)]
    live = t.c.deleted_at.is_(None), t.c.customer_id.is_not(None)
    if customer_ids is None:
        queries = [select(*columns).where(*live)]
    else:
        wanted = sorted(customer_ids)
        queries = [
            select(*columns).where(*live, t.c.customer_id.in_(wanted[i : i + chunk]))
            for i in range(0, len(wanted), chunk)
        ]
    found: dict[str, dict[str, set[str]]] = {}
    for query in queries:
        for row in conn.execution_options(stream_results=True, yield_per=chunk).execute(query):
            for kind in kinds:
                raw = row._mapping[CONTACT_KEYS[kind]]
                value = (
                    norm.phone(raw, settings.default_region)
                    if kind == "contact_mobile"
                    else norm.email(raw)
                )
                if value:
                    found.setdefault(row.customer_id, {}).setdefault(kind, set()).add(value)
    return found


def _with_contacts(c: Candidate, keys: dict[str, dict[str, set[str]]]) -> Candidate:
    for kind, values in keys.get(c.id, {}).items():
        setattr(c, kind, tuple(sorted(values)))
    return c


def load(
    conn: Connection,
    entity: str,
    settings: IdentitySettings,
    ids: Iterable[str] | None = None,
    chunk: int = 5000,
) -> Iterator[Candidate]:
    """Live records of the entity (all, or those with these hub ids); customers
    with their contacts' keys, read in bulk beside them."""
    t = entity_tables[entity]
    columns = [t.c.id, t.c.source, t.c.source_id, t.c.created_at, *(t.c[f] for f in FIELDS[entity])]
    live = t.c.deleted_at.is_(None)
    customers = entity == "customers"
    if ids is None:
        keys = contact_keys(conn, settings) if customers else {}
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
            select(*columns).where(live)
        )
        for row in result:
            yield _with_contacts(candidate(entity, row._asdict(), settings), keys)
        return
    wanted = list(ids)
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        keys = contact_keys(conn, settings, part) if customers else {}
        for row in conn.execute(select(*columns).where(live, t.c.id.in_(part))):
            yield _with_contacts(candidate(entity, row._asdict(), settings), keys)
