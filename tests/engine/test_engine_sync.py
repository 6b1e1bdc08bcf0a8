"""A sync through workers gives the store a local `hub sync` gives, on both brokers
and both stores; a bad or dead broker is one line, exit code 4, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.errors import ExitCode
from hub.store.tables import run_streams, runs

from .conftest import Workers, engine_project, hub, local_copy, store_contents

pytestmark = pytest.mark.slow


def test_two_workers_give_the_local_store(
    tmp_path: Path, broker: str, store_url: str, workers: list[Workers]
) -> None:
    if "postgresql" in store_url and "amqp" in broker:
        pytest.skip("PostgreSQL is covered with Redis; RabbitMQ with SQLite (CI time)")
    project = engine_project(tmp_path / "engine", broker, store_url)
    # the local reference is on SQLite: the stores are identical across databases
    local = local_copy(project, tmp_path / "local")
    pool = Workers(project)
    workers.append(pool)
    pool.start(2)

    done = hub(project, "sync", "--engine", "--json", "--timeout", "120")
    expected = hub(local, "sync", "--json")

    assert done.returncode == expected.returncode == ExitCode.REJECTS, (
        done.stderr + pool.output()[-3000:]
    )
    ours, theirs = json.loads(done.stdout), json.loads(expected.stdout)
    assert [
        (s["connection"], s["stream"], s["status"], s["read"], s["inserted"], s["rejected"])
        for s in ours["streams"]
    ] == [
        (s["connection"], s["stream"], s["status"], s["read"], s["inserted"], s["rejected"])
        for s in theirs["streams"]
    ]
    assert store_contents(project) == store_contents(local)
    with project.store.read() as conn:
        hosts = {r.worker.split(":")[0] for r in conn.execute(select(run_streams.c.worker))}
        statuses = [r.status for r in conn.execute(select(runs.c.status))]
    assert statuses == ["rejects"]
    assert len(hosts) == 2, "both worker nodes took streams"

    # a second run through the engine changes nothing and says so
    again = hub(project, "sync", "--engine", "--json", "--timeout", "120")
    assert again.returncode == ExitCode.OK, again.stderr
    assert all(s["inserted"] == 0 for s in json.loads(again.stdout)["streams"])


def test_no_wait_prints_the_run_id_and_the_run_finishes(
    tmp_path: Path, redis_broker: str, workers: list[Workers]
) -> None:
    from hub.engine.dispatch import wait_for

    project = engine_project(tmp_path / "engine", redis_broker, branches=0)
    sent = hub(project, "sync", "--engine", "--no-wait")
    assert sent.returncode == 0, sent.stderr
    run_id = int(sent.stdout.strip())
    pool = Workers(project)
    workers.append(pool)
    pool.start(1)  # started after: the tasks waited in the queue
    row = wait_for(project.store, run_id, timeout=120)
    assert row is not None and row.status == "rejects", pool.output()[-3000:]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("redis://127.0.0.1:1/0", "cannot connect"),
        ("amqp://guest:wrong-secret@127.0.0.1:1//", "cannot connect"),
    ],
)
def test_broker_down_is_one_line_exit_4_nothing_written(
    tmp_path: Path, url: str, reason: str
) -> None:
    project = engine_project(tmp_path / "engine", url, branches=0)
    done = hub(project, "sync", "--engine")
    assert done.returncode == ExitCode.SOURCE
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "engine.broker" in lines[0], done.stderr
    assert "wrong-secret" not in done.stderr
    assert not (project.root / "hub.db").exists(), "nothing written, not even the schema"
    worker = hub(project, "worker")
    assert worker.returncode == ExitCode.SOURCE and len(worker.stderr.strip().splitlines()) == 1


def test_bad_broker_url_is_a_config_error(tmp_path: Path) -> None:
    project = engine_project(tmp_path / "engine", "http://127.0.0.1:6379", branches=0)
    done = hub(project, "sync", "--engine")
    assert done.returncode == ExitCode.CONFIG
    assert done.stderr.strip() == (
        f"error: {project.config_path}: engine.broker: not a broker URL "
        "(redis://host:6379/0 or amqp://user:password@host:5672//)"
    )


def test_engine_needs_an_engine_table(tmp_path: Path) -> None:
    from .conftest import example_project

    project = example_project(tmp_path / "plain")
    done = hub(project, "sync", "--engine")
    assert done.returncode == ExitCode.CONFIG
    assert "[engine]: not configured" in done.stderr
