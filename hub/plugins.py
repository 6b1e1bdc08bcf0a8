"""Finding, loading and listing plugins.

Plugins come from the `hub` entry-point group; built-in adapters are plugins
too and get no special treatment. A plugin that fails to import is recorded
and reported; the others still work. Environment variables:

- `HUB_LOAD_PLUGINS=a,b` loads only these entry points (empty: none);
- `HUB_DISABLE_PLUGINS=a,b` skips these.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from hub import hookspecs
from hub.adapters.contract import AdapterSpec
from hub.errors import ConfigError

if TYPE_CHECKING:
    from hub.rules.spec import RuleSpec

log = logging.getLogger("hub.plugins")

ENTRY_POINT_GROUP = "hub"


@dataclass
class PluginInfo:
    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    adapters: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": self.hooks,
            "adapters": self.adapters,
            "rules": self.rules,
            "commands": self.commands,
            "error": self.error,
        }


class DuplicateName(ConfigError):
    pass


class Registry:
    """The loaded plugins and what they register."""

    def __init__(self, pm: pluggy.PluginManager, failures: list[PluginInfo] | None = None):
        self.pm = pm
        self.failures = failures or []
        self.hook_errors: dict[str, str] = {}
        """Plugin name -> the error its registration hook raised."""
        self._dists: dict[str, tuple[str, str]] = {}

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def register(self, plugin: object, name: str, dist: tuple[str, str] | None = None) -> None:
        self.pm.register(plugin, name=name)
        if dist:
            self._dists[name] = dist
        self.__dict__.pop("adapters", None)
        self.__dict__.pop("rules", None)
        self.__dict__.pop("commands", None)

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.__dict__.pop("adapters", None)
        self.__dict__.pop("rules", None)
        self.__dict__.pop("commands", None)

    def _collect(self, hook_name: str, key: str) -> dict[str, tuple[Any, str]]:
        found: dict[str, tuple[Any, str]] = {}
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            try:
                items = list(impl.function() or ())
            except Exception as exc:  # one broken plugin must not take the CLI down
                error = f"{hook_name}: {type(exc).__name__}: {exc}".splitlines()[0]
                log.warning("plugin %s failed: %s", impl.plugin_name, error)
                self.hook_errors[impl.plugin_name] = error
                continue
            for item in items:
                name = getattr(item, key)
                if name in found:
                    other = found[name][1]
                    raise DuplicateName(
                        f"{hook_name.removeprefix('hub_register_')[:-1]} name {name!r} is "
                        f"registered by two plugins: {other!r} and {impl.plugin_name!r}"
                    )
                found[name] = (item, impl.plugin_name)
        return found

    @cached_property
    def adapters(self) -> dict[str, tuple[AdapterSpec, str]]:
        """Adapter name -> (spec, plugin name)."""
        specs = self._collect("hub_register_adapters", "name")
        for name, (spec, plugin) in specs.items():
            if not isinstance(spec, AdapterSpec):
                raise ConfigError(f"plugin {plugin!r} registered {name!r} as a non-AdapterSpec")
        return specs

    @cached_property
    def rules(self) -> dict[str, tuple[RuleSpec, str]]:
        """Rule id -> (spec, plugin name)."""
        from hub.rules.spec import RuleSpec  # only commands that need rules pay for them

        specs = self._collect("hub_register_rules", "id")
        for name, (spec, plugin) in specs.items():
            if not isinstance(spec, RuleSpec):
                raise ConfigError(f"plugin {plugin!r} registered {name!r} as a non-RuleSpec")
        return specs

    @cached_property
    def commands(self) -> dict[str, tuple[Any, str]]:
        return self._collect("hub_register_commands", "name")

    def adapter(self, name: str) -> AdapterSpec:
        try:
            return self.adapters[name][0]
        except KeyError:
            known = ", ".join(sorted(self.adapters)) or "none installed"
            broken = [f.name for f in self.failures]
            hint = f"; plugins that failed to load: {', '.join(broken)}" if broken else ""
            raise ConfigError(f"no adapter named {name!r} (installed: {known}{hint})") from None

    def infos(self) -> list[PluginInfo]:
        """Every plugin with its version and what it registers (for `hub plugins`)."""
        infos: dict[str, PluginInfo] = {}
        for name, plugin in self.pm.list_name_plugin():
            if plugin is hookspecs:
                continue
            dist = self._dists.get(name)
            info = PluginInfo(name=name, distribution=dist and dist[0], version=dist and dist[1])
            info.hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])
            infos[name] = info
        for adapter, (_, plugin) in self.adapters.items():
            infos[plugin].adapters.append(adapter)
        for rule, (_, plugin) in self.rules.items():
            infos[plugin].rules.append(rule)
        for command, (_, plugin) in self.commands.items():
            infos[plugin].commands.append(command)
        for plugin, error in self.hook_errors.items():
            infos[plugin].error = error
        return sorted([*infos.values(), *self.failures], key=lambda i: i.name)


def _env_list(name: str) -> set[str] | None:
    if name not in os.environ:
        return None
    return {part.strip() for part in os.environ[name].split(",") if part.strip()}


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("hub")
    pm.add_hookspecs(hookspecs)
    return pm


def load_registry(entry_points: Iterable[metadata.EntryPoint] | None = None) -> Registry:
    """Load every plugin of the `hub` entry-point group (or the given ones)."""
    registry = Registry(new_plugin_manager())
    allow = _env_list("HUB_LOAD_PLUGINS")
    block = _env_list("HUB_DISABLE_PLUGINS") or set()
    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    seen: set[str] = set()
    for ep in entry_points:
        if ep.name in seen or ep.name in block or (allow is not None and ep.name not in allow):
            continue
        seen.add(ep.name)
        dist = (ep.dist.name, ep.dist.version) if ep.dist else None
        try:
            plugin = ep.load()
            registry.register(plugin, name=ep.name, dist=dist)
            try:
                registry.pm.check_pending()  # a misspelt hub_ hook is an error
            except pluggy.PluginValidationError:
                registry.unregister(ep.name)
                raise
        except Exception as exc:  # a broken plugin must not take the others down
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            log.warning("plugin %s failed to load: %s", ep.name, error)
            registry.failures.append(
                PluginInfo(
                    name=ep.name,
                    distribution=dist and dist[0],
                    version=dist and dist[1],
                    error=error,
                )
            )
    return registry


_default: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loaded once."""
    global _default
    if _default is None:
        _default = load_registry()
    return _default
