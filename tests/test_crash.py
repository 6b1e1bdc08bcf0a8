"""Killed at any point, a sync leaves a store the next run completes exactly.

Each case runs `hub sync` in a subprocess that SIGKILLs itself at one point
of the run (see interrupt.py), then runs `hub sync` again and compares the
store with one that synced without interruption."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.errors import ExitCode
from hub.store.tables import rejects, runs
from hub.testing import Project

from .conftest import example_project

INTERRUPT = Path(__file__).with_name("interrupt.py")
ENTITIES = ("managers", "customers", "activities", "goals")

pytestmark = pytest.mark.slow


def small_batches(project: Project) -> None:
    text = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(
        text.replace('base_currency = "CNY"', 'base_currency = "CNY"\n\n[sync]\nbatch_size = 400'),
        encoding="utf-8",
    )


def hub_sync(project: Project, *rig: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(INTERRUPT), *rig, "--", "-C", str(project.config_path), "sync"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def store_contents(project: Project) -> dict[str, object]:
    contents: dict[str, object] = {e: project.rows(e) for e in ENTITIES}
    with project.store.read() as conn:
        contents["open rejects"] = sorted(
            (r.stream, r.reject_key, r.reason)
            for r in conn.execute(select(rejects).where(rejects.c.resolved_at.is_(None)))
        )
    return contents


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    project = example_project(tmp_path_factory.mktemp("reference"))
    small_batches(project)
    assert project.sync().exit_code == ExitCode.REJECTS
    return store_contents(project)


@pytest.mark.parametrize(
    ("target", "call"),
    [
        ("upsert", 1),  # inside the very first batch
        ("upsert", 4),  # inside a customers batch: managers committed, customers partly
        ("state", 7),  # activities half done, checkpoint written but not committed
        ("batch", 9),  # between two committed batches
        ("resolve", 1),  # every batch committed, references not yet resolved
    ],
)
def test_killed_sync_resumes_to_the_same_store(
    tmp_path: Path, reference: dict[str, object], target: str, call: int
) -> None:
    project = example_project(tmp_path / "example")
    small_batches(project)
    killed = hub_sync(project, "kill", target, str(call))
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = hub_sync(project, "sleep", "batch", "0")
    # exit 5 if the rerun itself met the bad rows, 0 if the killed run had stored them
    assert again.returncode in (ExitCode.OK, ExitCode.REJECTS), again.stderr
    assert store_contents(project) == reference
    with project.store.read() as conn:
        statuses = [r.status for r in conn.execute(select(runs.c.status).order_by(runs.c.id))]
    assert statuses == ["abandoned", "rejects" if again.returncode else "ok"]


def test_a_load_killed_without_its_indexes_gets_them_back(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from hub.store.tables import entity_tables

    project = example_project(tmp_path / "example")
    small_batches(project)
    killed = hub_sync(project, "kill", "upsert", "8")  # inside the activities load
    assert killed.returncode == -signal.SIGKILL
    with project.store.read() as conn:
        present = {i["name"] for i in inspect(conn).get_indexes("activities")}
    expected = {i.name for i in entity_tables["activities"].indexes}
    assert not expected <= present  # the bulk load had dropped them
    assert hub_sync(project, "sleep", "batch", "0").returncode in (ExitCode.OK, ExitCode.REJECTS)
    with project.store.read() as conn:
        assert {i["name"] for i in inspect(conn).get_indexes("activities")} >= expected
