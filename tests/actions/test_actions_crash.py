"""SIGKILL inside `hub actions apply`, at several points: the next apply leaves
exactly one task per finding in the (loopback) fake Zoho."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hub_zoho.fake.server import running

from hub.cli import run as hub
from tests.actions.zoho_org import KEY_FIELD, PERIOD, configure, overdue_org

KILLER = Path(__file__).with_name("kill_apply.py")
ROOT = Path(__file__).parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "n"),
    [("write", 1), ("write", 2), ("write", 3), ("outcomes", 2), ("attempt", 2), ("found", 2)],
)
def test_kill_during_apply_then_apply_again_gives_one_task_per_finding(
    tmp_path: Path, store_url: str, target: str, n: int
) -> None:
    fake, accounts, _ = overdue_org(25)  # three batches of ten
    with running(fake):
        project = configure(tmp_path, fake, store_url)
        args = ["--config", str(project.config_path)]
        assert hub([*args, "sync"]) == 0
        assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
        killed = subprocess.run(
            [sys.executable, str(KILLER), target, str(n), "--", *args, "actions", "apply"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert hub([*args, "actions", "apply"]) == 0
        assert hub([*args, "actions", "apply"]) == 0
    tasks = [w["record"] for w in fake.written if w["module"] == "Tasks"]
    keys = [t[KEY_FIELD] for t in tasks]
    assert len(keys) == len(set(keys)) == len(accounts)
    assert sorted(t["What_Id"]["id"] for t in tasks) == sorted(accounts)
    assert fake.refused == []  # found by look-up, never sent twice (no DUPLICATE_DATA)
