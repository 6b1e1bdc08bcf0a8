"""`[rules]` in hub.toml: every mistake is one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.cli import run
from hub.errors import ConfigError, ExitCode
from hub.rules.testing import RuleTestbed

TIERS = [{"upto": "300000", "rate": "0.03"}, {"rate": "0.05"}]


@pytest.fixture
def bed(tmp_path: Path) -> RuleTestbed:
    return RuleTestbed(tmp_path / "project")


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        ({"comission": {}}, "rules.comission: no rule named 'comission' is installed"),
        (
            {"sales": {"rule": "comission", "semantics": "marginal"}},
            "rules.sales.rule: no rule named 'comission' is installed",
        ),
        ({"commission": {"tiers": TIERS}}, "rules.commission.semantics: is required"),
        (
            {"commission": {"semantics": "step", "tiers": TIERS}},
            "rules.commission.semantics: Input should be 'marginal', 'retroactive' or 'linear'",
        ),
        (
            {"commission": {"semantics": "marginal", "tiers": [{"upto": "1", "rate": "0.1"}]}},
            "rules.commission: the last tier must be open-ended (no `upto`)",
        ),
        (
            {"commission": {"semantics": "marginal", "tiers": [{"rate": "lots"}]}},
            "rules.commission.tiers.0.rate: Input should be a valid decimal",
        ),
        (
            {"commission": {"semantics": "marginal", "tiers": TIERS, "colour": "red"}},
            "rules.commission.colour: unknown key",
        ),
        ({"commission": {"enabled": "yes"}}, "rules.commission.enabled: must be true or false"),
        (
            {"contact_sla": {"warn_ratio": "2"}},
            "rules.contact_sla.warn_ratio: Input should be less",
        ),
        (
            {"required_fields": {"customers": ["owner", "shoe_size"]}},
            "rules.required_fields: customers: Customer has no field 'shoe_size'",
        ),
        (
            {"scorecard_bonus": {"target_bonus": "1000"}},
            "rules.scorecard_bonus.scorecard: no enabled rule named 'scorecard'",
        ),
        (
            {
                "scorecard": {"enabled": False},
                "scorecard_bonus": {"target_bonus": "1000"},
            },
            "rules.scorecard_bonus.scorecard: no enabled rule named 'scorecard'",
        ),
        (
            {
                "commission": {"semantics": "marginal", "tiers": TIERS},
                "total_cap": {"cap": "10", "components": ["commission", "bonus"]},
            },
            "rules.total_cap.components.1: no enabled rule named 'bonus'",
        ),
        (
            {
                "commission": {
                    "semantics": "marginal",
                    "tiers": TIERS,
                    "gate": {"metric": "sales_amount", "min_attainment": "0.5", "measures": "m"},
                },
                "m": {"rule": "contact_sla"},
            },
            "rules.commission.gate.measures: 'm' runs in the compliance stage, not before "
            "'commission' (reward)",
        ),
        (
            {"cancelled_statuses": "cancelled"},
            "rules.cancelled_statuses: Input should be a valid list",
        ),
        ({"contact_kinds": ["call", "fax"]}, "rules.contact_kinds.1: Input should be"),
        ({"bad name!": {}}, "rules.bad name!: use letters, digits, _ . - in rule names"),
    ],
)
def test_configuration_errors_name_file_and_key(
    bed: RuleTestbed, rules: dict[str, Any], error: str
) -> None:
    bed.configure(rules)
    with pytest.raises(ConfigError) as raised:
        bed.run("2026-Q3")
    message = str(raised.value)
    assert message.startswith(f"{bed.config_path}: ")
    assert error in message
    assert "\n" not in message


def test_nothing_configured_is_an_error_not_an_empty_success(bed: RuleTestbed) -> None:
    bed.configure({"contact_sla": {"enabled": False}})
    with pytest.raises(ConfigError, match=r"no rules are configured and enabled"):
        bed.run("2026-Q3")


def test_disabled_rules_do_not_run(bed: RuleTestbed) -> None:
    bed.configure({"contact_sla": {}, "duplicates": {"enabled": False}})
    report = bed.run("2026-Q3")
    assert [r.name for r in report.rules] == ["contact_sla"]
    assert "the store holds no records yet: run `hub sync` first" in report.notes


def test_the_cli_exits_2_with_one_line(
    bed: RuleTestbed, capsys: pytest.CaptureFixture[str]
) -> None:
    bed.configure({"commission": {"tiers": TIERS}})
    code = run(["--config", str(bed.config_path), "rules", "run", "--period", "2026-Q3"])
    err = capsys.readouterr().err
    assert code == ExitCode.CONFIG
    assert err.strip() == f"error: {bed.config_path}: rules.commission.semantics: is required"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["rules", "run", "--period", "2026-Q5"], "--period: not a period: '2026-Q5'"),
        (
            ["rules", "run", "--period", "2026-Q3", "--as-of", "yesterday"],
            "--as-of: 'yesterday' is not a date or time",
        ),
        (["period", "close", "2026-Q3"], "no results for 2026-Q3"),
        (["report", "scorecard", "--period", "2026-Q3"], "no results for 2026-Q3"),
    ],
)
def test_cli_usage_errors(
    bed: RuleTestbed, capsys: pytest.CaptureFixture[str], args: list[str], error: str
) -> None:
    bed.configure({"contact_sla": {}})
    code = run(["--config", str(bed.config_path), *args])
    err = capsys.readouterr().err
    assert code == ExitCode.CONFIG
    assert error in err
    assert len(err.strip().splitlines()) == 1
