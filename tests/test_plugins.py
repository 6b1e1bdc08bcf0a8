"""Plugin discovery: entry points, duplicates, broken plugins, listing."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from hub import hookimpl
from hub.adapters.contract import AdapterSpec
from hub.cli import run
from hub.errors import ConfigError
from hub.plugins import DuplicateName, load_registry

from .scripted import ScriptedAdapter, ScriptedSettings


def fake_entry_point(name: str, module: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=module, group="hub")


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch) -> dict[str, types.ModuleType]:
    """Throwaway plugin modules, importable by name."""
    made: dict[str, types.ModuleType] = {}

    def add(name: str, body: object) -> None:
        module = types.ModuleType(name)
        if callable(body):
            module.hub_register_adapters = body  # type: ignore[attr-defined]
        made[name] = module
        monkeypatch.setitem(sys.modules, name, module)

    add(
        "plugin_one",
        hookimpl(lambda: iter([AdapterSpec("crm", ScriptedAdapter, ScriptedSettings)])),
    )
    add(
        "plugin_two",
        hookimpl(lambda: iter([AdapterSpec("crm", ScriptedAdapter, ScriptedSettings)])),
    )
    add(
        "plugin_other",
        hookimpl(lambda: iter([AdapterSpec("other", ScriptedAdapter, ScriptedSettings)])),
    )
    broken = types.ModuleType("plugin_typo")

    @hookimpl
    def hub_register_adaptors() -> Iterator[AdapterSpec]:  # misspelt on purpose
        yield from ()

    broken.hub_register_adaptors = hub_register_adaptors  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plugin_typo", broken)
    return made


def test_duplicate_adapter_names_name_both_plugins(modules: dict[str, types.ModuleType]) -> None:
    registry = load_registry(
        [fake_entry_point("one", "plugin_one"), fake_entry_point("two", "plugin_two")]
    )
    with pytest.raises(
        DuplicateName,
        match=r"adapter name 'crm' is registered by two plugins: '(one' and 'two|two' and 'one)'",
    ):
        registry.adapters  # noqa: B018


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_works(
    modules: dict[str, types.ModuleType],
) -> None:
    registry = load_registry(
        [
            fake_entry_point("missing", "no_such_module_anywhere"),
            fake_entry_point("typo", "plugin_typo"),
            fake_entry_point("other", "plugin_other"),
        ]
    )
    assert list(registry.adapters) == ["other"]
    failures = {f.name: f.error for f in registry.failures}
    assert failures["missing"].startswith(
        "ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    )
    assert "hub_register_adaptors" in failures["typo"]
    with pytest.raises(ConfigError, match="plugins that failed to load: missing, typo"):
        registry.adapter("crm")


def test_environment_variables_select_plugins(
    modules: dict[str, types.ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    points = [fake_entry_point("one", "plugin_one"), fake_entry_point("other", "plugin_other")]
    monkeypatch.setenv("HUB_DISABLE_PLUGINS", "one")
    assert list(load_registry(points).adapters) == ["other"]
    monkeypatch.delenv("HUB_DISABLE_PLUGINS")
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "one")
    assert list(load_registry(points).adapters) == ["crm"]
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "")
    assert load_registry(points).adapters == {}


def test_hub_plugins_lists_the_installed_csv_plugin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["plugins", "--json"]) == 0
    listing = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    csv_plugin = listing["csv"]
    assert csv_plugin["distribution"] == "hub-csv"
    assert csv_plugin["version"] == metadata.version("hub-csv")
    assert csv_plugin["adapters"] == ["csv"]
    assert csv_plugin["hooks"] == ["hub_register_adapters"]
    assert run(["plugins"]) == 0
    assert "hub-csv" in capsys.readouterr().out


def test_a_plugin_whose_hook_raises_is_reported_and_the_cli_still_works(
    modules: dict[str, types.ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import hub.plugins as plugins

    broken = types.ModuleType("plugin_broken_commands")

    @hookimpl
    def hub_register_commands() -> Iterator[object]:
        raise ImportError("needs pytest")

    broken.hub_register_commands = hub_register_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plugin_broken_commands", broken)
    registry = load_registry(
        [
            fake_entry_point("broken", "plugin_broken_commands"),
            fake_entry_point("other", "plugin_other"),
        ]
    )
    monkeypatch.setattr(plugins, "_default", registry)
    assert run(["plugins", "--json"]) == 0
    listing = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listing["broken"]["error"] == "hub_register_commands: ImportError: needs pytest"
    assert listing["other"]["adapters"] == ["other"]
