"""The shared vendor budget, backend by backend (the store on SQLite and PostgreSQL, and
Redis): each `SharedState` made here stands for another worker process with its own
connections; `test_shared_limits.py` runs real workers against the fakes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from hub.adapters import sharedstate
from hub.adapters.sharedstate import SPENT_REASON, SharedState
from hub.adapters.tokens import Token, TokenCache, TokenKey, token_key
from hub.engine.budget import StoreShared
from hub.engine.tables import shared_budgets, shared_tokens
from hub.errors import QuotaExhausted
from hub.store.database import Store
from hub.testing.pytest_plugin import POSTGRES_ENV

from .conftest import REDIS_URL, reachable

LEASE = 2.0


@pytest.fixture(scope="module")
def postgres_store() -> Iterator[str]:
    """One PostgreSQL database for the module (every test uses keys of its own), so
    that the tests do not each pay for creating and migrating one."""
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.upgrade()
    store.dispose()
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, url) of one shared backend."""
    if request.param == "redis":
        why = reachable(REDIS_URL)
        if why:
            pytest.skip(f"redis: {why}")
        return "redis", REDIS_URL
    if request.param == "postgresql":
        return "store", request.getfixturevalue("postgres_store")
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    store.dispose()
    return "store", str(store.url)


def open_shared(
    kind: str, url: str, lease: float = LEASE
) -> tuple[SharedState, Callable[[], None]]:
    """A SharedState as another process would open it, and how to close it."""
    if kind == "redis":
        return sharedstate.RedisShared(url), lambda: None
    store = Store(url)
    return StoreShared(store, lease_seconds=lease), store.dispose


def fresh_key(kind: str = "test") -> TokenKey:
    return token_key(kind, uuid.uuid4().hex, "refresh-secret")


def test_four_processes_starting_at_once_mint_one_token(backend: tuple[str, str]) -> None:
    key = fresh_key()
    mints: list[str] = []
    lock = threading.Lock()

    def mint() -> Token:
        time.sleep(0.3)  # a token endpoint takes a while: the others must wait, not mint
        with lock:
            mints.append("minted")
        return Token(f"tok-{uuid.uuid4().hex}", time.time() + 3600, {"api_domain": "x"})

    got: list[Token] = []
    closers = []

    def worker() -> None:
        state, close = open_shared(*backend)
        closers.append(close)
        token = TokenCache(mint, state.tokens, key).get()
        with lock:
            got.append(token)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for close in closers:
        close()
    assert len(mints) == 1
    assert len({t.value for t in got}) == 1 and len(got) == 4
    assert got[0].details == {"api_domain": "x"}


def test_a_token_about_to_expire_is_replaced_once_for_everyone(
    backend: tuple[str, str],
) -> None:
    key = fresh_key()
    seed, close = open_shared(*backend)
    seed.tokens.save(key, Token("old", time.time() + 30))  # within the caches' 60 s margin
    close()
    mints: list[str] = []

    def mint() -> Token:
        time.sleep(0.3)
        mints.append("minted")
        return Token("new", time.time() + 3600)

    got: list[str] = []

    def worker() -> None:
        state, close = open_shared(*backend)
        got.append(TokenCache(mint, state.tokens, key, margin=60).get().value)
        close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert mints == ["minted"] and got == ["new"] * 3


def test_a_refused_token_is_replaced_once_for_everyone(backend: tuple[str, str]) -> None:
    key = fresh_key()
    (a, close_a), (b, close_b) = open_shared(*backend), open_shared(*backend)
    first = Token("first", time.time() + 3600)
    assert a.tokens.load(key) is None  # a mints
    a.tokens.save(key, first)
    assert b.tokens.load(key) == first
    b.tokens.forget(key, "someone else's")  # not the stored one: kept
    assert a.tokens.load(key) == first
    b.tokens.forget(key, "first")
    assert a.tokens.load(key) is None  # gone: a mints again
    close_a()
    close_b()


