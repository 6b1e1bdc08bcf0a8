"""Work the engine runs after syncs, or on a schedule: the configured rules, identity."""

from __future__ import annotations

import datetime as dt

from hub.config import HubConfig
from hub.periods import period_of
from hub.plugins import Registry
from hub.rules.engine import RuleEngine
from hub.store.database import Store


def run_rules(config: HubConfig, registry: Registry, store: Store, kind: str = "quarter") -> str:
    """Evaluate every configured rule for the `kind` period containing today (company
    time zone), as `hub rules run --period ...` does; returns the period's label."""
    today = dt.datetime.now(config.zone).date()
    period = period_of(today, kind)
    RuleEngine(config, registry, store).run(period, None)
    return period.label
