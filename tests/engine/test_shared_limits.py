"""Vendor limits are per client, not per worker: 4 worker processes syncing 4
connections of one Zoho client share one access token and one in-flight budget
(through the broker's Redis, or through the store with RabbitMQ), and the fake
Zoho sees neither limit exceeded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.adapters.localstate import STATE_DIR_ENV
from hub.engine.tables import shared_tokens
from hub.errors import ExitCode
from hub.store.tables import run_streams
from hub.testing import Project

from .conftest import AMQP_URL, Workers, hub, purge, reachable

pytestmark = pytest.mark.slow

IN_FLIGHT_LIMIT = 3


@pytest.fixture
def fake_zoho() -> Iterator[object]:
    from hub_zoho.fake import FakeOrg, FakeZoho, make_server, sample_counts

    org = FakeOrg()
    org.populate(sample_counts(1200), seed=7)
    fake = FakeZoho(org, concurrency_limit=IN_FLIGHT_LIMIT, latency=0.02)
    server = make_server(fake, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def zoho_project(
    root: Path,
    fake: object,
    broker: str,
    connections: int,
    store_url: str | None = None,
    concurrency: int = 4,
) -> Project:
    import uuid

    # A refresh token of its own: no token from an earlier test's fake (or from another
    # test run sharing the Redis) is reused, and no one else's keys are touched.
    refresh_token = fake.grant(f"1000.{uuid.uuid4().hex}")  # type: ignore[attr-defined]
    project = Project(root, store_url=store_url)
    lines = [f'store = "{project.store_url}"', 'timezone = "Asia/Shanghai"', ""]
    lines += [f'[engine]\nbroker = "{broker}"\nqueue = "hub-test-{uuid.uuid4().hex[:8]}"']
    lines += [f"concurrency = {concurrency}", ""]
    for n in range(connections):
        lines.append(f"[connections.zoho_{n}]")
        lines.append('adapter = "zoho"')
        for key, value in fake.settings(
            max_concurrency=IN_FLIGHT_LIMIT, refresh_token=refresh_token
        ).items():  # type: ignore[attr-defined]
            lines.append(
                f"{key} = {value!r}".replace("'", '"')
                if isinstance(value, str)
                else f"{key} = {value}"
            )
        lines.append("")
    project.config_path.write_text("\n".join(lines), encoding="utf-8")
    return project


def test_four_workers_share_one_token_and_one_in_flight_budget(
    tmp_path: Path,
    redis_broker: str,
    fake_zoho: object,
    workers: list[Workers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = zoho_project(tmp_path / "zoho", fake_zoho, redis_broker, connections=4)
    pool = Workers(project)
    workers.append(pool)
    pool.start(1)  # one node, four pool processes
    time.sleep(1)

    done = hub(project, "sync", "--engine", "--json", "--timeout", "150", timeout=200)

    assert done.returncode == ExitCode.OK, done.stderr + pool.output()[-3000:]
    stats = fake_zoho.stats.as_json()  # type: ignore[attr-defined]
    assert stats["mints"] == 1, "one access token for the four connections of one client"
    assert stats["token_throttled"] == 0
    assert stats["max_in_flight"] <= IN_FLIGHT_LIMIT
    assert "429" not in stats["statuses"], stats["statuses"]
    purge(project)


@pytest.fixture
def fake_fxiaoke() -> Iterator[object]:
    from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
    from hub_fxiaoke.server import FakeServer

    fake = populate(FakeFxiaoke(latency=0.01), DemoSizes(accounts=150, managers=6))
    with FakeServer(fake) as server:
        yield server


def test_workers_on_two_hosts_share_through_the_store(
    tmp_path: Path,
    fake_zoho: object,
    fake_fxiaoke: object,
    workers: list[Workers],
    postgres_url: str,
) -> None:
    """RabbitMQ and PostgreSQL, no Redis: two worker nodes of two processes each, with
    host names of their own and no `.hub/` folder in common, still mint one token per
    client and keep within one in-flight budget (the store's shared tables)."""
    why = reachable(AMQP_URL)
    if why:
        pytest.skip(f"amqp broker tests: {why}")
    project = zoho_project(
        tmp_path / "zoho", fake_zoho, AMQP_URL, 4, store_url=postgres_url, concurrency=2
    )
    tenant = fake_fxiaoke.fake  # type: ignore[attr-defined]
    settings = tenant.settings(fake_fxiaoke.url)  # type: ignore[attr-defined]
    with project.config_path.open("a", encoding="utf-8") as out:
        for n in range(2):  # two connections of one Fxiaoke tenant
            out.write(f'\n[connections.fxiaoke_{n}]\nadapter = "fxiaoke"\n')
            out.write("".join(f'{k} = "{v}"\n' for k, v in settings.items()))
    pool = Workers(project)
    workers.append(pool)
    for host in ("host-a", "host-b"):
        pool.start(
            1, wait=False, env={STATE_DIR_ENV: str(tmp_path / host)}, args=["-n", f"hub@{host}"]
        )
    pool.wait_ready(2)

    done = hub(project, "sync", "--engine", "--json", "--timeout", "150", timeout=200)

    assert done.returncode == ExitCode.OK, done.stderr + pool.output()[-3000:]
    stats = fake_zoho.stats.as_json()  # type: ignore[attr-defined]
    assert stats["mints"] == 1, "one access token for both hosts"
    assert stats["token_throttled"] == 0
    assert stats["max_in_flight"] <= IN_FLIGHT_LIMIT
    assert "429" not in stats["statuses"], stats["statuses"]
    assert tenant.stats()["token_calls"] == 1, "one Fxiaoke token for both hosts"
    with project.store.read() as conn:
        nodes = {w.split(":")[0] for w in conn.execute(select(run_streams.c.worker)).scalars()}
        sealed = conn.execute(select(shared_tokens.c.sealed)).scalars().all()
    assert {"hub@host-a", "hub@host-b"} <= nodes, nodes
    assert len(sealed) == 2  # one Zoho client, one Fxiaoke app
    for token in fake_zoho.tokens:  # type: ignore[attr-defined]
        assert all(token not in value for value in sealed)
    assert not any((tmp_path / host / "tokens").exists() for host in ("host-a", "host-b"))