def test_the_stored_token_is_sealed_with_the_credential(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    shared = StoreShared(store)
    key = fresh_key()
    value = "1000.secret-access-token.abcdef"
    assert shared.tokens.load(key) is None
    shared.tokens.save(key, Token(value, time.time() + 3600))
    with store.read() as conn:
        (sealed_value,) = conn.execute(select(shared_tokens.c.sealed)).one()
    assert value not in sealed_value and "secret-access-token" not in sealed_value
    assert shared.tokens.load(key).value == value  # type: ignore[union-attr]
    stranger = TokenKey(str(key), b"not the credential's secret")
    other = StoreShared(store, mint_wait_seconds=0.2)
    assert other.tokens.load(stranger) is None  # unreadable without the credential
    store.dispose()


def test_slots_cap_requests_in_flight_across_processes(backend: tuple[str, str]) -> None:
    key = f"cap-{uuid.uuid4().hex}"
    opened = [open_shared(*backend) for _ in range(3)]
    a, b, c = (state.slots(key) for state, _ in opened)
    one, two = a.try_acquire(2), b.try_acquire(2)
    assert one and two
    assert c.try_acquire(2) is None
    assert a.holders() == 2
    b.release(two)
    assert c.try_acquire(2) is not None
    for _, close in opened:
        close()


CHILD = """
import sys, time
kind, url, key, lease = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
if kind == "redis":
    from hub.adapters.sharedstate import RedisSlots
    slots = RedisSlots(url, key, lease_seconds=lease)
else:
    from hub.engine.budget import StoreSlots
    from hub.store.database import Store
    slots = StoreSlots(Store(url), key, lease_seconds=lease)
assert slots.try_acquire(1)
print(time.time(), flush=True)
time.sleep(60)
"""


def test_a_killed_worker_holds_its_slot_no_longer_than_the_lease(
    backend: tuple[str, str],
) -> None:
    kind, url = backend
    key = f"killed-{uuid.uuid4().hex}"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), kind, url, key, str(LEASE)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    taken_at = float(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    state, close = open_shared(kind, url)
    slots = state.slots(key)
    if time.time() < taken_at + LEASE - 0.5:  # (always, but on a machine stalled for seconds)
        assert slots.try_acquire(1) is None, "the dead worker's slot is still leased"
    while slots.try_acquire(1) is None:
        assert time.time() < taken_at + LEASE + 2, "the slot outlived its lease"
        time.sleep(0.05)
    assert time.time() >= taken_at + LEASE - 0.1
    close()


def test_daily_credits_are_known_to_every_process(backend: tuple[str, str]) -> None:
    key = f"org-{uuid.uuid4().hex}"
    (a, close_a), (b, close_b) = open_shared(*backend), open_shared(*backend)
    assert a.credits.take(key) is None  # nothing known: send
    a.credits.note(key, 3, time.time() + 60)  # the vendor says 3 remain
    assert [b.credits.take(key), a.credits.take(key, 2)] == [None, None]
    assert b.credits.take(key) == SPENT_REASON  # 3 spent by the two processes together
    a.credits.note(key, 5, time.time() - 1)  # a stale report counts for nothing
    assert b.credits.take(key) is None
    a.credits.exhaust(key, time.time() + 60, "the vendor said the quota is spent")
    assert b.credits.take(key) == "the vendor said the quota is spent"
    assert b.credits.take(f"other-{key}") is None  # another org is not affected
    a.credits.exhaust(key, time.time() - 1, "back")
    assert b.credits.take(key) is None  # the quota is back
    close_a()
    close_b()


def test_zoho_workers_stop_before_spending_refused_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once one worker met Zoho's "credits used up", the others send nothing."""
    from hub_zoho.client import ZohoClient
    from hub_zoho.fake import FakeOrg, FakeZoho
    from hub_zoho.settings import ZohoSettings
    from hub_zoho.testing import SMALL_ORG, mount, zoho_settings

    org = FakeOrg()
    org.populate(SMALL_ORG, seed=3)
    fake = FakeZoho(org)
    fake.inject("quota", after=2)  # the third call finds the org's credits used up
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    sharedstate.use(lambda: StoreShared(store))
    try:
        with mount(fake):
            settings = ZohoSettings.model_validate(zoho_settings(fake))
            first, second = (ZohoClient(settings, logging.getLogger("t")) for _ in range(2))
            with pytest.raises(QuotaExhausted, match="used up"):
                for _ in range(20):
                    first.get("/crm/v8/Accounts", {"fields": "Account_Name"})
            sent = sum(fake.stats.requests.values())
            with pytest.raises(QuotaExhausted, match="not sent: another worker met Zoho"):
                second.get("/crm/v8/Accounts", {"fields": "Account_Name"})
            assert sum(fake.stats.requests.values()) == sent, "a refused call was spent"
    finally:
        sharedstate.use(None)
        store.dispose()


def test_fxiaoke_workers_stop_before_spending_refused_calls(tmp_path: Path) -> None:
    """Once one worker met Fxiaoke's 30002 (daily quota exhausted), the others send
    nothing until 00:00 Asia/Shanghai."""
    from hub_fxiaoke.client import FxiaokeClient, next_quota_reset
    from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
    from hub_fxiaoke.server import FakeServer
    from hub_fxiaoke.settings import FxiaokeSettings

    tenant = populate(FakeFxiaoke(daily_quota=1), DemoSizes(accounts=5, managers=6))
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    sharedstate.use(lambda: StoreShared(store))
    query = {"data": {"dataObjectApiName": "AccountObj", "search_query_info": {"limit": 10}}}
    try:
        with FakeServer(tenant) as server:
            settings = FxiaokeSettings.model_validate(tenant.settings(server.url))
            first, second = FxiaokeClient(settings), FxiaokeClient(settings)
            first.post("/cgi/crm/v2/data/query", query)  # the day's one call
            with pytest.raises(QuotaExhausted, match="30002"):
                first.post("/cgi/crm/v2/data/query", query)
            sent = tenant.stats()["business_calls"]
            with pytest.raises(QuotaExhausted, match="not sent: another worker met Fxiaoke"):
                second.post("/cgi/crm/v2/data/query", query)
            assert tenant.stats()["business_calls"] == sent, "a refused call was spent"
            first.close()
            second.close()
        with store.read() as conn:
            until = conn.execute(
                select(shared_budgets.c.exhausted_until).where(
                    shared_budgets.c.key == first.quota_key
                )
            ).scalar_one()
        assert until == pytest.approx(next_quota_reset(time.time()), abs=5)
    finally:
        sharedstate.use(None)
        store.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "redis"], indirect=True)
