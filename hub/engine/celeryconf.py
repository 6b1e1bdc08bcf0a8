"""Celery's configuration for a hub project.

At-least-once delivery (docs/engine.md): a task is acknowledged only when it
has finished (`acks_late`), is given back to the broker when the process
running it dies (`reject_on_worker_lost`), and each process takes one task
at a time (`prefetch_multiplier = 1`), so a long stream never holds others
back in a prefetch buffer. Results live in the store, not in a result backend.
"""

from __future__ import annotations

from celery import Celery

from hub.config import HubConfig
from hub.engine.settings import EngineSettings, engine_settings


def celery_config(settings: EngineSettings, config: HubConfig) -> dict[str, object]:
    options: dict[str, object] = {
        "broker_url": settings.broker,
        "task_default_queue": settings.queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": config.timezone,
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "worker_concurrency": settings.concurrency,
        "broker_connection_retry_on_startup": True,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }
    if settings.broker_kind == "redis":
        options["broker_transport_options"] = {
            "visibility_timeout": settings.visibility_timeout_seconds
        }
    return options


def build_app(config: HubConfig) -> Celery:
    settings = engine_settings(config)
    app = Celery("hub", set_as_current=True)
    app.conf.update(celery_config(settings, config))
    app.conf.hub_config_path = str(config.path)
    import hub.engine.tasks
    import hub.engine.workers  # noqa: F401  (worker signals: registry, SQLite check)

    return app
