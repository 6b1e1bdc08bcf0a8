"""What `hub demo` does, one step after another.

Each step is a function of the shared `DemoRun`; `STEPS` is the order. A new
capability joins the demo as one more line there (identity resolution goes
between `sync_sources` and `run_rules`).
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from hub.config import HubConfig, load_config
from hub.demo import fakes
from hub.demo.company import PERIOD, DemoCompany, build_company
from hub.demo.project import check_target, write_project
from hub.errors import ConfigError, ExitCode
from hub.periods import parse_period
from hub.plugins import get_registry
from hub.reports import compliance, incentives, scorecard
from hub.reports.html import render
from hub.reports.source import ReportSource
from hub.store.database import Store
from hub.sync.engine import SyncEngine, SyncOptions
from hub.sync.progress import LogProgress, RichProgress
from hub.sync.rejects import open_streams as open_rejects


@dataclass
class DemoRun:
    target: Path
    fixed_ports: bool = True
    company: DemoCompany | None = None
    running: fakes.RunningFakes | None = None
    config_path: Path | None = None
    lines: list[str] = field(default_factory=list)
    """What happened, one line per step, printed at the end."""

    @property
    def config(self) -> HubConfig:
        assert self.config_path is not None
        return load_config(str(self.config_path))


def build_data(run: DemoRun) -> None:
    run.company = build_company()


def start_fakes(run: DemoRun) -> None:
    assert run.company is not None
    run.running = fakes.start(run.company, fixed_ports=run.fixed_ports)
    run.lines.append(
        f"fake Fxiaoke at {run.running.fxiaoke_url}, fake Zoho CRM at {run.running.zoho_url}"
    )


def write_files(run: DemoRun) -> None:
    assert run.company is not None and run.running is not None
    settings = (run.running.fxiaoke_settings(), run.running.zoho_settings())
    run.config_path = write_project(run.target, run.company, settings)
    run.lines.append(f"project: {run.config_path} (HR roster in {run.target / 'data'})")


def sync_sources(run: DemoRun) -> None:
    config = run.config
    progress = RichProgress() if sys.stderr.isatty() else LogProgress()
    engine = SyncEngine(config, get_registry(), Store(config.store_url()), progress=progress)
    report = engine.run(SyncOptions())
    totals: dict[str, int] = {}
    for r in report.results:
        totals[r.connection] = totals.get(r.connection, 0) + r.read
    read = ", ".join(f"{n} from {c}" for c, n in totals.items())
    with Store(config.store_url()).read() as conn:
        broken = sum(n for _, _, n in open_rejects(conn))
    run.lines.append(
        f"synced {sum(totals.values())} records ({read}) into "
        f"{config.store_url().split('///')[-1]}; "
        f"{broken} broken rows kept aside (`hub rejects`)"
    )
    if report.exit_code not in (ExitCode.OK, ExitCode.REJECTS):
        failed = [f"{r.connection}/{r.stream}: {r.error}" for r in report.results if r.error]
        raise click.ClickException(
            f"the demo sync failed ({report.status}): {'; '.join(failed) or report.error}"
        )


def resolve_identity(run: DemoRun) -> None:
    from hub.identity.resolve import match_all

    config = run.config
    report = match_all(Store(config.store_url()), config)
    m, c = report.entities["managers"], report.entities["customers"]
    review = m.review + c.review
    run.lines.append(
        f"identity: {m.merged_records} manager records are {m.unified} people, "
        f"{c.merged_records} customer records are {c.unified} companies "
        f"(`hub identity list --merged`); {review} pairs to review (`hub identity review`)"
    )


def run_rules(run: DemoRun) -> None:
    from hub.rules.engine import RuleEngine

    config = run.config
    engine = RuleEngine(config, get_registry(), Store(config.store_url()))
    report = engine.run(parse_period(PERIOD), None)
    results = sum(sum(r.counts.values()) for r in report.rules)
    run.lines.append(
        f"ran {len(report.rules)} rules for {PERIOD} (version {report.version}): {results} results"
    )


def write_back(run: DemoRun) -> None:
    """Customers overdue for contact become follow-up tasks in the CRM that owns them."""
    from hub.actions.apply import apply
    from hub.actions.settings import parse_actions

    config = run.config
    actions = parse_actions(config.actions, config.path)
    report = apply(config, get_registry(), Store(config.store_url()), [PERIOD], actions)
    sent = {c.connection: c.sent + c.confirmed for c in report.connections}
    where = ", ".join(f"{n} in {c}" for c, n in sorted(sent.items()) if n)
    run.lines.append(
        f"wrote {sum(sent.values())} follow-up tasks back into the CRMs ({where or 'none'})"
    )


def write_report(run: DemoRun) -> None:
    config = run.config
    store = Store(config.store_url())
    with store.read() as conn:
        reports = [
            report(ReportSource(conn, PERIOD, None, unmasked=False))
            for report in (scorecard.build, incentives.build, compliance.build)
        ]
    path = run.target / f"report-{PERIOD}.html"
    path.write_text(render(f"明远贸易 Mingyuan Trading — {PERIOD}", reports), encoding="utf-8")
    run.lines.append(f"report: {path}")


DEMO_USERS = {
    "admin": ("admin", None, "demo-admin"),
    "zhang.wei": ("lead", "E1001", "demo-lead"),
    "zhou.jie": ("manager", "zhou.jie@mingyuan.example", "demo-manager"),
}
"""Dashboard users of the demo: user name -> (role, manager, password)."""


def add_users(run: DemoRun) -> None:
    try:
        from hub.web import users
    except ImportError:  # the web extra is not installed: no dashboard, no users
        return
    with Store(run.config.store_url()).begin() as conn:
        for name, (role, manager, password) in DEMO_USERS.items():
            if users.get(conn, name) is None:
                users.add(conn, name, role, password=password, manager=manager)
    logins = ", ".join(f"{n} / {p}" for n, (_, _, p) in DEMO_USERS.items())
    run.lines.append(f"dashboard users: {logins}")


STEPS: list[Callable[[DemoRun], None]] = [
    build_data,
    start_fakes,
    write_files,
    sync_sources,
    resolve_identity,
    run_rules,
    write_back,
    write_report,
    add_users,
]


def next_commands(run: DemoRun) -> list[str]:
    config = f"hub --config {run.config_path}"
    manager = "zhou.jie@mingyuan.example"  # 周杰: in Fxiaoke only
    return [
        f"{config} rejects",
        f"{config} actions list",
        f"{config} report scorecard --period {PERIOD}",
        f"{config} report statement --period {PERIOD} --manager {manager}",
        f"{config} serve   (the dashboard; log in as admin / demo-admin)",
        f"hub demo {run.target} --serve   (keeps the fakes up for `{config} sync`)",
    ]


def run_demo(
    target: Path,
    *,
    serve: bool,
    force: bool,
    fixed_ports: bool = True,
    stop: threading.Event | None = None,
) -> DemoRun:
    """Every step; with `serve`, keep the fakes running until interrupted (or `stop` is set)."""
    check_target(target, force)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot create the folder ({exc.strerror})") from None
    run = DemoRun(target=target, fixed_ports=fixed_ports)
    dashboard = None
    started = dt.datetime.now(dt.UTC)
    try:
        for step in STEPS:
            step(run)
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        for line in run.lines:
            click.echo(line)
        click.echo(f"done in {seconds:.1f} s; next, try:")
        for command in next_commands(run):
            click.echo(f"  {command}")
        if serve and run.running is not None:
            dashboard = _start_dashboard(run)
            click.echo(
                "serving the fakes"
                + (f" and the dashboard at {dashboard.url}/" if dashboard else "")
                + "; Ctrl-C stops them"
            )
            stop = stop or threading.Event()
            try:
                while not stop.wait(1):
                    pass
            except KeyboardInterrupt:
                click.echo("stopped the fakes")  # Ctrl-C is how --serve ends: not an error
    finally:
        if dashboard is not None:
            dashboard.stop()
        if run.running is not None:
            run.running.stop()
    return run


def _start_dashboard(run: DemoRun) -> Any:
    """`hub serve` on the demo store in a background thread (None without the web extra)."""
    try:
        from hub.web import server
    except ImportError:
        return None
    return server.start(run.config, "127.0.0.1", 8000 if run.fixed_ports else 0)
