"""hub.toml: loading, `${ENV_VAR}` substitution and validation.

Every error is one line that names the file, the key and what is wrong, and
never shows the offending value (it may be a secret).
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from sqlalchemy.engine import make_url

from hub import secrets
from hub.errors import ConfigError
from hub.identity.settings import IdentitySettings
from hub.model import ENTITIES, Currency

DEFAULT_CONFIG_NAME = "hub.toml"
CONFIG_ENV = "HUB_CONFIG"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Rate = Annotated[
    Decimal,
    Field(ge=Decimal("1e-9"), le=Decimal("1e9"), allow_inf_nan=False),
    BeforeValidator(lambda v: _no_bool(v)),
]
"""A currency rate: a number (or numeric text), neither a bool nor zero,
negative, infinite or absurdly large."""


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


class SyncSettings(BaseModel):
    # strict: `batch_size = true` or `"50"` is a mistake, not 1 or 50
    model_config = ConfigDict(extra="forbid", strict=True)

    batch_size: int = Field(default=5000, ge=1, le=20_000)
    """Records per transaction (and per `IN (...)` list: kept under SQLite's
    parameter limit)."""
    overlap_seconds: int = Field(default=300, ge=0)
    """How far below the run's start the cursor is held."""
    lease_ttl_seconds: int = Field(default=120, ge=5)
    """A lease whose heartbeat is older than this is stale and may be taken over."""
    max_reject_ratio: float | None = Field(default=None, ge=0, le=1)
    """Fail a stream when more than this share of its records is rejected."""


class WebSettings(BaseModel):
    """`[web]`: the dashboard (`hub serve`)."""

    model_config = ConfigDict(extra="forbid")

    secret_key: SecretStr | None = None
    """Signs session cookies; give it as ${HUB_WEB_SECRET}. Without it a random
    key is made at each start (everyone logs in again after a restart)."""
    trusted_user_header: str | None = None
    """Behind a reverse proxy that authenticates users: the request header that
    names the user (e.g. X-Forwarded-User). Only set it when the proxy strips
    that header from what clients send."""
    https_only: bool = False
    """Mark the session cookie Secure (set it when served over HTTPS)."""
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_attempts: int = Field(default=5, ge=1)
    """Failed logins allowed per user name and address in `login_window_seconds`."""
    login_window_seconds: int = Field(default=300, ge=1)


class ConnectionConfig(BaseModel):
    """A connection: the adapter's name, the hub's own keys, and the adapter's
    settings (validated later by the adapter's config model)."""

    model_config = ConfigDict(extra="allow")

    adapter: str = Field(min_length=1, strict=True)
    enabled: bool = Field(default=True, strict=True)
    references: dict[str, str] = Field(default_factory=dict)
    """Entity -> connection whose source ids this connection's references use
    (e.g. `{managers = "hr"}` when activities name managers by HR ids)."""

    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @field_validator("references")
    @classmethod
    def _known_entities(cls, value: dict[str, str]) -> dict[str, str]:
        for entity in value:
            if entity not in ENTITIES:
                raise ValueError(f"unknown entity {entity!r} (one of {', '.join(ENTITIES)})")
        return value


class HubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str = "sqlite:///hub.db"
    timezone: str = "Asia/Shanghai"
    base_currency: Currency = "CNY"
    currency_rates: dict[Currency, Rate] = Field(default_factory=dict)
    """Value of one unit of each currency in the base currency (a number or
    a string such as "7.10"; positive and finite)."""
    sync: SyncSettings = Field(default_factory=SyncSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    rules: dict[str, Any] = Field(default_factory=dict)
    """`[rules.NAME]` tables (one configured rule each) and the shared
    definitions directly under `[rules]`; validated by `hub.rules.config`."""
    engine: dict[str, Any] = Field(default_factory=dict)
    """`[engine]`: the Celery broker and workers; validated by `hub.engine.settings`."""
    schedule: dict[str, Any] = Field(default_factory=dict)
    """`[schedule.NAME]` cron entries; validated by `hub.engine.settings`."""
    actions: dict[str, Any] = Field(default_factory=dict)
    """`[actions.NAME]`: findings written back as follow-up tasks; validated by
    `hub.actions.settings`."""

    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    """`[identity]`: matching keys, thresholds and survivorship (docs/identity.md)."""

    path: Path = Field(default=Path(DEFAULT_CONFIG_NAME), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("connections")
    @classmethod
    def _names(cls, value: dict[str, ConnectionConfig]) -> dict[str, ConnectionConfig]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", name):
                raise ValueError(
                    f"connection name {name!r}: use letters, digits, _ . - (at most 128)"
                )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def config_dir(self) -> Path:
        return self.path.resolve().parent

    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against hub.toml."""
        url = make_url(self.store)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            db = Path(url.database).expanduser()
            if not db.is_absolute():
                url = url.set(database=str(self.config_dir / db))
        return url.render_as_string(hide_password=False)

    def connection(self, name: str) -> ConnectionConfig:
        try:
            return self.connections[name]
        except KeyError:
            known = ", ".join(self.connections) or "none configured"
            raise ConfigError(f"{self.path}: no connection {name!r} (known: {known})") from None


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, then $HUB_CONFIG, then ./hub.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_config(path: str | os.PathLike[str] | None = None) -> HubConfig:
    config_path = find_config(path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: no such file (run `hub init` to write one, or pass --config)"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    substituted = substitute_env(raw, config_path, ())
    try:
        config = HubConfig.model_validate(substituted)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(config_path, exc)) from None
    config.path = config_path
    url = make_url(config.store) if _looks_like_url(config.store) else None
    if url is None:
        raise ConfigError(f"{config_path}: store: not a database URL (e.g. sqlite:///hub.db)")
    secrets.register([url.password if isinstance(url.password, str) else None])
    return config


def _looks_like_url(value: str) -> bool:
    try:
        make_url(value)
    except Exception:
        return False
    return True


_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[_-]?key|credential|authorization", re.I)


def substitute_env(value: Any, path: Path, key: tuple[str, ...]) -> Any:
    """Replace `${NAME}` / `${NAME:-default}` in every string. A value taken from the
    environment is registered as a secret only under a key that names one (password,
    secret, token, key): the adapters' `SecretStr` settings are registered once
    validated, and a host URL or an id given through the environment stays visible in
    the very error message that must show it."""
    if isinstance(value, dict):
        return {k: substitute_env(v, path, (*key, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, path, (*key, str(i))) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match[1], match[2]
        if name in os.environ:
            found = os.environ[name]
            if key and _SECRET_KEY.search(key[-1]):
                secrets.register([found])
            return found
        if default is not None:
            return default
        raise ConfigError(f"{path}: {'.'.join(key)}: environment variable {name} is not set")

    if "${" in _ENV_REF.sub("", value):
        raise ConfigError(
            f"{path}: {'.'.join(key)}: `${{` without a valid `${{NAME}}` or "
            "`${NAME:-default}` (unterminated, or a name with other than letters, digits, _)"
        )
    return _ENV_REF.sub(replace, value)


def describe_validation_error(
    path: Path | str, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> str:
    """One line: file, dotted key, what is wrong (the value is never shown)."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    loc = [*prefix, *first["loc"]]
    key = ".".join(str(part) for part in loc) or "(top level)"
    kind = first["type"]
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "unknown key"
    else:
        message = first["msg"]
        message = message.removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {key}: {message}{more}"


def validate_settings(config: HubConfig, name: str, model: type[BaseModel]) -> BaseModel:
    """Validate one connection's adapter settings against its config model."""
    connection = config.connection(name)
    try:
        settings = model.model_validate(connection.settings())
    except ValidationError as exc:
        raise ConfigError(
            describe_validation_error(config.path, exc, ("connections", name))
        ) from None
    secrets.register(_secret_values(settings))
    return settings


def _secret_values(model: BaseModel) -> list[str]:
    found: list[str] = []
    for value in model.__dict__.values():
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            found.extend(_secret_values(value))
    return found
