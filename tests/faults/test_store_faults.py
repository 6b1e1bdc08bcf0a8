"""Faults of the store itself, mid-run: the PostgreSQL connection killed by
the server (`pg_terminate_backend`), the PostgreSQL server restarted, the
disk under a SQLite store full. Each run ends with a clean stop and one line
naming the cause; nothing it committed is lost; the next run resumes to a
store identical to a clean run's."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from hub.cli import run
from hub.errors import ExitCode
from hub.store import records
from hub.testing import Project

from ..conftest import example_project
from .conftest import contents

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def project_on(root: Path, store_url: str) -> Project:
    project = example_project(root, store_url)
    text_ = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(
        text_.replace('base_currency = "CNY"', 'base_currency = "CNY"\n\n[sync]\nbatch_size = 300'),
        encoding="utf-8",
    )
    return project


def sync(project: Project, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = run(["-C", str(project.config_path), "sync"])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, [line for line in err.splitlines() if line.strip()]


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, Any]:
    clean = project_on(tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    assert clean.sync().exit_code == ExitCode.REJECTS
    return contents(clean)


def fault_on_upsert(monkeypatch: pytest.MonkeyPatch, call: int, fault: Any) -> list[int]:
    """Call `fault(conn)` inside the `call`-th batch's transaction, after its
    records were written."""
    original = records.RecordWriter.upsert
    calls: list[int] = []

    def upsert(self: Any, conn: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, conn, *args, **kwargs)
        calls.append(1)
        if len(calls) == call:
            fault(conn)
        return result

    monkeypatch.setattr(records.RecordWriter, "upsert", upsert)
    return calls


# -- PostgreSQL: the connection terminated mid-batch ------------------------------------


@pytest.mark.postgres
def test_connection_terminated_mid_batch(
    tmp_path: Path,
    postgres_url: str,
    reference: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = project_on(tmp_path / "pg", postgres_url)
    admin = create_engine(os.environ["HUB_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")

    def terminate(conn: Any) -> None:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    fault_on_upsert(monkeypatch, 4, terminate)
    code, err = sync(project, capsys)
    admin.dispose()
    monkeypatch.undo()
    assert code == ExitCode.FAILED, err
    failed = [line for line in err if "terminat" in line.lower() or "connection" in line.lower()]
    assert failed, err
    assert all(line.count("\n") == 0 for line in err)

    again, err = sync(project, capsys)
    assert again in (ExitCode.OK, ExitCode.REJECTS), err
    assert contents(project) == reference


# -- PostgreSQL: the server restarted mid-run ---------------------------------------------


def postgres_binaries() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


@pytest.fixture
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A PostgreSQL server of this test's own (initdb in a temp folder, its
    own port), so restarting it cannot disturb anyone else's tests."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to start a private server")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(f"/tmp/hub-pg-{uuid.uuid4().hex[:8]}")
    folder.mkdir(mode=0o700)
    if as_user:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", 20000 + os.getpid() % 20000
    subprocess.run(
        [*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def ctl(*args: str) -> None:
        # -l: the server must not hold our pipe open, or run() never returns
        log = ["-l", str(folder / "log")]
        command = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-o", options, *log]
        subprocess.run([*command, *args], check=True, capture_output=True, timeout=120)

    ctl("start")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        yield url, ctl
    finally:
        subprocess.run(
            [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_server_restarted_mid_run(
    tmp_path: Path,
    private_postgres: tuple[str, Any],
    reference: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, ctl = private_postgres
    project = project_on(tmp_path / "pg", url)

    def restart(conn: Any) -> None:
        ctl("-m", "fast", "restart")

    fault_on_upsert(monkeypatch, 4, restart)
    code, err = sync(project, capsys)
    monkeypatch.undo()
    assert code == ExitCode.FAILED, err
    assert any("terminat" in line.lower() or "connection" in line.lower() for line in err), err

    again, err = sync(project, capsys)
    assert again in (ExitCode.OK, ExitCode.REJECTS), err
    assert contents(project) == reference


# -- SQLite: the disk full --------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """A 1 MiB tmpfs (root only); `grow()` gives it room again."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)

    try:
        yield mount, grow
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_under_a_sqlite_store(
    tmp_path: Path,
    small_disk: tuple[Path, Any],
    reference: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    mount, grow = small_disk
    project = project_on(tmp_path / "full", f"sqlite:///{mount / 'hub.db'}")
    code, err = sync(project, capsys)
    assert code == ExitCode.FAILED, err
    assert any("full" in line.lower() for line in err), err
    stored = {e: len(project.rows(e)) for e in ("managers", "customers")}
    with sqlite3.connect(mount / "hub.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    grow()
    again, err = sync(project, capsys)
    assert again in (ExitCode.OK, ExitCode.REJECTS), err
    assert contents(project) == reference
    assert all(len(project.rows(e)) >= n for e, n in stored.items())  # nothing committed lost


def test_injected_sqlite_full(
    tmp_path: Path,
    reference: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same, where no tmpfs can be mounted: SQLITE_FULL raised inside a batch."""
    project = project_on(tmp_path / "full", f"sqlite:///{tmp_path / 'hub.db'}")

    def full(conn: Any) -> None:
        conn.exec_driver_sql("SELECT 1")
        raise sqlite3.OperationalError("database or disk is full")

    fault_on_upsert(monkeypatch, 3, full)
    code, err = sync(project, capsys)
    monkeypatch.undo()
    assert code == ExitCode.FAILED, err
    assert any("database or disk is full" in line for line in err), err
    again, err = sync(project, capsys)
    assert again in (ExitCode.OK, ExitCode.REJECTS), err
    assert contents(project) == reference
