"""The newcomer's path from the README: `hub fake-zoho`, paste, `hub check`, `hub sync`."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest


@pytest.mark.slow
def test_hub_sync_against_the_fake_served_on_loopback(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "fake-zoho", "--port", "0", "--records", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("module ="):
            line = server.stdout.readline()
            assert line, f"fake-zoho stopped: {server.stderr.read() if server.stderr else ''}"
            lines.append(line.rstrip("\n"))
        snippet = "\n".join(lines)
        tomllib.loads(snippet)  # pastes into hub.toml as it is
        config = tmp_path / "hub.toml"
        config.write_text(f'store = "sqlite:///{tmp_path / "hub.db"}"\n\n{snippet}\n')

        def hub(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "hub", "-C", str(config), *args],
                capture_output=True,
                text=True,
                timeout=120,
            )

        check = hub("check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "ok   zoho_demo: http://127.0.0.1:" in check.stdout
        first = hub("sync", "--json")
        assert first.returncode == 0, first.stderr
        streams = {s["stream"]: s for s in json.loads(first.stdout)["streams"]}
        assert set(streams) == {"managers", "customers", "contacts", "activities", "goals"}
        assert streams["customers"]["inserted"] == 72  # 12% of 600
        assert streams["contacts"]["inserted"] == 72
        assert streams["activities"]["inserted"] > 300
        again = hub("sync", "--json")
        assert again.returncode == 0
        assert all(s["inserted"] == s["updated"] == 0 for s in json.loads(again.stdout)["streams"])
    finally:
        server.terminate()
        server.wait(10)
