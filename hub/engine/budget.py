"""The vendor budget workers share through the store, for set-ups without a Redis.

With a RabbitMQ broker the workers' only common ground is the store, so the
tokens, in-flight slots and daily credits of `hub.adapters.sharedstate` live
in three of its tables (`hub.engine.tables`): PostgreSQL for workers on
several hosts, SQLite for one host. Each operation is one short transaction
that first locks the key's row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
write transactions are serialised already), so two workers never both take
the last slot or both mint.

A token is sealed (`hub.adapters.sealed`) with a key derived from its
credential: the table holds nothing usable without hub.toml's secrets.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, update

from hub.adapters import sealed
from hub.adapters.sharedstate import (
    MINT_LOCK_SECONDS,
    POLL_SECONDS,
    SLOT_LEASE_SECONDS,
    SPENT_REASON,
)
from hub.adapters.tokens import Token
from hub.adapters.tokenstores import MINT_WAIT_ROUNDS
from hub.engine.tables import shared_budgets, shared_slots, shared_tokens
from hub.store.database import Store, dialect_insert


def _locked(conn: Connection, table: Table, key: str) -> Any:
    """The key's row, created if missing, locked until the transaction ends."""
    conn.execute(
        dialect_insert(conn, table).values(key=key).on_conflict_do_nothing(index_elements=["key"])
    )
    return conn.execute(select(table).where(table.c.key == key).with_for_update()).one()


class StoreShared:
    """Tokens, slots and credits in the store's tables."""

    def __init__(
        self,
        store: Store,
        *,
        lease_seconds: float = SLOT_LEASE_SECONDS,
        mint_wait_seconds: float = MINT_LOCK_SECONDS,
    ) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.tokens = StoreTokenStore(store, mint_wait_seconds)
        self.credits = StoreCredits(store)

    def slots(self, key: str, lease_seconds: float | None = None) -> StoreSlots:
        return StoreSlots(self.store, key, lease_seconds or self.lease_seconds)


class StoreTokenStore:
    """One sealed token per credential; while one process mints, the others wait for its
    token (the mint lock ends after `wait_seconds`: a process that died or failed minting
    lets the next one take it; see `MINT_WAIT_ROUNDS`)."""

    def __init__(self, store: Store, wait_seconds: float = MINT_LOCK_SECONDS) -> None:
        self.store = store
        self.wait_seconds = wait_seconds
        self.waited = 0
        """Times this store waited for another process's mint (tests)."""

    def load(self, key: str, margin: float = 0.0) -> Token | None:
        """The shared token, valid for more than `margin` seconds; None means "mint it"
        (this process then holds the mint lock)."""
        secret = getattr(key, "secret", None)
        if secret is None:
            return None  # a key without a seal: never shared
        deadline = time.monotonic() + MINT_WAIT_ROUNDS * self.wait_seconds
        waited = False
        while True:
            now = time.time()
            with self.store.begin() as conn:
                row = _locked(conn, shared_tokens, key)
                token = _unsealed(secret, row)
                if token is not None and token.valid_for(now) > margin:
                    self.waited += waited
                    return token
                if not (row.minting_until and row.minting_until > now):
                    conn.execute(
                        update(shared_tokens)
                        .where(shared_tokens.c.key == key)
                        .values(minting_until=now + self.wait_seconds)
                    )
                    return None
            if time.monotonic() > deadline:
                return None  # minting processes kept dying or failing: mint here
            waited = True
            time.sleep(POLL_SECONDS * 2)

    def save(self, key: str, token: Token) -> None:
        secret = getattr(key, "secret", None)
        if secret is None:
            return
        with self.store.begin() as conn:
            _locked(conn, shared_tokens, key)
            conn.execute(
                update(shared_tokens)
                .where(shared_tokens.c.key == key)
                .values(
                    sealed=sealed.seal(secret, token.value),
                    expires_at=token.expires_at,
                    details=json.dumps(dict(token.details)),
                    minting_until=None,
                )
            )

    def forget(self, key: str, value: str) -> None:
        """Drop the token if it is still `value` (another process may have replaced it)."""
        secret = getattr(key, "secret", None)
        if secret is None:
            return
        with self.store.begin() as conn:
            row = _locked(conn, shared_tokens, key)
            token = _unsealed(secret, row)
            if token is not None and token.value == value:
                conn.execute(
                    update(shared_tokens)
                    .where(shared_tokens.c.key == key)
                    .values(sealed=None, expires_at=None, details=None)
                )


def _unsealed(secret: bytes, row: Any) -> Token | None:
    if not row.sealed or row.expires_at is None:
        return None
    value = sealed.unseal(secret, row.sealed)
    if value is None:
        return None
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        details = {}
    return Token(value, float(row.expires_at), {str(k): str(v) for k, v in details.items()})


class StoreSlots:
    """At most `limit` unexpired leases per key."""

    def __init__(self, store: Store, key: str, lease_seconds: float = SLOT_LEASE_SECONDS) -> None:
        self.store = store
        self.key = key
        self.lease_seconds = lease_seconds

    def try_acquire(self, limit: int) -> str | None:
        now = time.time()
        s = shared_slots
        with self.store.begin() as conn:
            _locked(conn, shared_budgets, self.key)
            conn.execute(delete(s).where(s.c.key == self.key, s.c.lease_until <= now))
            taken = conn.execute(select(func.count()).where(s.c.key == self.key)).scalar_one()
            if taken >= max(1, limit):
                return None
            holder = uuid.uuid4().hex
            conn.execute(
                s.insert().values(key=self.key, holder=holder, lease_until=now + self.lease_seconds)
            )
            return holder

    def release(self, holder: str) -> None:
        s = shared_slots
        with self.store.begin() as conn:
            conn.execute(delete(s).where(s.c.key == self.key, s.c.holder == holder))

    def holders(self) -> int:
        s = shared_slots
        with self.store.read() as conn:
            return conn.execute(
                select(func.count()).where(s.c.key == self.key, s.c.lease_until > time.time())
            ).scalar_one()


class StoreCredits:
    """Per org: until when its quota is spent, and the balance the vendor last reported
    less the calls sent since (while that report is fresh)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def take(self, key: str, cost: int = 1) -> str | None:
        b = shared_budgets
        now = time.time()
        with self.store.read() as conn:  # the common case: nothing known, no write
            row = conn.execute(select(b).where(b.c.key == key)).one_or_none()
        if row is None:
            return None
        if row.exhausted_until and row.exhausted_until > now:
            return row.reason or "quota exhausted"
        if row.remaining is None or not (row.remaining_until and row.remaining_until > now):
            return None
        with self.store.begin() as conn:
            row = _locked(conn, b, key)
            if row.remaining is None or not (row.remaining_until and row.remaining_until > now):
                return None
            if row.remaining < cost:
                return SPENT_REASON
            conn.execute(update(b).where(b.c.key == key).values(remaining=b.c.remaining - cost))
            return None

    def note(self, key: str, remaining: int, valid_until: float) -> None:
        with self.store.begin() as conn:
            _locked(conn, shared_budgets, key)
            conn.execute(
                update(shared_budgets)
                .where(shared_budgets.c.key == key)
                .values(remaining=max(0, remaining), remaining_until=valid_until)
            )

    def exhaust(self, key: str, until: float, reason: str) -> None:
        with self.store.begin() as conn:
            _locked(conn, shared_budgets, key)
            conn.execute(
                update(shared_budgets)
                .where(shared_budgets.c.key == key)
                .values(exhausted_until=until, reason=reason, remaining=None, remaining_until=None)
            )
