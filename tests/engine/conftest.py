"""Engine test kit: brokers (skipped with a reason when absent), projects with an
[engine] table, and real `hub worker` processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.engine.tables import engine_workers
from hub.store.tables import rejects
from hub.testing import Project

from ..conftest import example_project

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("HUB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
RIGGED = Path(__file__).with_name("rigged.py")
ENTITIES = ("managers", "customers", "activities", "goals")

# Three more connections over the example's files, so workers have connections to share.
EXTRA_CONNECTIONS = """
[connections.branch_{n}]
adapter = "csv"
folder = "data"
managers = "managers.csv"
activities = "activities.csv"
goals = "goals.csv"
"""


def reachable(url: str) -> str | None:
    """None when the broker answers, else why not."""
    host_port = url.split("@")[-1].split("://")[-1].split("/")[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return None
    except OSError as exc:
        return f"no broker at {host}:{port} ({exc.strerror or exc})"


@pytest.fixture(params=["redis", "amqp"])
def broker(request: pytest.FixtureRequest) -> str:
    url = REDIS_URL if request.param == "redis" else AMQP_URL
    why = reachable(url)
    if why:
        pytest.skip(f"{request.param} broker tests: {why} (.ci/run starts one)")
    return url


@pytest.fixture
def redis_broker() -> str:
    why = reachable(REDIS_URL)
    if why:
        pytest.skip(f"redis broker tests: {why} (.ci/run starts one)")
    return REDIS_URL


def engine_project(
    root: Path,
    broker: str,
    store_url: str | None = None,
    *,
    branches: int = 3,
    batch_size: int = 400,
    engine: str = "",
) -> Project:
    """The example project, plus `branches` more CSV connections, small batches,
    a short lease TTL and an [engine] on `broker` with a queue of its own."""
    project = example_project(root, store_url)
    text = project.config_path.read_text(encoding="utf-8")
    extra = "".join(EXTRA_CONNECTIONS.format(n=n) for n in range(1, branches + 1))
    text = text.replace("\n[rules]\n", f"{extra}\n[rules]\n", 1)
    text = text.replace(
        'base_currency = "CNY"',
        f'base_currency = "CNY"\n\n[sync]\nbatch_size = {batch_size}\nlease_ttl_seconds = 5',
        1,
    )
    queue = f"hub-test-{uuid.uuid4().hex[:8]}"
    text += (
        f'\n[engine]\nbroker = "{broker}"\nqueue = "{queue}"\nconcurrency = 1\n'
        f"visibility_timeout_seconds = 10\nretry_backoff_seconds = 1\n{engine}"
    )
    project.config_path.write_text(text, encoding="utf-8")
    return project


def local_copy(project: Project, root: Path, store_url: str | None = None) -> Project:
    """The same project in another folder and store, to sync locally."""
    shutil.copytree(project.root / "data", root / "data")
    other = Project(root, store_url=store_url)
    text = project.config_path.read_text(encoding="utf-8")
    text = text.replace(f'store = "{project.store_url}"', f'store = "{other.store_url}"')
    other.config_path.write_text(text, encoding="utf-8")
    return other


def hub(project: Project, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub", "-C", str(project.config_path), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def store_contents(project: Project) -> dict[str, object]:
    contents: dict[str, object] = {e: project.rows(e) for e in ENTITIES}
    with project.store.read() as conn:
        contents["open rejects"] = sorted(
            (r.connection, r.stream, r.reject_key, r.reason)
            for r in conn.execute(select(rejects).where(rejects.c.resolved_at.is_(None)))
        )
    return contents


@dataclass
class Workers:
    """`hub worker` processes for one project; stopped (and their queue purged) on exit."""

    project: Project
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(
        self,
        count: int = 1,
        rig: Sequence[str] = (),
        wait: bool = True,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        """`count` nodes; `env` and Celery `args` (a node name: `-n hub@host-b`) for them."""
        before = len(self.processes)
        for _ in range(count):
            log = self.project.root / f"worker-{len(self.processes)}.log"
            if rig:
                command = [sys.executable, str(RIGGED), *rig, "--"]
            else:
                command = [sys.executable, "-m", "hub"]
            command += ["-C", str(self.project.config_path), "worker", "--"]
            command += ["--without-mingle", "--without-gossip", *args]  # one node starts faster
            with log.open("wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        command,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env={**os.environ, **(env or {})},
                    )
                )
            self.logs.append(log)
        if wait:
            self.wait_ready(before + count)

    def wait_ready(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p, log in zip(self.processes, self.logs, strict=True):
                if p.poll() is not None:
                    raise AssertionError(f"worker exited {p.returncode}: {log.read_text()[-2000:]}")
            if self.project.store.current_revision() is not None:
                with self.project.store.read() as conn:
                    ready = len(conn.execute(select(engine_workers.c.name)).all())
                if ready >= count:
                    return
            time.sleep(0.3)
        raise AssertionError(f"workers not ready: {self.output()[-3000:]}")

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs if log.exists())

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.processes.clear()


@pytest.fixture
def workers() -> Iterator[list[Workers]]:
    """Call `Workers(project)` and append it; all are stopped after the test."""
    started: list[Workers] = []
    yield started
    for w in started:
        w.stop()
        purge(w.project)


def purge(project: Project) -> None:
    from hub.engine.dispatch import engine_app

    try:
        app, settings = engine_app(project.config)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(settings.queue)
    except Exception:
        pass
