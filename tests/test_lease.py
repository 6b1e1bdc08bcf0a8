"""One sync per connection at a time; stale leases are taken over; a run that
lost its lease stops before writing."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.errors import ExitCode, LockHeld
from hub.store.database import Store
from hub.store.tables import leases, runs
from hub.sync.lease import _HELD_HERE, Lease
from hub.sync.stream import StreamSync
from hub.testing import Project

from .conftest import example_project

INTERRUPT = Path(__file__).with_name("interrupt.py")


def start_slow_sync(project: Project, *args: str) -> subprocess.Popen[str]:
    # 2 s a batch: the second `hub` must start (seconds on a loaded machine)
    # while the first still holds its lease, however fast the store writes
    command = [
        sys.executable,
        str(INTERRUPT),
        "sleep",
        "batch",
        "2",
        "--",
        "-C",
        str(project.config_path),
        "sync",
        *args,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def hub(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub", "-C", str(project.config_path), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def wait_for_lease(project: Project, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if project.store.current_revision() is not None:
            with project.store.read() as conn:
                if conn.execute(select(leases).where(leases.c.name == name)).first():
                    return
        time.sleep(0.05)
    raise AssertionError("the first sync never took its lease")


@pytest.mark.slow
def test_a_second_sync_exits_with_the_lock_code(tmp_path: Path) -> None:
    project = example_project(tmp_path / "example")
    first = start_slow_sync(project)
    try:
        wait_for_lease(project, "files")
        second = hub(project, "sync")
        assert second.returncode == ExitCode.LOCKED, second.stderr
        assert (
            second.stderr.strip()
            .splitlines()[-1]
            .startswith("error: connection 'files' is being synced by run 1 (")
        )
        assert "try again later" in second.stderr
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == ExitCode.REJECTS, err
    with project.store.read() as conn:
        assert conn.execute(select(leases)).all() == []  # released at the end
        assert [r.status for r in conn.execute(select(runs))] == [
            "rejects"
        ]  # the refused run left no trace


@pytest.mark.slow
def test_other_connections_can_sync_meanwhile(tmp_path: Path) -> None:
    project = example_project(tmp_path / "example")
    text = project.config_path.read_text(encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "managers.csv").write_text("id,name\nX1,外部经理\n", encoding="utf-8")
    project.config_path.write_text(
        text + f'\n[connections.other]\nadapter = "csv"\nfolder = "{other}"\n', encoding="utf-8"
    )
    first = start_slow_sync(project, "-c", "files")
    try:
        wait_for_lease(project, "files")
        second = hub(project, "sync", "-c", "other")
        assert second.returncode == ExitCode.OK, second.stderr
    finally:
        first.communicate(timeout=120)
    assert first.returncode == ExitCode.REJECTS


def plant_lease(project: Project, holder: str, age: dt.timedelta) -> int:
    store = project.store
    store.upgrade()
    when = dt.datetime.now(dt.UTC) - age
    with store.begin() as conn:
        run_id = conn.execute(
            runs.insert().values(
                started_at=when,
                status="running",
                options={},
                host=holder.split(":")[0],
                pid=int(holder.split(":")[1]),
                hub_version="0",
            )
        ).inserted_primary_key[0]
        conn.execute(
            leases.insert().values(
                name="files", run_id=run_id, holder=holder, acquired_at=when, heartbeat_at=when
            )
        )
    return int(run_id)


def test_a_fresh_lease_from_another_machine_is_respected(example: Project) -> None:
    plant_lease(example, "elsewhere:4242:cafe", dt.timedelta(seconds=5))
    with pytest.raises(
        LockHeld, match="connection 'files' is being synced by run 1 \\(elsewhere:4242, since "
    ):
        example.sync()


def test_a_stale_lease_is_taken_over_and_its_run_marked_abandoned(example: Project) -> None:
    dead_run = plant_lease(example, "elsewhere:4242:cafe", dt.timedelta(hours=1))
    report = example.sync()
    assert report.exit_code == ExitCode.REJECTS
    assert any(
        f"took over the stale lease on 'files' from run {dead_run}" in n for n in report.notes
    )
    with example.store.read() as conn:
        statuses = dict(conn.execute(select(runs.c.id, runs.c.status)).all())
    assert statuses == {dead_run: "abandoned", report.run.run_id: "rejects"}


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(example: Project) -> None:
    import socket

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)
    plant_lease(example, f"{socket.gethostname()}:{dead_pid}:beef", dt.timedelta(seconds=1))
    assert example.sync().exit_code == ExitCode.REJECTS


def test_a_run_that_lost_its_lease_stops_before_writing(
    example: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = StreamSync.commit

    def commit_then_lose_the_lease(self, batch):  # type: ignore[no-untyped-def]
        stored = original(self, batch)
        if self.stream.name == "customers":  # another sync takes over after this batch
            with self.store.begin() as conn:
                conn.execute(update(leases).values(holder="thief:1:x"))
        return stored

    monkeypatch.setattr(StreamSync, "commit", commit_then_lose_the_lease)
    text = example.config_path.read_text(encoding="utf-8")
    example.config_path.write_text(
        text.replace('base_currency = "CNY"', 'base_currency = "CNY"\n[sync]\nbatch_size = 100'),
        encoding="utf-8",
    )
    report = example.sync()
    assert report.exit_code == ExitCode.LOCKED
    by_stream = {r.stream: r for r in report.results}
    assert by_stream["customers"].status == "lease-lost"
    assert by_stream["customers"].inserted == 100  # the first batch only
    assert by_stream["activities"].status == "skipped"
    assert len(example.rows("customers")) == 100


def test_state_is_not_reset_under_a_running_sync(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.cli import run

    example.sync()
    plant_lease(example, "elsewhere:4242:cafe", dt.timedelta(seconds=5))
    assert run(["-C", str(example.config_path), "state", "reset", "-c", "files"]) == ExitCode.LOCKED
    assert "is being synced by run" in capsys.readouterr().err


def test_a_lease_this_process_released_but_could_not_delete_is_not_held(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A full disk can keep `release` from deleting the row; a later sync in
    the same process (an engine worker) takes over at once, while a lease
    this process still holds keeps refusing."""
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    first = Lease(store, ["files"], ttl_seconds=600)
    first.acquire()
    with pytest.raises(LockHeld):
        Lease(store, ["files"], ttl_seconds=600).acquire()
    _HELD_HERE.discard(first.holder)  # what release does before its delete fails
    taken = Lease(store, ["files"], ttl_seconds=600).acquire()
    assert [t.holder for t in taken] == [first.holder]
