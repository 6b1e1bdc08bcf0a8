"""SIGKILL at random points of a sync, from each kind of source, on each
store: the completing run leaves the store exactly as a clean run does
(records, links, open rejects, the digests of what was seen).

The points are drawn (seeded, so a failure replays) from every place the
clean run passes through: inside a batch's transaction, after its checkpoint
is written but before the commit, between batches, and during the final
reference resolution."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from hub.errors import ExitCode

from .conftest import (
    BUDGET_SECONDS,
    LONG,
    MIN_POINTS,
    POINTS,
    contents,
    counting,
    demo_project,
    forked,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# connection of the demo project -> batch size that gives it enough batches to kill in
SOURCES = {"hr": 5, "fxiaoke": 40, "zoho": 40}


@pytest.mark.parametrize("connection", sorted(SOURCES))
def test_killed_anywhere_resumes_to_the_clean_store(
    connection: str,
    fresh_stores,
    company,
    sources,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    def project(tag: str):  # type: ignore[no-untyped-def]
        return demo_project(
            tmp_path / tag, fresh_stores.new(), company, sources, SOURCES[connection]
        )

    args = ["sync", "--connection", connection]
    clean = project("clean")
    with counting() as calls:
        code = forked_in_process(clean, args)
    assert code in (ExitCode.OK, ExitCode.REJECTS)
    reference = contents(clean)
    assert reference["seen"], "the clean run stored nothing"

    rng = random.Random(f"kill-loop-{connection}-{fresh_stores.kind}")
    targets = sorted(t for t, n in calls.items() if n)
    points = [(t, rng.randint(1, calls[t])) for t in (rng.choice(targets) for _ in range(POINTS))]
    started, done = time.monotonic(), 0
    for i, (target, n) in enumerate(points):
        if not LONG and i >= MIN_POINTS and time.monotonic() - started > BUDGET_SECONDS:
            break
        killed = project(f"kill-{i}")
        config = ["-C", str(killed.config_path)]
        assert forked([*config, *args], kill=(target, n)) == -signal.SIGKILL, (target, n)
        again = forked([*config, *args])
        assert again in (ExitCode.OK, ExitCode.REJECTS), (target, n, again)
        assert_same(contents(killed), reference, f"killed at {target} #{n}, then resumed")
        done += 1
    assert done >= MIN_POINTS


def forked_in_process(project, args: list[str]) -> int:  # type: ignore[no-untyped-def]
    """The clean run, in this process, so the counting wrappers see its calls."""
    from hub.cli import run

    return run(["-C", str(project.config_path), *args])


def assert_same(found: dict, reference: dict, what: str) -> None:  # type: ignore[type-arg]
    """Equal, or the first differing row and field (the whole dicts are unreadable)."""
    for part, rows in reference.items():
        other = found[part]
        assert len(other) == len(rows), f"{what}: {part}: {len(other)} rows, clean run {len(rows)}"
        for mine, theirs in zip(other, rows, strict=True):
            if mine != theirs:
                if isinstance(mine, dict):
                    fields = {k: (mine[k], theirs.get(k)) for k in mine if mine[k] != theirs.get(k)}
                    raise AssertionError(f"{what}: {part} {theirs.get('source_id')}: {fields}")
                raise AssertionError(f"{what}: {part}: {mine} != clean {theirs}")
