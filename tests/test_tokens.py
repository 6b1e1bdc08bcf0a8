"""The shared token cache: one mint per credential across threads and runs, 0600 files."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest

from hub.adapters.tokens import (
    TOKEN_CACHE_ENV,
    FileTokenStore,
    MemoryTokenStore,
    NoTokenStore,
    Token,
    TokenCache,
    token_key,
    token_store,
)
from hub.errors import AuthError, QuotaExhausted

LOG = logging.getLogger("test.tokens")
"""Outside the `hub` tree, whose handlers the CLI tests may configure."""


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Minter:
    def __init__(self, clock: Clock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0

    def __call__(self) -> Token:
        self.calls += 1
        return Token(
            f"secret-token-{self.calls}",
            self.clock() + self.lifetime,
            {"api_domain": "https://www.zohoapis.eu"},
        )


def test_a_second_run_reuses_the_token_of_the_first(tmp_path: Path) -> None:
    clock, mint = Clock(), Minter(Clock())
    mint.clock = clock
    key = token_key("zoho", "https://accounts.zoho.eu", "1000.CLIENT", "refresh-secret")
    first = TokenCache(mint, FileTokenStore(tmp_path), key, clock=clock)
    assert first.get().value == "secret-token-1"
    clock.now += 600  # the next scheduled run, ten minutes later
    second = TokenCache(mint, FileTokenStore(tmp_path), key, clock=clock)
    token = second.get()
    assert token.value == "secret-token-1"
    assert token.details == {"api_domain": "https://www.zohoapis.eu"}
    assert (mint.calls, second.minted, second.reused) == (1, 0, 1)


def test_a_token_close_to_expiry_is_not_reused(tmp_path: Path) -> None:
    clock = Clock()
    mint = Minter(clock)
    key = token_key("zoho", "a")
    TokenCache(mint, FileTokenStore(tmp_path), key, clock=clock, margin=60).get()
    clock.now += 3600 - 59  # 59 s left: less than the margin
    assert TokenCache(mint, FileTokenStore(tmp_path), key, clock=clock, margin=60).get().value == (
        "secret-token-2"
    )


def test_files_are_private_and_hold_no_secret_but_the_token(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    clock = Clock()
    key = token_key("zoho", "https://accounts.zoho.eu", "1000.CLIENT", "refresh-secret")
    TokenCache(Minter(clock), FileTokenStore(folder), key, clock=clock).get()
    files = list(folder.iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    text = files[0].read_text()
    assert "refresh-secret" not in text and "refresh-secret" not in files[0].name
    assert "secret-token-1" in text


def test_a_changed_refresh_token_does_not_reuse_the_old_token(tmp_path: Path) -> None:
    clock = Clock()
    mint = Minter(clock)
    old = token_key("zoho", "server", "client", "old-refresh")
    new = token_key("zoho", "server", "client", "new-refresh")
    assert old != new
    TokenCache(mint, FileTokenStore(tmp_path), old, clock=clock).get()
    assert TokenCache(mint, FileTokenStore(tmp_path), new, clock=clock).get().value == (
        "secret-token-2"
    )


def test_a_refused_token_is_forgotten_in_the_file_too(tmp_path: Path) -> None:
    clock = Clock()
    mint = Minter(clock)
    store = FileTokenStore(tmp_path)
    cache = TokenCache(mint, store, "k", clock=clock)
    cache.invalidate(cache.get().value)
    assert store.load("k") is None
    assert TokenCache(mint, FileTokenStore(tmp_path), "k", clock=clock).get().value == (
        "secret-token-2"
    )


def test_invalidating_an_old_token_keeps_the_newer_one(tmp_path: Path) -> None:
    clock = Clock()
    mint = Minter(clock)
    store = FileTokenStore(tmp_path)
    cache = TokenCache(mint, store, "k", clock=clock)
    old = cache.get().value
    cache.invalidate(old)
    new = cache.get().value
    cache.invalidate(old)  # a late thread reporting the old token
    assert cache.get().value == new and store.load("k").value == new  # type: ignore[union-attr]


def test_threads_share_one_mint() -> None:
    clock = Clock()
    mint = Minter(clock)
    cache = TokenCache(mint, MemoryTokenStore(), "k", clock=clock)
    values: list[str] = []
    threads = [threading.Thread(target=lambda: values.append(cache.get().value)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mint.calls == 1 and set(values) == {"secret-token-1"}


@pytest.mark.parametrize(
    "error", [AuthError("refresh token refused"), QuotaExhausted("token quota spent")]
)
def test_a_failed_mint_is_not_asked_again(error: Exception) -> None:
    calls = 0

    def mint() -> Token:
        nonlocal calls
        calls += 1
        raise error

    cache = TokenCache(mint, NoTokenStore(), "k")
    for _ in range(3):
        with pytest.raises(type(error)):
            cache.get()
    assert calls == 1


def test_a_file_readable_by_others_is_ignored_and_rewritten_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    store = FileTokenStore(tmp_path, LOG)
    store.save("k", Token("stolen-maybe", clock() + 3600))
    (tmp_path / "k.json").chmod(0o644)
    mint = Minter(clock)
    with caplog.at_level(logging.WARNING):
        assert TokenCache(mint, store, "k", clock=clock).get().value == "secret-token-1"
    assert "readable by other users" in caplog.text
    assert "stolen-maybe" not in caplog.text
    assert stat.S_IMODE((tmp_path / "k.json").stat().st_mode) == 0o600


def test_a_broken_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text("{not json")
    (tmp_path / "k.json").chmod(0o600)
    clock = Clock()
    assert TokenCache(Minter(clock), FileTokenStore(tmp_path), "k", clock=clock).get().value == (
        "secret-token-1"
    )


def test_an_unwritable_folder_only_costs_the_reuse(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    clock = Clock()
    mint = Minter(clock)
    with caplog.at_level(logging.WARNING):
        cache = TokenCache(mint, FileTokenStore(blocker / "tokens", LOG), "k", clock=clock)
        assert cache.get().value == "secret-token-1"
    assert "carrying on without it" in caplog.text and "secret-token" not in caplog.text


def test_tokens_never_reach_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    mint = Minter(clock)
    with caplog.at_level(logging.DEBUG):
        TokenCache(mint, FileTokenStore(tmp_path, LOG), "k", clock=clock, log=LOG).get()
        TokenCache(mint, FileTokenStore(tmp_path, LOG), "k", clock=clock, log=LOG).get()
    assert "reusing an access token" in caplog.text
    assert "secret-token" not in caplog.text


def test_where_tokens_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_STATE_DIR")
    store = token_store(tmp_path)
    assert isinstance(store, FileTokenStore) and store.files.folder == tmp_path / ".hub" / "tokens"
    monkeypatch.setenv("HUB_STATE_DIR", str(tmp_path / "state"))
    store = token_store(tmp_path)
    assert isinstance(store, FileTokenStore) and store.files.folder == tmp_path / "state" / "tokens"
    monkeypatch.setenv(TOKEN_CACHE_ENV, str(tmp_path / "elsewhere"))
    store = token_store(tmp_path)
    assert isinstance(store, FileTokenStore) and store.files.folder == tmp_path / "elsewhere"
    monkeypatch.setenv(TOKEN_CACHE_ENV, "off")
    assert isinstance(token_store(tmp_path), NoTokenStore)
