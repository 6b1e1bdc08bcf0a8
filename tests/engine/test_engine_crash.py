"""`kill -9` of a worker in the middle of a stream: the task is delivered again, the
run finishes, the store is the one a clean run gives, nothing counted twice.

Both workers are rigged (tests/engine/rigged.py) to SIGKILL the process running a
task at the N-th call of one point, once between them (a marker file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.errors import ExitCode
from hub.store.tables import runs

from .conftest import Workers, engine_project, hub, local_copy, store_contents

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], dict]:
    """The store and the per-stream counts of a clean local sync of the same project."""
    root = tmp_path_factory.mktemp("reference")
    project = engine_project(root / "template", "redis://127.0.0.1:6379/15", branches=1)
    local = local_copy(project, root / "local")
    done = hub(local, "sync", "--json")
    assert done.returncode == ExitCode.REJECTS, done.stderr
    counts = {
        (s["connection"], s["stream"]): s["inserted"] for s in json.loads(done.stdout)["streams"]
    }
    return store_contents(local), counts


@pytest.mark.parametrize(
    ("target", "call", "whole_node"),
    [
        ("upsert", 4, False),  # a few batches in: earlier ones committed
        ("state", 6, False),  # the checkpoint written, not yet committed
        ("batch", 8, False),  # between two committed batches
        ("resolve", 1, False),  # a connection's follow-up: every stream landed
        ("upsert", 3, True),  # the whole worker node (main process too): the broker redelivers
    ],
)
def test_killed_worker_task_is_redelivered_and_the_run_completes(
    tmp_path: Path,
    redis_broker: str,
    workers: list[Workers],
    reference: tuple[dict[str, object], dict],
    target: str,
    call: int,
    whole_node: bool,
) -> None:
    expected_store, expected_counts = reference
    project = engine_project(tmp_path / "engine", redis_broker, branches=1)
    marker = tmp_path / "killed"
    pool = Workers(project)
    workers.append(pool)
    rig = ["kill", target, str(call), str(marker), *(["parent"] if whole_node else [])]
    pool.start(2, rig=rig)

    done = hub(project, "sync", "--engine", "--json", "--timeout", "150", timeout=200)

    assert marker.exists(), "the rigged point was reached"
    assert done.returncode == ExitCode.REJECTS, done.stderr + pool.output()[-4000:]
    counts = {
        (s["connection"], s["stream"]): s["inserted"] for s in json.loads(done.stdout)["streams"]
    }
    assert counts == expected_counts, "every row counted once"
    assert store_contents(project) == expected_store
    with project.store.read() as conn:
        assert [r.status for r in conn.execute(select(runs.c.status))] == ["rejects"]
