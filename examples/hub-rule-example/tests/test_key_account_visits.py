"""Testing a rule: discovered through its entry point, configured in hub.toml, run
for a period against a real store, and read back — then once through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.cli import run
from hub.errors import ConfigError
from hub.plugins import load_registry
from hub.rules.testing import RuleTestbed, activity, customer, manager


def test_the_plugin_is_discovered_through_its_entry_point() -> None:
    registry = load_registry()
    spec, plugin = registry.rules["example.key_account_visits"]
    assert plugin == "key_account_visits"
    assert spec.reads == ("customers", "activities")


@pytest.fixture
def bed(tmp_path: Path, store_url: str) -> RuleTestbed:
    """A store (SQLite and PostgreSQL) with three key accounts and one unknown tier."""
    bed = RuleTestbed(tmp_path / "project", store_url)
    bed.add(
        manager("M1"),
        customer("K1", "M1", tier="A"),
        customer("K2", "M1", tier="A"),
        customer("K3", "M1", tier="B"),
        customer("K4", "M1"),
        activity("V1", "visit", "K1", "M1", "2026-08-03 10:00"),
        activity("V2", "meeting", "K1", "M1", "2026-09-30 23:30"),  # still Q3 in Shanghai
        activity("V3", "call", "K2", "M1", "2026-08-03 10:00"),  # a call is not a visit
        activity("V4", "visit", "K2", "M1", "2026-06-30 10:00"),  # Q2
    )
    bed.configure({"key_accounts": {"rule": "example.key_account_visits", "min_visits": 2}})
    return bed


def test_violation_pass_and_not_evaluated(bed: RuleTestbed) -> None:
    bed.run("2026-Q3")
    found = {f["subject"]: f for f in bed.findings("key_accounts")}
    assert set(found) == {"K1", "K2", "K4"}  # K3 (tier B) is not a key account
    assert found["K1"]["status"] == "pass"
    assert found["K2"]["status"] == "violation"
    assert found["K2"]["message"] == "0 visits in 2026-Q3, at least 2 expected"
    assert found["K2"]["evidence"] == {"tier": "A", "visits": 0, "owner": "M1", "min_visits": 2}
    assert found["K4"]["status"] == "not_evaluated"
    assert found["K2"]["rule_id"] == "example.key_account_visits"


def test_a_bad_parameter_is_a_one_line_config_error(bed: RuleTestbed) -> None:
    bed.configure({"key_accounts": {"rule": "example.key_account_visits", "min_visits": 0}})
    with pytest.raises(ConfigError, match=r"hub.toml: rules.key_accounts.min_visits: Input should"):
        bed.run("2026-Q3")


def test_end_to_end_through_the_cli(bed: RuleTestbed, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(bed.config_path)
    assert run(["--config", config, "rules", "run", "--period", "2026-Q3"]) == 0
    capsys.readouterr()
    assert (
        run(["--config", config, "report", "compliance", "-p", "2026-Q3", "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert [(f["subject"], f["status"]) for f in report["findings"]] == [
        ("crm:K2", "violation"),
        ("crm:K4", "not_evaluated"),
    ]
