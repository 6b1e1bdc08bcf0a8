"""A Zoho sync killed (SIGKILL) in the middle resumes to the store a clean run gives.

The fake Zoho is served on loopback; `hub sync` runs in a subprocess rigged
to kill itself at one point of the run (the nth batch, or the nth checkpoint
of one stream while the others are read beside it), then runs again in this
process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_zoho.fake import FakeOrg, FakeZoho, running

from hub.errors import ExitCode
from hub.store.tables import entity_tables
from hub.testing import Project, snapshot

pytestmark = pytest.mark.slow

RIGGED = """
import os, signal, sys
from hub.cli import main
from hub.store import records
from hub.sync import state

target, stream, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
owner, name = (state, "save") if target == "state" else (records.RecordWriter, "upsert")
original, calls = getattr(owner, name), 0

def rigged(*args, **kwargs):
    global calls
    result = original(*args, **kwargs)
    if target == "state" and args[2] != stream:  # save(conn, connection, stream, ...)
        return result
    calls += 1
    if calls == nth:
        os.kill(os.getpid(), signal.SIGKILL)  # the transaction is still open
    return result

setattr(owner, name, rigged)
sys.argv = ["hub", *sys.argv[4:]]
main()
"""


@pytest.fixture(scope="module")
def served() -> Iterator[FakeZoho]:
    org = FakeOrg()
    org.populate(
        {"Accounts": 900, "Contacts": 200, "Calls": 1500, "Tasks": 600, "Deals": 300}, seed=21
    )
    fake = FakeZoho(org)
    with running(fake):
        yield fake


def project_for(root: Path, fake: FakeZoho) -> Project:
    project = Project(root)
    settings = fake.settings()
    project.configure(
        {"zoho": {"adapter": "zoho", "activities": ["Calls", "Tasks", "Deals"], **settings}},
        sync={"batch_size": 300},
    )
    return project


@pytest.fixture(scope="module")
def reference(
    served: FakeZoho, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, object]]]:
    project = project_for(tmp_path_factory.mktemp("reference"), served)
    assert project.sync().exit_code == ExitCode.OK
    return {entity: snapshot(project.store, entity) for entity in entity_tables}


@pytest.mark.parametrize(
    ("target", "stream", "nth"),
    [
        ("upsert", "*", 2),  # inside the second batch of the run, whichever stream's
        ("state", "activities", 2),  # activities under way, other streams part done
        ("state", "activities", 5),  # later in activities, spans part done
    ],
)
def test_a_killed_sync_resumes_to_the_same_store(
    served: FakeZoho,
    reference: dict[str, list[dict[str, object]]],
    tmp_path: Path,
    target: str,
    stream: str,
    nth: int,
) -> None:
    project = project_for(tmp_path / "p", served)
    command = [sys.executable, "-c", RIGGED, target, stream, str(nth)]
    killed = subprocess.run(
        [*command, "-C", str(project.config_path), "sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = {entity: len(project.rows(entity)) for entity in entity_tables}
    assert sum(left.values()) < sum(len(rows) for rows in reference.values())  # cut short
    if target == "state":
        assert 0 < left["activities"] < len(reference["activities"])  # mid-activities
    assert project.sync().exit_code == ExitCode.OK
    for entity in entity_tables:
        assert snapshot(project.store, entity) == reference[entity], entity
