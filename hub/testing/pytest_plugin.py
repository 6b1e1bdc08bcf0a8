"""pytest fixtures for testing against real stores.

PostgreSQL tests run against the server named by `HUB_TEST_POSTGRES_URL`
(e.g. `postgresql+psycopg://postgres@127.0.0.1:5432/test`); each test gets a
database of its own, dropped afterwards. Without the variable they are
skipped with that reason; with it and no server they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "HUB_TEST_POSTGRES_URL"


def _admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    admin = _admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql+psycopg://user@host/db")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test keeps the hub's own files (cached tokens, learned limits) apart, so a
    token minted against one fake is never reused against another test's fake."""
    from hub.adapters.localstate import STATE_DIR_ENV
    from hub.adapters.tokens import TOKEN_CACHE_ENV

    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("hub-state")))
    monkeypatch.delenv(TOKEN_CACHE_ENV, raising=False)
