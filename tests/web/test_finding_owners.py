"""A finding belongs to the manager who owned its subject when the rules ran
(hub.rules.finding_owners): a lead's and a manager's findings follow that,
not the customers' current owners, until the next run; the per-manager counts
say what counting the findings says; runs stored before the column are
backfilled by the migration from the current owners."""

from __future__ import annotations

from collections import Counter

from alembic import command
from sqlalchemy import func, select

from hub.rules import finding_owners
from hub.rules.tables import rule_finding_manager_counts, rule_findings
from hub.rules.testing import RuleTestbed, activity, customer, order
from hub.store.database import Store, _alembic_config
from hub.store.tables import entity_tables

from .conftest import Company, demo_rules

STATUSES = ("violation", "warning", "not_evaluated", "pass")


def subjects(client, period: str = "2026-Q3") -> set[str]:
    """Subject refs of every finding the viewer's findings API lists, all statuses."""
    out: set[str] = set()
    for status in STATUSES:
        page = client.get(f"/api/findings?period={period}&status={status}").json()
        assert not page["limited"]
        out |= {r["subject"] for r in page["rows"]}
    return out


def about(refs: set[str], source_id: str) -> set[str]:
    return {r for r in refs if r.rsplit(":", 1)[-1] == source_id}


def test_a_finding_stays_with_the_owner_at_the_run(company: Company) -> None:
    bed = RuleTestbed(company.root)
    bed.configure(demo_rules())
    lee, mia, max_ = company.client("lee"), company.client("mia"), company.client("max")
    c11 = about(subjects(lee), "C11")  # C11 is M1's (north, mia)
    assert c11 and c11 <= subjects(mia) and not about(subjects(max_), "C11")
    summary_before = lee.get("/api/findings?period=2026-Q3").json()["summary"]

    bed.add(customer("C11", owner="M3", tier="B", name="客户C11有限公司", kind="company"))
    # the stored run still says M1 owned C11: nothing moves before the next run
    assert about(subjects(lee), "C11") == c11
    assert about(subjects(mia), "C11") == c11
    assert not about(subjects(max_), "C11")
    assert lee.get("/api/findings?period=2026-Q3").json()["summary"] == summary_before
    assert "C11" in lee.get("/findings?period=2026-Q3&status=pass").text

    bed.run("2026-Q3", "2026-09-30 23:00")  # version 2: C11 is M3's (south, max) now
    assert not about(subjects(lee), "C11") and not about(subjects(mia), "C11")
    assert about(subjects(max_), "C11")


def test_findings_are_written_with_the_run_owner(company: Company) -> None:
    """Customer findings carry the owner, manager findings the manager, an
    activity its manager or else its customer's owner; the per-manager counts
    equal counting the findings by manager."""
    bed = RuleTestbed(company.root)
    bed.configure(demo_rules())
    bed.add(
        activity("X1", "complaint", "C21", None, "2026-09-01 10:00", subject="投诉"),
        order("X2", "C22", None, 1000, "2026-09-02 10:00"),
    )
    bed.run("2026-Q3", "2026-09-30 23:00")
    run_id = bed.run_id("2026-Q3", 2)
    m2 = company.manager_id("M2")
    f = rule_findings
    with bed.store.read() as conn:
        rows = conn.execute(
            select(f.c.subject_type, f.c.subject_ref, f.c.manager_id).where(f.c.run_id == run_id)
        ).all()
        counts = Counter(
            {
                (m, r, s, v): n
                for m, r, s, v, n in conn.execute(
                    select(f.c.manager_id, f.c.rule, f.c.status, f.c.severity, func.count())
                    .where(f.c.run_id == run_id, f.c.manager_id.is_not(None))
                    .group_by(f.c.manager_id, f.c.rule, f.c.status, f.c.severity)
                )
            }
        )
        c = rule_finding_manager_counts
        kept = Counter(
            {
                (m, r, s, v): n
                for m, r, s, v, n in conn.execute(
                    select(c.c.manager_id, c.c.rule, c.c.status, c.c.severity, c.c.findings).where(
                        c.c.run_id == run_id
                    )
                )
            }
        )
    assert counts and kept == counts
    by_ref = {(t, ref.rsplit(":", 1)[-1]): m for t, ref, m in rows}
    assert by_ref[("customer", "C21")] == m2 and by_ref[("manager", "M2")] == m2
    assert all(m is not None for (t, _), m in by_ref.items() if t in ("customer", "manager"))
    a = entity_tables["activities"]
    with bed.store.read() as conn:
        ids = dict(
            conn.execute(select(a.c.source_id, a.c.id).where(a.c.source_id.in_(["X1", "X2"]))).all()
        )
        owners = finding_owners.resolve(
            conn, [("activity", ids["X1"]), ("activity", ids["X2"]), ("activity", "nobody")]
        )
        mine = finding_owners.resolve(conn, [("activity", bed_activity(conn, "O1"))])
    # no manager on the activity: its customer's owner; an unknown subject: nobody
    assert owners == {
        ("activity", ids["X1"]): m2,
        ("activity", ids["X2"]): m2,
    }  # an unknown subject is nobody's: not in the map
    assert list(mine.values()) == [company.manager_id("M1")]


def bed_activity(conn, source_id: str) -> str:
    a = entity_tables["activities"]
    return conn.execute(select(a.c.id).where(a.c.source_id == source_id)).scalar_one()


def test_the_migration_backfills_runs_stored_before_it(company: Company) -> None:
    store = Store(company.config.store_url())
    lee = company.client("lee")
    before = {p: lee.get(f"/api/findings?period={p}").json() for p in ("2026-Q2", "2026-Q3")}
    cfg = _alembic_config()
    with store.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")  # the revision before the column
    store.upgrade()
    with store.read() as conn:
        f = rule_findings
        unowned = conn.execute(
            select(func.count()).where(
                f.c.manager_id.is_(None), f.c.subject_type.in_(["customer", "manager"])
            )
        ).scalar()
    assert unowned == 0
    after = {p: lee.get(f"/api/findings?period={p}").json() for p in before}
    for p in before:
        assert after[p]["rows"] == before[p]["rows"] and before[p]["rows"]
        assert after[p]["summary"] == before[p]["summary"]
