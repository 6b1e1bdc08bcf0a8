"""A run's findings counted when the run is written (hub.rules.finding_counts):
the dashboard's per-rule summary of a whole run reads them, so they must say
exactly what counting the findings says, for every run: after a re-run, for
the frozen version of a closed period, narrowed by rule and severity, and for
runs stored before the counts existed (the migration counts those)."""

from __future__ import annotations

from collections import Counter

from alembic import command
from sqlalchemy import func, select

from hub.rules import finding_counts
from hub.rules.tables import rule_findings, rule_runs
from hub.rules.testing import RuleTestbed, activity
from hub.store.database import Store, _alembic_config

from .conftest import Company, demo_rules


def counted(store: Store, run_id: int, **narrow: list[str]) -> dict[str, Counter[str]]:
    """The summary by counting the findings themselves."""
    f = rule_findings
    where = [f.c.run_id == run_id]
    if narrow.get("rules"):
        where.append(f.c.rule.in_(narrow["rules"]))
    if narrow.get("severities"):
        where.append(f.c.severity.in_(narrow["severities"]))
    out: dict[str, Counter[str]] = {}
    with store.read() as conn:
        for rule, status, n in conn.execute(
            select(f.c.rule, f.c.status, func.count()).where(*where).group_by(f.c.rule, f.c.status)
        ):
            out.setdefault(rule, Counter())[status] = n
    return out


def stored(store: Store, run_id: int, **narrow: list[str]) -> dict[str, Counter[str]]:
    with store.read() as conn:
        return finding_counts.per_rule(conn, run_id, **narrow)


def summary_of(page: dict) -> dict[str, Counter[str]]:
    return {
        r["rule"]: Counter({k: v for k, v in r.items() if k != "rule" and v})
        for r in page["summary"]
    }


def run_ids(store: Store) -> list[int]:
    with store.read() as conn:
        return list(conn.execute(select(rule_runs.c.id).order_by(rule_runs.c.id)).scalars())


def test_counts_match_the_findings_after_a_rerun_and_a_close(company: Company) -> None:
    bed = RuleTestbed(company.root)
    bed.configure(demo_rules())
    store = bed.store
    admin = company.client("ada")
    first = bed.run_id("2026-Q3")
    before = stored(store, first)
    assert before == counted(store, first) and sum(sum(c.values()) for c in before.values())
    assert summary_of(admin.get("/api/findings?period=2026-Q3").json()) == before

    bed.close("2026-Q3")  # version 1 is frozen: the pages keep showing it
    visits = [
        activity(f"V{c}", "visit", f"C3{c}", "M3", "2026-09-20 10:00", subject="拜访")
        for c in range(1, 7)
    ]
    bed.add(*visits)
    bed.run("2026-Q3", "2026-09-30 23:00")
    second = bed.run_id("2026-Q3", 2)
    assert stored(store, second) == counted(store, second) != before
    assert stored(store, first) == before  # the frozen version's counts are its own
    page = admin.get("/api/findings?period=2026-Q3").json()
    assert page["meta"]["version"] == 1 and summary_of(page) == before

    rule = sorted(before)[0]
    for severity in ("low", "medium", "info"):
        narrow = {"rules": [rule], "severities": [severity]}
        assert stored(store, second, **narrow) == counted(store, second, **narrow)
        page = admin.get(f"/api/findings?period=2026-Q3&rule={rule}&severity={severity}").json()
        assert summary_of(page) == counted(store, first, **narrow)


def test_the_migration_counts_runs_stored_before_it(company: Company) -> None:
    store = Store(company.config.store_url())
    ids = run_ids(store)
    expected = {i: counted(store, i) for i in ids}
    cfg = _alembic_config()
    with store.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")  # the revision before the counts
    store.upgrade()
    assert {i: stored(store, i) for i in ids} == expected
    assert all(expected.values())
