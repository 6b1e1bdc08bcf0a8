"""How many calls a tenant counted tighter than documented refuses (30004), run after run.

    .venv/bin/python bench/fxiaoke_pacing.py [--tenant-calls 40] [--runs 2] [--sequential]

A fake tenant (in process, on a virtual clock: no real waiting) allows
`--tenant-calls` per 20 s instead of the documented 100, while the
connection keeps the default `calls_per_20s = 100`. Each run is a complete
`hub sync --full-refresh` in a fresh "process" a minute after the last one
(new rate-limit windows; only `.hub/` carries over, as between two scheduled
runs). Printed per run: what the pacing logged it started at and settled on, calls
the tenant refused with 30004, calls answered, the share refused and the
virtual time the run took. Runs on any commit of the adapter (the figures of
issue 16.9 compare main before and after the adaptive pacing).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from hub_fxiaoke import clock as clocks
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.testing import HOST, mount

from hub.testing import Project

SIZES = DemoSizes(
    accounts=3000, follow_ups=3000, visits=1500, orders=1500, payments=1500, managers=20
)


def fresh_process() -> None:
    """New rate-limit windows, as in a new process (no-op before they were shared)."""
    try:
        from hub_fxiaoke import ratelimit

        ratelimit.process_windows = ratelimit.Windows()
    except AttributeError:
        pass


class Pace(logging.Handler):
    """Prints what the pacing says about its limit (and nothing else)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "settled on" in message or "starting at" in message:
            print(f"  log: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant-calls", type=int, default=40)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sequential", action="store_true")
    args = parser.parse_args()

    logging.getLogger("hub").addHandler(Pace())
    logging.getLogger("hub").setLevel(logging.INFO)
    logging.getLogger("hub").propagate = False
    clock = VirtualClock()
    clocks.default = clock
    tenant = populate(FakeFxiaoke(clock=clock), SIZES)
    tenant.calls_per_20s = args.tenant_calls
    settings = {**tenant.settings(HOST), "concurrent_streams": not args.sequential}
    with tempfile.TemporaryDirectory() as tmp, mount(tenant):
        project = Project(Path(tmp))
        project.configure({"fx": {"adapter": "fxiaoke", **settings}})
        print(f"tenant: {args.tenant_calls} calls / 20 s; configured: 100 / 20 s")
        for number in range(1, args.runs + 1):
            fresh_process()
            clock.advance(60)
            before = dict(tenant.counters.answered)
            start = clock.time()
            report = project.sync(full_refresh=True)
            refused = tenant.counters.answered.get(30004, 0) - before.get(30004, 0)
            answered = tenant.counters.answered.get(0, 0) - before.get(0, 0)
            share = refused / (refused + answered) if refused + answered else 0.0
            print(
                f"run {number}: exit {int(report.exit_code)}, 30004 × {refused}, "
                f"answered {answered}, refused {share:.0%}, "
                f"{clock.time() - start:.0f} s (virtual)"
            )


if __name__ == "__main__":
    main()
