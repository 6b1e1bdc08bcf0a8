"""`hub sync --engine`: send a run to the workers, and (by default) wait for it.

Order matters for "nothing written": the plan is made (every config error
surfaces), then the broker is reached, and only then is the run's row
written and its tasks sent. Each connection's streams go as one chain, in
the order a local sync reads them, followed by the connection's follow-up;
connections run side by side on as many workers as there are.
"""

from __future__ import annotations

import time
from typing import Any

from celery import Celery, chain
from sqlalchemy import select

from hub import secrets
from hub.config import HubConfig
from hub.engine.celeryconf import build_app
from hub.engine.settings import EngineSettings, display_broker, engine_settings
from hub.engine.tasks import CODE_OF_STATUS, FINISH_CONNECTION, SYNC_STREAM
from hub.engine.workers import share_vendor_limits
from hub.errors import ExitCode, HubError, SourceUnreachable
from hub.plugins import Registry
from hub.store.database import Store
from hub.store.tables import run_streams, runs
from hub.sync import runs as run_history
from hub.sync.engine import SyncEngine
from hub.sync.results import RunInfo, StreamResult, SyncOptions, SyncReport, utcnow

POLL_SECONDS = 0.5
BROKER_TIMEOUT_SECONDS = 5


class BrokerUnreachable(SourceUnreachable):
    """The broker cannot be reached: nothing was sent, nothing written (exit code 4)."""


def check_broker(app: Celery, settings: EngineSettings) -> None:
    """Connect once, quickly; one clear line when that fails."""
    connection = app.connection_for_write()
    try:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrokerUnreachable(
            f"engine.broker {display_broker(settings.broker)}: cannot connect: "
            f"{secrets.redact(reason)}"
        ) from None
    finally:
        connection.release()


def engine_app(config: HubConfig) -> tuple[Celery, EngineSettings]:
    settings = engine_settings(config)
    app = build_app(config)
    app.conf.broker_connection_timeout = BROKER_TIMEOUT_SECONDS
    app.conf.broker_connection_max_retries = 1
    return app, settings


def send_run(
    config: HubConfig, registry: Registry, store: Store, options: SyncOptions
) -> tuple[int, list[tuple[str, str, str]]]:
    """Write the run and send its tasks; returns the run id and its (connection,
    stream, entity) plan."""
    app, settings = engine_app(config)
    # planning may call the vendor (a describe, a token): share what the workers share
    share_vendor_limits(settings, (lambda: store) if store.is_current() else None)
    planned = SyncEngine(config, registry, store).plan(options)
    plan: list[tuple[str, str, str]] = []
    for p in planned:
        plan.extend((p.connection, s.name, s.entity) for s in p.streams)
        p.adapter.close()
    check_broker(app, settings)
    store.upgrade()
    record: dict[str, Any] = {
        "connections": list(options.connections),
        "streams": list(options.streams),
        "full_refresh": options.full_refresh,
        "only": [list(p) for p in options.only],
        "engine": {"plan": [list(item) for item in plan], "queue": settings.queue},
    }
    with store.begin() as conn:
        run_id = run_history.start(conn, record, utcnow())
        if not plan:
            run_history.finish(conn, run_id, "ok", int(ExitCode.OK), None, utcnow())
            return run_id, plan
    try:
        connections = list(dict.fromkeys(c for c, _, _ in plan))
        with app.producer_or_acquire() as producer:
            for connection in connections:
                steps = [
                    app.signature(SYNC_STREAM, args=[run_id, c, s, e], immutable=True)
                    for c, s, e in plan
                    if c == connection
                ]
                steps.append(
                    app.signature(FINISH_CONNECTION, args=[run_id, connection], immutable=True)
                )
                chain(*steps).apply_async(queue=settings.queue, producer=producer)
    except Exception as exc:
        message = (
            f"engine.broker {display_broker(settings.broker)}: sending run {run_id} failed: {exc}"
        )
        with store.begin() as conn:
            run_history.finish(
                conn, run_id, "source-error", int(ExitCode.SOURCE), message, utcnow()
            )
        raise BrokerUnreachable(secrets.redact(message)) from None
    return run_id, plan


def wait_for(store: Store, run_id: int, timeout: float | None = None) -> Any:
    """The run's row once it has finished (None if `timeout` passed first)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with store.read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is not None and row.status != "running":
            return row
        if deadline is not None and time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def report_of(store: Store, run_id: int, options: SyncOptions) -> SyncReport:
    """The same report a local sync prints, from what the workers committed."""
    with store.read() as conn:
        run = conn.execute(select(runs).where(runs.c.id == run_id)).one()
        rows = {
            (r.connection, r.stream): r
            for r in conn.execute(select(run_streams).where(run_streams.c.run_id == run_id))
        }
    plan = (run.options or {}).get("engine", {}).get("plan", [])
    report = SyncReport(RunInfo(run_id, run.started_at, options))
    for connection, stream, entity in plan:
        result = StreamResult(connection, stream, entity, status="pending")
        row = rows.get((connection, stream))
        if row is not None:
            for key in result.counts():
                setattr(result, key, getattr(row, key))
            result.status = row.status
            result.error = row.error
            result.exit_code = CODE_OF_STATUS.get(row.status, ExitCode.OK)
        report.results.append(result)
    if run.exit_code is not None:
        report.exit_code = ExitCode(run.exit_code)
    report.error = run.error
    if not plan and report.exit_code == ExitCode.OK:
        report.notes.append("nothing to sync: no connection has a selected stream")
    return report


def run_on_engine(
    config: HubConfig,
    registry: Registry,
    store: Store,
    options: SyncOptions,
    timeout: float | None = None,
) -> SyncReport:
    run_id, _ = send_run(config, registry, store, options)
    row = wait_for(store, run_id, timeout)
    report = report_of(store, run_id, options)
    if row is None:
        report.exit_code = ExitCode.FAILED
        report.error = (
            f"run {run_id} still running after {timeout:g} s: it goes on in the workers "
            "(see `hub runs`)"
        )
    return report


__all__ = ["BrokerUnreachable", "HubError", "report_of", "run_on_engine", "send_run", "wait_for"]
