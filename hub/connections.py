"""Turning a `[connections.NAME]` table of hub.toml into a live adapter."""

from __future__ import annotations

import logging

from hub.adapters.contract import Adapter, ConnectionContext
from hub.config import HubConfig, validate_settings
from hub.errors import ConfigError
from hub.plugins import Registry


def open_adapter(config: HubConfig, registry: Registry, name: str) -> Adapter:
    """Validate the connection's settings and build its adapter."""
    connection = config.connection(name)
    try:
        spec = registry.adapter(connection.adapter)
    except ConfigError as exc:
        raise ConfigError(f"{config.path}: connections.{name}.adapter: {exc}") from None
    settings = validate_settings(config, name, spec.config)
    context = ConnectionContext(
        connection=name,
        timezone=config.zone,
        base_currency=config.base_currency,
        config_dir=config.config_dir,
        logger=logging.getLogger(f"hub.adapters.{connection.adapter}").getChild(name),
    )
    return spec.adapter(settings, context)


def validate_connections(config: HubConfig, registry: Registry) -> None:
    """Refuse hub.toml when an enabled connection names an adapter that is not
    installed or has settings its adapter does not accept, so that every
    command (not only `hub sync`) reports the same one line."""
    for name, connection in config.connections.items():
        if not connection.enabled:
            continue
        try:
            spec = registry.adapter(connection.adapter)
        except ConfigError as exc:
            raise ConfigError(f"{config.path}: connections.{name}.adapter: {exc}") from None
        validate_settings(config, name, spec.config)


def selected(config: HubConfig, names: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The named connections, or every enabled one."""
    if names:
        for name in names:
            config.connection(name)
        return list(dict.fromkeys(names))
    return [name for name, c in config.connections.items() if c.enabled]
