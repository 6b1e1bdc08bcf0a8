"""hub.toml: defaults, ${ENV_VAR} substitution and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import secrets
from hub.cli import run
from hub.config import load_config
from hub.errors import ConfigError, ExitCode
from hub.starter import STARTER_CONFIG


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_relative_store_path(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.timezone == "Asia/Shanghai" and config.base_currency == "CNY"
    assert config.store_url() == f"sqlite:///{tmp_path / 'hub.db'}"
    assert config.sync.batch_size == 5000


def test_the_starter_config_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STARTER_CONFIG))
    assert list(config.connections) == ["files"]
    assert config.connections["files"].adapter == "csv"


def test_env_vars_are_substituted_and_registered_as_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TEST_TOKEN", "s3cr3t-value")
    path = write(
        tmp_path,
        '[connections.crm]\nadapter = "x"\ntoken = "${HUB_TEST_TOKEN}"\nregion = "${HUB_NOPE:-cn}"\n',
    )
    config = load_config(path)
    assert config.connections["crm"].settings() == {"token": "s3cr3t-value", "region": "cn"}
    assert secrets.redact("the token is s3cr3t-value") == "the token is ***"


def test_a_non_secret_value_from_the_environment_stays_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host URL given as ${ENV} is what an error message must show; only secrets hide."""
    monkeypatch.setenv("HUB_TEST_HOST", "https://crm.example.com")
    monkeypatch.setenv("HUB_TEST_PASSWORD", "pw-123456")
    path = write(
        tmp_path,
        '[connections.crm]\nadapter = "x"\nhost = "${HUB_TEST_HOST}"\n'
        'password = "${HUB_TEST_PASSWORD}"\n',
    )
    load_config(path)
    assert secrets.redact("cannot reach https://crm.example.com") == (
        "cannot reach https://crm.example.com"
    )
    assert secrets.redact("pw-123456") == "***"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[connections.crm]\nadapter = "x"\ntoken = "${HUB_TEST_MISSING}"\n',
            "connections.crm.token: environment variable HUB_TEST_MISSING is not set",
        ),
        ('timezone = "Asia/Nowhere"\n', "timezone: unknown time zone 'Asia/Nowhere'"),
        ('base_currency = "rmb"\n', "base_currency: String should match pattern"),
        ('stor = "sqlite:///x.db"\n', "stor: unknown key"),
        ("[connections.crm]\nenabled = true\n", "connections.crm.adapter: is required"),
        ('[connections."bad name"]\nadapter = "csv"\n', "connections: connection name 'bad name'"),
        ("[sync]\nbatch_size = 0\n", "sync.batch_size: Input should be greater than or equal to 1"),
        (
            '[connections.crm]\nadapter = "x"\nreferences = {people = "hr"}\n',
            "connections.crm.references: unknown entity 'people'",
        ),
        ("store = 'sqlite:///x.db'\nstore = 'y'\n", "invalid TOML"),
        ('store = "not a url"\n', "store: not a database URL"),
        ("[sync]\nbatch_size = true\n", "sync.batch_size: Input should be a valid integer"),
        ('[sync]\nbatch_size = "50"\n', "sync.batch_size: Input should be a valid integer"),
        ("[sync]\nbatch_size = 50.0\n", "sync.batch_size: Input should be a valid integer"),
        (
            "[sync]\nmax_reject_ratio = false\n",
            "sync.max_reject_ratio: Input should be a valid number",
        ),
        (
            '[connections.crm]\nadapter = "x"\nenabled = "no"\n',
            "connections.crm.enabled: Input should be a valid boolean",
        ),
        (
            "[currency_rates]\nUSD = -1\n",
            "currency_rates.USD: Input should be greater than or equal to",
        ),
        (
            "[currency_rates]\nUSD = 0\n",
            "currency_rates.USD: Input should be greater than or equal to",
        ),
        (
            '[currency_rates]\nUSD = "0"\n',
            "currency_rates.USD: Input should be greater than or equal to",
        ),
        ("[currency_rates]\nUSD = 1e999\n", "currency_rates.USD: Input should be a finite number"),
        (
            '[currency_rates]\nUSD = "1e999"\n',
            "currency_rates.USD: Input should be less than or equal to",
        ),
        ("[currency_rates]\nUSD = nan\n", "currency_rates.USD: Input should be a finite number"),
        ("[currency_rates]\nUSD = true\n", "currency_rates.USD: must be a number, not true/false"),
        (
            '[currency_rates]\nUSD = "seven"\n',
            "currency_rates.USD: Input should be a valid decimal",
        ),
        (
            '[connections.crm]\nadapter = "x"\ntoken = "${HUB_X"\n',
            "connections.crm.token: `${` without a valid `${NAME}`",
        ),
        (
            '[connections.crm]\nadapter = "x"\ntoken = "a${1X}"\n',
            "connections.crm.token: `${` without a valid",
        ),
        (
            '[connections.crm]\nadapter = "x"\ntoken = "${A:-x"\n',
            "connections.crm.token: `${` without a valid",
        ),
    ],
)
def test_errors_are_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = str(info.value)
    assert "\n" not in error
    assert error.startswith(f"{path}: ")
    assert message in error


def test_values_are_never_echoed_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TEST_TOKEN", "do-not-print-me")
    path = write(tmp_path, '[sync]\nbatch_size = "${HUB_TEST_TOKEN}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "do-not-print-me" not in str(info.value)
    assert "sync.batch_size" in str(info.value)


def test_missing_file_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file \\(run `hub init`"):
        load_config(tmp_path / "absent.toml")


def test_good_rates_in_every_documented_form(tmp_path: Path) -> None:
    path = write(tmp_path, '[currency_rates]\nUSD = "7.10"\nEUR = 7.8\nJPY = 0.048\nHKD = 1\n')
    rates = load_config(path).currency_rates
    assert {k: str(v) for k, v in rates.items()} == {
        "USD": "7.10",
        "EUR": "7.8",
        "JPY": "0.048",
        "HKD": "1",
    }


@pytest.mark.parametrize(
    "command",
    [["runs"], ["rejects"], ["state"], ["sync"], ["export", "customers"], ["period", "status"]],
)
def test_every_command_refuses_an_unknown_connection_key_like_sync(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "managers.csv").write_text("id,name\nM1,a\n", encoding="utf-8")
    path = write(tmp_path, '[connections.files]\nadapter = "csv"\nfolder = "."\nfoldr = "typo"\n')
    assert run(["-C", str(path), *command]) == ExitCode.CONFIG
    assert capsys.readouterr().err == f"error: {path}: connections.files.foldr: unknown key\n"


def test_every_command_refuses_an_adapter_that_is_not_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[connections.crm]\nadapter = "nope"\n')
    for command in (["runs"], ["sync"]):
        assert run(["-C", str(path), *command]) == ExitCode.CONFIG
        err = capsys.readouterr().err
        assert err.startswith(f"error: {path}: connections.crm.adapter: ") and err.count("\n") == 1