def test_fxiaoke_workers_share_one_rate_window(backend: tuple[str, str]) -> None:
    """Two worker processes pacing one tenant's interface each to its 5 calls per
    2 s would send 10 in a window; through the shared window they send 5 together,
    and the tenant refuses none (30004)."""
    from hub_fxiaoke import ratelimit
    from hub_fxiaoke.client import FxiaokeClient
    from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
    from hub_fxiaoke.server import FakeServer
    from hub_fxiaoke.settings import FxiaokeSettings

    tenant = populate(
        FakeFxiaoke(calls_per_20s=5, window_seconds=2.0), DemoSizes(accounts=5, managers=6)
    )
    state, close = open_shared(*backend)
    sharedstate.use(lambda: state)
    query = {"data": {"dataObjectApiName": "AccountObj", "search_query_info": {"limit": 10}}}
    try:
        with FakeServer(tenant) as server:
            settings = FxiaokeSettings.model_validate(
                {**tenant.settings(server.url), "calls_per_20s": 5, "rate_window_seconds": 2}
            )
            # two "processes": each client with its own windows, as each process has
            clients = [FxiaokeClient(settings, windows=ratelimit.Windows()) for _ in range(2)]
            path = "/cgi/crm/v2/data/query"

            def work(client: FxiaokeClient) -> None:
                for _ in range(6):
                    client.post(path, query)

            threads = [threading.Thread(target=work, args=(c,)) for c in clients]
            start = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            took = time.monotonic() - start
            for client in clients:
                client.close()
        assert tenant.counters.answered.get(30004, 0) == 0
        assert tenant.stats()["business_calls"] >= 12
        assert took >= 4.0  # 12 calls at 5 per 2 s (+ margin) take two full windows
    finally:
        sharedstate.use(None)
        close()


def test_a_zoho_slot_outlives_the_slowest_request(tmp_path: Path) -> None:
    """A slot is taken back from a process that seems dead once its lease ends: with
    `timeout_seconds = 300` a request may take 3 × 300 s (connect, send, read), so the
    lease must be longer, or a live request's slot would be given to another."""
    from hub_zoho.client import ZohoClient
    from hub_zoho.settings import ZohoSettings

    from hub.engine.tables import shared_slots

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    sharedstate.use(lambda: StoreShared(store))
    try:
        settings = ZohoSettings.model_validate(
            {
                "client_id": "1000.X",
                "client_secret": "s3cret",
                "refresh_token": "r3fresh",
                "timeout_seconds": 300,
            }
        )
        client = ZohoClient(settings, logging.getLogger("test"))
        with client.limit.slot(), store.read() as conn:
            (until,) = conn.execute(select(shared_slots.c.lease_until)).one()
        client.close()
        assert until - time.time() > 900
    finally:
        sharedstate.use(None)
        store.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "redis"], indirect=True)
def test_a_minter_that_died_costs_one_more_mint_not_one_per_waiter(
    backend: tuple[str, str],
) -> None:
    """A process took the mint lock and died: its lock ends, one waiter takes it and
    mints, and the other waiters wait for that token instead of minting their own."""
    from hub.adapters.tokenstores import RedisTokenStore
    from hub.engine.budget import StoreTokenStore

    kind, url = backend
    key = fresh_key()
    wait = 0.5

    def tokens() -> Any:
        return (
            RedisTokenStore(url, wait_seconds=wait)
            if kind == "redis"
            else (StoreTokenStore(Store(url), wait_seconds=wait))
        )

    assert tokens().load(key) is None  # the process that dies holding the lock
    mints: list[str] = []
    got: list[str] = []
    lock = threading.Lock()

    def mint() -> Token:
        time.sleep(wait * 0.6)  # the waiters started before it began: a timeout of one
        # lock lifetime ends for them while it mints
        with lock:
            mints.append("minted")
        return Token(f"tok-{uuid.uuid4().hex}", time.time() + 3600)

    def waiter() -> None:
        token = TokenCache(mint, tokens(), key).get()
        with lock:
            got.append(token.value)

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    assert len(mints) == 1 and len(set(got)) == 1 and len(got) == 3
