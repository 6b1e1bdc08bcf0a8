"""`hub scheduler`: fires `[schedule]` entries, minute by minute, in the config's time zone.

Our own small beat loop rather than Celery beat: beat keeps its schedule
in a local file per process, so two beats started by mistake would both
fire. Here every tick is first recorded in the store's `schedule_ticks`
table under a unique key (entry, minute): the scheduler whose insert wins
fires the tick, any other skips it. And a sync that fires while the previous
run still holds a connection waits for its lease, so it never runs twice at once.

A scheduler that was down does not catch up on the ticks it missed (as
cron); ticks missed for a few minutes by a slow loop are fired late.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from hub import secrets
from hub.config import HubConfig
from hub.engine.cron import Cron
from hub.engine.dispatch import check_broker, engine_app, send_run
from hub.engine.settings import ScheduleEntry, schedule_entries
from hub.engine.tables import schedule_ticks
from hub.engine.tasks import RUN_IDENTITY, RUN_RULES
from hub.errors import ConfigError, HubError
from hub.plugins import Registry
from hub.store.database import Store
from hub.sync.results import SyncOptions, utcnow

log = logging.getLogger("hub.engine.schedule")

CATCH_UP_MINUTES = 5


def minute_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


class Scheduler:
    def __init__(self, config: HubConfig, registry: Registry, store: Store) -> None:
        self.config = config
        self.registry = registry
        self.store = store
        self.entries = schedule_entries(config)
        if not self.entries:
            raise ConfigError(
                f"{config.path}: [schedule]: no entries (e.g. [schedule.every_15_minutes])"
            )
        self.crons = {name: Cron.parse(entry.cron) for name, entry in self.entries.items()}
        self.app, self.settings = engine_app(config)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()

    def due(self, minute: dt.datetime) -> list[str]:
        """Entries whose cron matches `minute` (any zone; matched in the config's)."""
        local = minute.astimezone(self.config.zone)
        return [name for name, cron in self.crons.items() if cron.matches(local)]

    def tick(self, minute: dt.datetime) -> dict[str, int | None]:
        """Fire what is due at `minute`, where this scheduler wins the tick.
        Returns entry -> run id (None: fired, but not a sync) for the entries it fired."""
        minute = minute_of(minute).astimezone(dt.UTC)
        fired: dict[str, int | None] = {}
        for name in self.due(minute):
            if not self._claim(name, minute):
                log.info("%s at %s: fired by another scheduler", name, minute)
                continue
            try:
                fired[name] = self._fire(self.entries[name])
                self._record(name, minute, fired[name], None)
                log.info("%s at %s: fired (run %s)", name, minute, fired[name])
            except HubError as exc:
                message = secrets.redact(str(exc))
                self._record(name, minute, None, message)
                log.error("%s at %s: %s", name, minute, message)
        return fired

    def _claim(self, name: str, minute: dt.datetime) -> bool:
        try:
            with self.store.begin() as conn:
                conn.execute(
                    schedule_ticks.insert().values(
                        entry=name, tick_at=minute, fired_at=utcnow(), holder=self.holder
                    )
                )
        except IntegrityError:
            return False
        return True

    def _record(
        self, name: str, minute: dt.datetime, run_id: int | None, error: str | None
    ) -> None:
        with self.store.begin() as conn:
            conn.execute(
                update(schedule_ticks)
                .where(schedule_ticks.c.entry == name, schedule_ticks.c.tick_at == minute)
                .values(run_id=run_id, error=error)
            )

    def _fire(self, entry: ScheduleEntry) -> int | None:
        if entry.task == "sync":
            options = SyncOptions(
                connections=tuple(entry.connections),
                streams=tuple(entry.streams),
                full_refresh=entry.full_refresh,
            )
            run_id, _ = send_run(self.config, self.registry, self.store, options)
            return run_id
        name = RUN_RULES if entry.task == "rules" else RUN_IDENTITY
        args: list[Any] = [entry.period] if entry.task == "rules" else []
        self.app.send_task(name, args=args, queue=self.settings.queue)
        return None

    def serve(self, once: bool = False, at: dt.datetime | None = None) -> None:
        check_broker(self.app, self.settings)
        self.store.upgrade()
        if once:
            self.tick(at or utcnow())
            return
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        last = minute_of(utcnow()) - dt.timedelta(minutes=1)
        log.info("scheduler %s: %d entries", self.holder, len(self.entries))
        while not self._stop.is_set():
            now = minute_of(utcnow())
            minute = max(
                last + dt.timedelta(minutes=1), now - dt.timedelta(minutes=CATCH_UP_MINUTES)
            )
            while minute <= now:
                self.tick(minute)
                last = minute
                minute += dt.timedelta(minutes=1)
            wait = (now + dt.timedelta(minutes=1) - utcnow()).total_seconds()
            self._stop.wait(max(wait, 0.5))

    def stop(self) -> None:
        self._stop.set()
