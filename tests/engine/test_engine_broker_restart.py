"""The broker restarted mid-run: the run finishes (or fails cleanly), the next one
completes. A private `redis-server` (never the shared one), with its append-only
file on, as a production Redis broker must run (docs/engine.md)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.errors import ExitCode
from hub.store.tables import run_streams

from .conftest import Workers, engine_project, hub, local_copy, store_contents

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.folder), "--appendonly", "yes", "--save", ""]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis writes its append-only file and exits
            self.process.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on PATH (.ci/run installs it)")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_broker_restarted_mid_run(
    tmp_path: Path, private_redis: PrivateRedis, workers: list[Workers]
) -> None:
    project = engine_project(tmp_path / "engine", private_redis.url, batch_size=200)
    local = local_copy(project, tmp_path / "local")
    assert hub(local, "sync").returncode == ExitCode.REJECTS
    pool = Workers(project)
    workers.append(pool)
    pool.start(2)

    command = [sys.executable, "-m", "hub", "-C", str(project.config_path), "sync", "--engine"]
    running = subprocess.Popen(
        [*command, "--timeout", "150"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with project.store.read() as conn:
            if conn.execute(select(func.count()).select_from(run_streams)).scalar() >= 2:
                break
        time.sleep(0.1)
    private_redis.stop()
    time.sleep(2)
    private_redis.start()
    _, err = running.communicate(timeout=200)

    # the run finishes, or fails with one clear line
    assert running.returncode in (ExitCode.REJECTS, ExitCode.FAILED), err + pool.output()[-3000:]
    if running.returncode == ExitCode.FAILED:
        assert len(err.strip().splitlines()) == 1, err
    again = hub(project, "sync", "--engine", "--timeout", "150", timeout=200)
    assert again.returncode in (ExitCode.OK, ExitCode.REJECTS), again.stderr + pool.output()[-3000:]
    assert store_contents(project) == store_contents(local)
