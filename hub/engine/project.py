"""The project a worker process serves: config, plugins and store, opened once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from hub.config import HubConfig, load_config
from hub.engine.settings import EngineSettings, engine_settings
from hub.plugins import Registry, get_registry
from hub.store.database import Store


@dataclass
class Project:
    """What a task needs, opened once per process (after the pool forks)."""

    config: HubConfig

    @cached_property
    def settings(self) -> EngineSettings:
        return engine_settings(self.config)

    @cached_property
    def registry(self) -> Registry:
        return get_registry()

    @cached_property
    def store(self) -> Store:
        return Store(self.config.store_url())


_project: tuple[int, Project] | None = None


def project() -> Project:
    """This process's project (a forked pool process opens its own store)."""
    global _project
    if _project is None or _project[0] != os.getpid():
        _project = (os.getpid(), Project(load_config(os.environ.get("HUB_CONFIG") or None)))
    return _project[1]
