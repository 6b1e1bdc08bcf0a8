"""Secrets from ${ENV_VAR} never reach logs, errors, run records or rejects."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hub.cli import run
from hub.errors import ExitCode
from hub.store.tables import rejects, run_streams, runs

from .scripted import write_source
from .test_sync import scripted_project

SECRET = "tok-9f8e7d6c5b4a"


@pytest.mark.parametrize("fail", ["auth", "crash"])
def test_a_secret_never_leaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fail: str
) -> None:
    monkeypatch.setenv("CRM_TOKEN", SECRET)
    customers = [
        {"id": "c1", "name": "甲", "updated": "2026-01-01T00:00:00+00:00", "bad": True},
        {"id": "c2", "name": "乙", "updated": "2026-01-02T00:00:00+00:00"},
    ]
    project = scripted_project(tmp_path, customers)
    write_source(project.root / "source.json", customers, fail=fail)
    text = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(
        text.replace('adapter = "scripted"', 'adapter = "scripted"\ntoken = "${CRM_TOKEN}"'),
        encoding="utf-8",
    )

    # run through the CLI with the scripted plugin in the default registry
    import hub.plugins as plugins

    monkeypatch.setattr(plugins, "_default", project.registry)
    for log_format in ("text", "json"):
        code = run(
            [
                "-C",
                str(project.config_path),
                "--log-format",
                log_format,
                "--log-level",
                "debug",
                "sync",
            ]
        )
        assert code == (ExitCode.SOURCE if fail == "auth" else ExitCode.FAILED)
        out = capsys.readouterr()
        assert SECRET not in out.out + out.err
        assert "***" in out.err  # the message was kept, the secret masked

    with project.store.read() as conn:
        stored = [
            *(str(r) for r in conn.execute(select(runs))),
            *(str(r) for r in conn.execute(select(run_streams))),
            *(str(r) for r in conn.execute(select(rejects))),
        ]
    assert stored and not any(SECRET in row for row in stored)
    with project.store.read() as conn:
        (reject,) = conn.execute(select(rejects)).all()
    assert reject.raw["token"] == "***"
