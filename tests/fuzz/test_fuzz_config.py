"""The config loader, fed any TOML text, any value for every key, any
`${...}` and any path: it returns a config or raises ConfigError with one
line that names the file, and never shows a value taken from the
environment (it may be a secret)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import secrets
from hub.config import load_config
from hub.errors import ConfigError

pytestmark = pytest.mark.fuzz

SECRET = "fuzz-secret-value-7f3a"
ENV = {"HUB_FUZZ_SET": SECRET, "HUB_FUZZ_EMPTY": ""}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HUB_FUZZ_UNSET", raising=False)


def load(folder: Path, text: str, secret_key: bool = True) -> Any:
    """Load `text`; an error must be one line naming the file, and (when a
    secret may be in it) must not show what came from the environment.
    Non-secret settings taken from ${ENV} are shown, so an admin can fix them."""
    path = folder / "hub.toml"
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert message.startswith(f"{path}"), message
        if secret_key:
            assert SECRET not in message, message
        return exc
    finally:
        secrets.clear()
    config.store_url()  # resolving the store path must not fail either
    return config


def toml_value(value: Any) -> str:
    """TOML for the scalars and arrays hypothesis draws."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


ENV_TEXT = st.lists(
    st.sampled_from(
        [
            "${HUB_FUZZ_SET}",
            "${HUB_FUZZ_UNSET}",
            "${HUB_FUZZ_EMPTY}",
            "${HUB_FUZZ_UNSET:-dflt}",
            "${",
            "}",
            "$",
            "${1BAD}",
            "${HUB_FUZZ_SET",
            "${:-x}",
            "${A:-${B}}",
            "x",
            "/",
            "..",
            "sqlite:///",
            "postgresql+psycopg://u:",
            "@127.0.0.1:1/db",
            "\\",
            "\x00",
            "é",
        ]
    ),
    max_size=6,
).map("".join)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    ENV_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# where each value goes: every key the loader knows, and some it does not
KEYS = st.sampled_from(
    [
        ("", "store"),
        ("", "timezone"),
        ("", "base_currency"),
        ("", "unknown_top"),
        ("currency_rates", "USD"),
        ("currency_rates", "usd"),
        ("currency_rates", "JPY"),
        ("sync", "batch_size"),
        ("sync", "overlap_seconds"),
        ("sync", "lease_ttl_seconds"),
        ("sync", "max_reject_ratio"),
        ("sync", "nope"),
        ("connections.files", "adapter"),
        ("connections.files", "enabled"),
        ("connections.files", "references"),
        ("connections.files", "folder"),
        ("connections.files", "token"),
        ("rules", "cancelled_statuses"),
    ]
)


@given(st.text(max_size=200))
def test_any_text(tmp_path: Path, text: str) -> None:
    load(tmp_path, text)


@given(st.lists(st.tuples(KEYS, VALUES), max_size=6))
def test_any_value_for_any_key(tmp_path: Path, entries: list[tuple[tuple[str, str], Any]]) -> None:
    tables: dict[str, dict[str, Any]] = {}
    for (table, key), value in entries:
        tables.setdefault(table, {})[key] = value
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in tables.pop("", {}).items()]
    for table, items in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in items.items()]
    load(tmp_path, "\n".join(lines) + "\n", secret_key=False)  # non-secret keys are shown


@given(
    ENV_TEXT,
    st.sampled_from(["store", "timezone", "connections.crm.token", "connections.crm.adapter"]),
)
def test_env_substitution_anywhere(tmp_path: Path, value: str, where: str) -> None:
    table, _, key = where.rpartition(".")
    text = f"[{table}]\n" if table else ""
    if table == "connections.crm" and key != "adapter":
        text += 'adapter = "csv"\n'
    text += f"{key} = {json.dumps(value)}\n"
    result = load(tmp_path, text, secret_key=key == "token")
    if isinstance(result, ConfigError) or not table:
        return
    settings = result.connections["crm"].settings()
    if (
        key == "token"
        and "${HUB_FUZZ_SET}" in value
        and "${" not in value.replace("${HUB_FUZZ_SET}", "")
    ):
        assert SECRET in settings["token"]


@given(
    st.lists(
        st.sampled_from(["..", ".", "a", "b c", "数据", "~", "", "/", "x.db", "\\"]), max_size=5
    ).map("/".join)
)
def test_any_store_path(tmp_path: Path, path: str) -> None:
    result = load(tmp_path, f"store = {json.dumps('sqlite:///' + path)}\n", secret_key=False)
    if not isinstance(result, ConfigError):
        url = result.store_url()
        assert url.startswith("sqlite:///")
        if path and not path.startswith(("/", "~")):
            assert os.path.isabs(url.removeprefix("sqlite:///"))
