"""`[engine]` and `[schedule]` in hub.toml, validated strictly.

Like every hub.toml error, a bad value is one line naming the file and the key;
the broker URL's password never appears (it is registered as a secret).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub import secrets
from hub.config import HubConfig, describe_validation_error
from hub.errors import ConfigError

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
QUEUE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broker: str = Field(min_length=1)
    """`redis://host:6379/0` or `amqp://user:${PASSWORD}@host:5672//`."""
    queue: str = "hub"
    """The queue sync tasks are sent to and `hub worker` consumes."""
    concurrency: int = Field(default=2, ge=1, le=64)
    """Worker processes per `hub worker` (Celery's prefork pool)."""
    visibility_timeout_seconds: int = Field(default=3600, ge=10)
    """Redis only: an unacknowledged task is delivered again after this long. It must
    exceed the lease TTL (a redelivered task then finds the lease stale)."""
    source_retries: int = Field(default=3, ge=0, le=20)
    """How often a stream that met a source error (network, 5xx, auth) is tried again."""
    retry_backoff_seconds: int = Field(default=30, ge=1)
    """First retry delay; it doubles with each retry (capped at 10 minutes)."""
    lease_wait_seconds: int | None = Field(default=None, ge=0)
    """How long a task waits for a connection's lease held by someone else before it
    gives up as `locked` (default: twice `sync.lease_ttl_seconds`)."""
    shared_limits: Literal["auto", "redis", "store", "off"] = "auto"
    """Where workers share access tokens, in-flight budgets and daily credits: the
    broker's Redis, or the store's tables (auto: Redis when the broker is Redis, else the
    store), or nowhere (off: tokens per host through `.hub/` files, budgets per process)."""
    after_sync: list[Literal["rules"]] = Field(default_factory=list)
    """Follow-up work once a run's streams landed (identity matching runs as in a local
    sync, when `[identity] enabled`): the configured rules, once per run."""
    rules_period: Literal["month", "quarter", "half", "year"] = "quarter"
    """The period `after_sync = ["rules"]` evaluates: the one containing today."""

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        scheme = value.partition("://")[0].lower() if "://" in value else ""
        if scheme not in BROKER_SCHEMES:
            raise ValueError(
                "not a broker URL (redis://host:6379/0 or amqp://user:password@host:5672//)"
            )
        return value

    @field_validator("queue")
    @classmethod
    def _queue_name(cls, value: str) -> str:
        if not QUEUE_NAME.fullmatch(value):
            raise ValueError("use letters, digits, _ . : - (at most 128)")
        return value

    @property
    def broker_kind(self) -> str:
        return "redis" if self.broker.lower().startswith("redis") else "amqp"

    @property
    def limits_backend(self) -> str:
        if self.shared_limits != "auto":
            return self.shared_limits
        return "redis" if self.broker_kind == "redis" else "store"


class ScheduleEntry(BaseModel):
    """One `[schedule.NAME]` table: what to run and when."""

    model_config = ConfigDict(extra="forbid")

    cron: str
    """Five fields (minute hour day-of-month month day-of-week), in the config's time zone."""
    task: Literal["sync", "rules", "identity"] = "sync"
    connections: list[str] = Field(default_factory=list)
    """For `sync`: these connections (default: every enabled one)."""
    streams: list[str] = Field(default_factory=list)
    full_refresh: bool = False
    period: Literal["month", "quarter", "half", "year"] = "quarter"
    """For `rules`: evaluate the period of this kind containing today."""

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from hub.engine.cron import Cron

        Cron.parse(value)  # raises ValueError with the field at fault
        return value

    @model_validator(mode="after")
    def _sync_only_options(self) -> ScheduleEntry:
        if self.task != "sync" and (self.connections or self.streams or self.full_refresh):
            raise ValueError("connections, streams and full_refresh apply to task = 'sync' only")
        return self


def engine_settings(config: HubConfig) -> EngineSettings:
    """The `[engine]` table; a clear error when it is missing or wrong."""
    raw = config.engine
    if not raw:
        raise ConfigError(
            f'{config.path}: [engine]: not configured (add broker = "redis://127.0.0.1:6379/0")'
        )
    try:
        settings = EngineSettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(config.path, exc, ("engine",))) from None
    secrets.register([_password(settings.broker)])
    return settings


def schedule_entries(config: HubConfig) -> dict[str, ScheduleEntry]:
    entries: dict[str, ScheduleEntry] = {}
    for name, raw in config.schedule.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", name):
            raise ConfigError(f"{config.path}: schedule.{name}: use letters, digits, _ . -")
        if not isinstance(raw, dict):
            raise ConfigError(f"{config.path}: schedule.{name}: must be a table")
        try:
            entry = ScheduleEntry.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(
                describe_validation_error(config.path, exc, ("schedule", name))
            ) from None
        for connection in entry.connections:
            if connection not in config.connections:
                raise ConfigError(
                    f"{config.path}: schedule.{name}.connections: no connection {connection!r}"
                )
        entries[name] = entry
    return entries


def display_broker(url: str) -> str:
    """The broker URL without its password, for messages."""
    password = _password(url)
    return url.replace(f":{password}@", ":***@") if password else url


def _password(url: str) -> str | None:
    match = re.match(r"^[a-z+]+://[^:/@]*:([^@]*)@", url, re.IGNORECASE)
    return match[1] if match and match[1] else None


def describe(settings: EngineSettings) -> dict[str, Any]:
    """What `hub workers` shows about the engine (no secrets)."""
    return {
        "broker": display_broker(settings.broker),
        "queue": settings.queue,
        "concurrency": settings.concurrency,
        "shared_limits": settings.limits_backend,
    }
