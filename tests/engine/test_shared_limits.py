"""Vendor limits are per client, not per worker: 4 worker processes syncing 4
connections of one Zoho client share one access token and one in-flight budget
(through the broker's Redis), and the fake Zoho sees neither limit exceeded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.errors import ExitCode
from hub.testing import Project

from .conftest import Workers, hub, purge

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


def zoho_project(root: Path, fake: object, broker: str, connections: int) -> Project:
    import uuid

    project = Project(root)
    lines = [f'store = "{project.store_url}"', 'timezone = "Asia/Shanghai"', ""]
    lines += [f'[engine]\nbroker = "{broker}"\nqueue = "hub-test-{uuid.uuid4().hex[:8]}"']
    lines += ["concurrency = 4", ""]
    for n in range(connections):
        lines.append(f"[connections.zoho_{n}]")
        lines.append('adapter = "zoho"')
        for key, value in fake.settings(max_concurrency=IN_FLIGHT_LIMIT).items():  # type: ignore[attr-defined]
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
    from hub.adapters.sharedstate import PREFIX, redis_client

    shared = redis_client(redis_broker)
    for key in shared.scan_iter(f"{PREFIX}*"):  # no token from an earlier test's fake
        shared.delete(key)
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
