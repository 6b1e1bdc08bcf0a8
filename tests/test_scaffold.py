"""`hub new adapter` / `hub new rule`: the written distributions install, pass
their own tests and show up in `hub plugins`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import run
from hub.errors import ExitCode


def test_a_bad_name_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x"
    assert run(["new", "adapter", "My CRM!", "--into", str(target)]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "adapter name 'My CRM!': use lower-case letters" in err
    assert not target.exists()


def test_a_folder_that_is_not_empty_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert run(["new", "rule", "mine", "--into", str(tmp_path)]) == ExitCode.CONFIG
    assert "folder is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_the_default_folder_is_named_after_the_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["new", "adapter", "acme-crm"]) == 0
    assert run(["new", "rule", "acme_visits"]) == 0
    assert (tmp_path / "hub-acme-crm" / "hub_acme_crm" / "adapter.py").is_file()
    assert (tmp_path / "hub-rule-acme-visits" / "hub_rule_acme_visits" / "rule.py").is_file()
    pyproject = (tmp_path / "hub-acme-crm" / "pyproject.toml").read_text()
    assert 'acme_crm = "hub_acme_crm.plugin"' in pyproject


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_scaffolds_install_pass_their_tests_and_register(tmp_path: Path) -> None:
    assert run(["new", "adapter", "scaffold_crm", "--into", str(tmp_path / "adapter")]) == 0
    assert run(["new", "rule", "scaffold_rule", "--into", str(tmp_path / "rule")]) == 0
    # Installed into a folder of their own, put on the path of the subprocesses
    # below: the test's virtualenv stays as it was, nothing to uninstall.
    site = tmp_path / "site"
    install = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(tmp_path / "adapter"),
            str(tmp_path / "rule"),
        ],
        dict(os.environ),
        tmp_path,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}

    tests = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "adapter", "rule"],
        env,
        tmp_path,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    listing = _run([sys.executable, "-m", "hub", "plugins", "--json"], env, tmp_path)
    assert listing.returncode == 0, listing.stderr
    plugins = {p["name"]: p for p in json.loads(listing.stdout)}
    assert plugins["scaffold_crm"]["adapters"] == ["scaffold_crm"]
    assert plugins["scaffold_rule"]["rules"] == ["scaffold_rule"]
    assert plugins["scaffold_crm"]["version"] == "0.1.0" and not plugins["scaffold_crm"]["error"]
