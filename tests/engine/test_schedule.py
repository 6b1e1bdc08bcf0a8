"""Schedules: cron in the config's time zone, strict validation, and two schedulers
firing one run per tick."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.engine.cron import Cron
from hub.engine.tables import schedule_ticks
from hub.errors import ExitCode
from hub.store.tables import runs

from .conftest import Workers, engine_project, hub

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("expression", "moment", "matches"),
    [
        ("*/15 * * * *", dt.datetime(2026, 12, 3, 10, 45), True),
        ("*/15 * * * *", dt.datetime(2026, 12, 3, 10, 46), False),
        ("0 2 * * *", dt.datetime(2026, 12, 3, 2, 0), True),
        ("0 2 * * mon", dt.datetime(2026, 12, 7, 2, 0), True),  # a Monday
        ("0 2 * * 1", dt.datetime(2026, 12, 8, 2, 0), False),
        ("0 2 * * 7", dt.datetime(2026, 12, 6, 2, 0), True),  # Sunday as 7
        ("0 9 1 * mon", dt.datetime(2026, 12, 1, 9, 0), True),  # day 1 or a Monday (cron's OR)
        ("0 9 1 * mon", dt.datetime(2026, 12, 7, 9, 0), True),
        ("0 9 1 * mon", dt.datetime(2026, 12, 8, 9, 0), False),
        ("30 8-18/2 * jan-mar *", dt.datetime(2026, 2, 3, 10, 30), True),
        ("30 8-18/2 * jan-mar *", dt.datetime(2026, 4, 3, 10, 30), False),
    ],
)
def test_cron_matches(expression: str, moment: dt.datetime, matches: bool) -> None:
    assert Cron.parse(expression).matches(moment) is matches


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("* * * *", "five fields expected"),
        ("61 * * * *", "cron minute: '61' is not in 0-59"),
        ("*/0 * * * *", "bad step"),
        ("5-1 * * * *", "runs backwards"),
        ("0 0 * * funday", "cron day-of-week: 'funday'"),
    ],
)
def test_bad_cron_is_one_line_naming_the_entry(tmp_path: Path, expression: str, error: str) -> None:
    project = engine_project(tmp_path / "p", "redis://127.0.0.1:1/0", branches=0)
    with project.config_path.open("a", encoding="utf-8") as f:
        f.write(f'\n[schedule.nightly]\ncron = "{expression}"\n')
    done = hub(project, "scheduler", "--once")
    assert done.returncode == ExitCode.CONFIG
    assert done.stderr.startswith(f"error: {project.config_path}: schedule.nightly.cron: ")
    assert error in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_schedule_options_are_checked(tmp_path: Path) -> None:
    project = engine_project(tmp_path / "p", "redis://127.0.0.1:1/0", branches=0)
    with project.config_path.open("a", encoding="utf-8") as f:
        f.write('\n[schedule.all]\ncron = "*/15 * * * *"\nconnections = ["nope"]\n')
    done = hub(project, "scheduler", "--once")
    assert done.returncode == ExitCode.CONFIG
    assert "schedule.all.connections: no connection 'nope'" in done.stderr


def test_ticks_are_matched_in_the_config_time_zone(tmp_path: Path, redis_broker: str) -> None:
    from hub.engine.schedule import Scheduler
    from hub.plugins import get_registry

    project = engine_project(tmp_path / "p", redis_broker, branches=0)
    with project.config_path.open("a", encoding="utf-8") as f:
        f.write('\n[schedule.nightly]\ncron = "0 2 * * *"\ntask = "rules"\n')
    scheduler = Scheduler(project.config, get_registry(), project.store)
    two_am_shanghai = dt.datetime(2026, 12, 3, 2, 0, tzinfo=SHANGHAI)
    assert scheduler.due(two_am_shanghai.astimezone(dt.UTC)) == ["nightly"]
    assert scheduler.due(dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)) == []


@pytest.mark.slow
def test_two_schedulers_fire_one_run_per_tick(
    tmp_path: Path, redis_broker: str, workers: list[Workers]
) -> None:
    project = engine_project(tmp_path / "p", redis_broker, branches=1)
    with project.config_path.open("a", encoding="utf-8") as f:
        f.write('\n[schedule.every_quarter_hour]\ncron = "*/15 * * * *"\n')
    project.store.upgrade()
    command = [sys.executable, "-m", "hub", "-C", str(project.config_path), "scheduler", "--once"]
    ticks = ["2026-12-03T10:15", "2026-12-03T10:30"]
    for at in ticks:
        both = [
            subprocess.Popen([*command, "--at", at], stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for p in both:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    not_due = subprocess.run(
        [*command, "--at", "2026-12-03T10:31"], capture_output=True, text=True, timeout=120
    )
    assert not_due.returncode == 0, not_due.stderr
    with project.store.read() as conn:
        fired = conn.execute(select(schedule_ticks).order_by(schedule_ticks.c.tick_at)).all()
        run_ids = [r.id for r in conn.execute(select(runs.c.id).order_by(runs.c.id))]
    assert [r.tick_at.astimezone(SHANGHAI).strftime("%H:%M") for r in fired] == ["10:15", "10:30"]
    assert [r.run_id for r in fired] == run_ids and len(run_ids) == 2, "one run per tick"

    pool = Workers(project)
    workers.append(pool)
    pool.start(1)
    from hub.engine.dispatch import wait_for

    rows = [wait_for(project.store, run_id, timeout=120) for run_id in run_ids]
    # the first tick's run syncs, the second finds nothing new
    assert [r.status for r in rows] == ["rejects", "ok"], pool.output()[-3000:]
