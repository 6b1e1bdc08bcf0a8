"""What the fault tests share: the demo company's sources, fresh stores, a
`hub sync` in a child process that can be SIGKILLed at a chosen point, and
the store contents that must come out identical to a clean run's.

The child is forked from the test process (no interpreter start-up, so 20
kills cost seconds, not minutes); it runs the real CLI and dies by a real
SIGKILL, exactly as under `kill -9`. The points are those of
`tests/interrupt.py`: `upsert` (a batch written, not committed), `state`
(the checkpoint written, not committed), `batch` (between two committed
batches), `resolve` (references being resolved at the end).

Modes: by default (CI) each loop stops drawing new points once its time
budget (`HUB_FAULT_BUDGET`, 10 s) is spent, after at least 2; `HUB_FAULTS=long`
runs every point (`HUB_FAULT_POINTS`, default 25 per loop) whatever the time.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from hub.cli import run
from hub.demo import fakes
from hub.demo.company import DemoCompany, build_company
from hub.demo.project import write_project
from hub.store.database import Store
from hub.store.tables import links, rejects, seen
from hub.testing import Project
from hub.testing.pytest_plugin import POSTGRES_ENV

from ..interrupt import TARGETS

LONG = os.environ.get("HUB_FAULTS") == "long"
POINTS = int(os.environ.get("HUB_FAULT_POINTS", "25" if LONG else "20"))
"""Independent kill points drawn per loop (each: kill, complete, compare)."""
MIN_POINTS = POINTS if LONG else 2
BUDGET_SECONDS = float(os.environ.get("HUB_FAULT_BUDGET", "10"))
"""Per loop, in CI: stop drawing points after this long (once MIN_POINTS ran)."""
CHILD_TIMEOUT = 120
ENTITIES = ("managers", "customers", "activities", "goals")


@pytest.fixture(scope="session")
def company() -> DemoCompany:
    return build_company()


@pytest.fixture(scope="session")
def sources(company: DemoCompany) -> Iterator[fakes.RunningFakes]:
    running = fakes.start(company, fixed_ports=False)
    yield running
    running.stop()


def stores() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


class Stores:
    """Fresh stores on demand: a SQLite file, or a PostgreSQL database (all
    dropped at the end)."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder, self.created = kind, folder, []

    def new(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / f'hub-{uuid.uuid4().hex[:8]}.db'}"
        admin = os.environ[POSTGRES_ENV]
        name = f"hub_fault_{uuid.uuid4().hex[:12]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self.created.append(name)
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        engine = create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=stores())
def fresh_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    made = Stores(request.param, tmp_path)
    yield made
    made.drop_all()


def demo_project(
    root: Path, store_url: str, company: DemoCompany, sources: fakes.RunningFakes, batch_size: int
) -> Project:
    """The demo's project (HR CSV, fake Fxiaoke, fake Zoho) on `store_url`,
    in small batches so that a sync has many points to be killed at."""
    root.mkdir(parents=True, exist_ok=True)
    config = write_project(root, company, (sources.fxiaoke_settings(), sources.zoho_settings()))
    text_ = config.read_text(encoding="utf-8")
    head, sep, rest = text_.partition("\n[")
    store_line = next(line for line in head.splitlines() if line.startswith("store"))
    head = head.replace(store_line, f'store = "{store_url}"')
    config.write_text(f"{head}\n\n[sync]\nbatch_size = {batch_size}\n{sep}{rest}", encoding="utf-8")
    return Project(root, store_url=store_url)


def contents(project: Project, connection: str | None = None) -> dict[str, Any]:
    """Everything a resumed run must leave exactly as a clean run does."""
    store = project.store
    try:
        found: dict[str, Any] = {
            e: [r for r in project.rows(e) if connection is None or r.get("source") == connection]
            for e in ENTITIES
        }
        with store.read() as conn:
            found["links"] = sorted(
                tuple(r)
                for r in conn.execute(
                    select(links.c.connection, links.c.entity, links.c.source_id, links.c.hub_id)
                )
            )
            found["seen"] = sorted(
                tuple(r)
                for r in conn.execute(
                    select(seen.c.connection, seen.c.stream, seen.c.source_id, seen.c.digest)
                )
            )
            found["open rejects"] = sorted(
                (r.connection, r.stream, r.reject_key, r.reason)
                for r in conn.execute(select(rejects).where(rejects.c.resolved_at.is_(None)))
            )
    finally:
        store.dispose()
    return found


def forked(args: list[str], kill: tuple[str, int] | None = None) -> int:
    """Run `hub ARGS` in a forked child; with `kill=(target, n)` the child
    SIGKILLs itself on the n-th call of that point. Returns the exit code,
    or minus the signal that ended it."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            if kill is not None:
                arm(*kill)
            code = run(args)
        finally:
            os._exit(code)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"hub {' '.join(args)} still running after {CHILD_TIMEOUT} s")
        time.sleep(0.02)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def arm(target: str, n: int) -> None:
    """In the child: SIGKILL on the n-th call of `target`."""
    owner, name = TARGETS[target]
    original = getattr(owner, name)
    calls = 0

    def act() -> None:
        nonlocal calls
        calls += 1
        if calls == n:
            os.kill(os.getpid(), signal.SIGKILL)

    if target == "batch":

        def batches(self: Any, *args: Any, **kwargs: Any) -> Any:
            for batch in original(self, *args, **kwargs):
                act()
                yield batch

        setattr(owner, name, batches)
    else:

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            act()
            return result

        setattr(owner, name, wrapped)


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count the calls of every kill point during an in-process run."""
    counts: Counter[str] = Counter()
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _counting(monkeypatch, counts)


def _counting(monkeypatch: pytest.MonkeyPatch, counts: Counter[str]) -> Iterator[Counter[str]]:
    for target, (owner, name) in TARGETS.items():
        original = getattr(owner, name)
        if target == "batch":

            def batches(self: Any, *a: Any, _o: Callable[..., Any] = original, **k: Any) -> Any:
                for batch in _o(self, *a, **k):
                    counts["batch"] += 1
                    yield batch

            monkeypatch.setattr(owner, name, batches)
        else:

            def wrapped(
                *a: Any, _o: Callable[..., Any] = original, _t: str = target, **k: Any
            ) -> Any:
                result = _o(*a, **k)
                counts[_t] += 1
                return result

            monkeypatch.setattr(owner, name, wrapped)
    yield counts


def dispose(url: str) -> None:
    Store(url).dispose()
