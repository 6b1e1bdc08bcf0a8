"""What `hub workers` shows: live workers (the store's registry, and what Celery's
inspect says they are running) and how many tasks wait in the queue."""

from __future__ import annotations

from typing import Any

from hub.config import HubConfig
from hub.engine.dispatch import check_broker, engine_app
from hub.engine.settings import display_broker
from hub.engine.workers import live_workers
from hub.store.database import Store

INSPECT_TIMEOUT_SECONDS = 1.5


def _describe(task: dict[str, Any]) -> str:
    args = task.get("args") or []
    name = str(task.get("name", "?")).removeprefix("hub.")
    if name == "sync_stream" and len(args) >= 3:
        return f"run {args[0]}: {args[1]}/{args[2]}"
    if len(args) >= 1:
        return f"run {args[0]}: {name} {' '.join(str(a) for a in args[1:2])}".rstrip()
    return name


def queued_tasks(app: Any, queue: str) -> int:
    """Messages waiting in `queue` (not those a worker has taken)."""
    with app.connection_for_read() as connection:
        try:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        except Exception:  # the queue does not exist yet: nothing was ever sent
            return 0
        return int(declared.message_count)


def engine_status(config: HubConfig, store: Store) -> dict[str, Any]:
    app, settings = engine_app(config)
    check_broker(app, settings)
    registered = {w["name"]: w for w in live_workers(store)}
    replies = app.control.inspect(timeout=INSPECT_TIMEOUT_SECONDS).active() or {}
    workers: list[dict[str, Any]] = []
    for name in sorted({*registered, *replies}):
        row = dict(registered.get(name, {"name": name}))
        row["state"] = "online" if name in replies else "no reply"
        row["active"] = [_describe(t) for t in replies.get(name, [])]
        workers.append(row)
    return {
        "broker": display_broker(settings.broker),
        "queue": settings.queue,
        "queued": queued_tasks(app, settings.queue),
        "workers": workers,
    }
