"""Rules and reports on unified managers: the demo company (HR CSV, fake
Fxiaoke, fake Zoho CRM) with 张伟 selling in both CRMs, on both stores."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.cli import run
from hub.demo import steps
from hub.demo.company import SHANGHAI, USD_RATE, Activity, Goal
from hub.identity.tables import identity_members
from hub.rules.tables import rule_findings, rule_measures, rule_runs
from hub.store.database import Store
from hub.store.tables import entity_tables

MONTH = "2026-08"
"""Fxiaoke keeps monthly goals."""
FX_ORDERS = [Decimal("12000.50"), Decimal("3000.25")]
ZOHO_ORDERS = [Decimal("1500"), Decimal("250.75")]


def _add_zhang_wei_sales(run_: steps.DemoRun) -> None:
    """P01 (张伟, in all three systems) sells in both CRMs in August, with a
    sales goal set in Fxiaoke only."""
    company = run_.company
    assert company is not None
    at = dt.datetime(2026, 8, 12, 10, 0, tzinfo=SHANGHAI)
    extra = []
    for system, amounts, currency in (("fxiaoke", FX_ORDERS, "CNY"), ("zoho", ZOHO_ORDERS, "USD")):
        customer = next(c for c in company.companies if system in c.systems)
        for i, amount in enumerate(amounts):
            extra.append(
                Activity(
                    f"ZW{system[0]}{i}",
                    system,
                    "order",
                    customer.key,
                    "P01",
                    at,
                    "订单",
                    amount,
                    currency,
                )
            )
    company.activities.extend(extra)
    company.goals.append(
        Goal("P01", "fxiaoke", MONTH, "sales_amount", Decimal("50000"), "CNY", Decimal("1"))
    )


@pytest.fixture
def demo(tmp_path: Path, store_url: str) -> Any:
    r = steps.DemoRun(target=tmp_path / "demo", fixed_ports=False)
    r.target.mkdir()
    try:
        steps.build_data(r)
        _add_zhang_wei_sales(r)
        steps.start_fakes(r)
        steps.write_files(r)
        assert r.config_path is not None
        text = r.config_path.read_text(encoding="utf-8")
        r.config_path.write_text(
            re.sub(r'(?m)^store = ".*"$', f'store = "{store_url}"', text), encoding="utf-8"
        )
        steps.sync_sources(r)
        steps.resolve_identity(r)
        yield r
    finally:
        if r.running is not None:
            r.running.stop()


def _zhang_wei(store: Store) -> tuple[str, dict[str, str]]:
    m, mm = entity_tables["managers"], identity_members
    with store.read() as conn:
        rows = conn.execute(
            select(m.c.id, m.c.source, mm.c.unified_id)
            .join(mm, (mm.c.hub_id == m.c.id) & (mm.c.entity == "managers"))
            .where(m.c.email.in_(["zhang.wei@mingyuan.example"]) | (m.c.employee_number == "E1001"))
        ).all()
    unified = {r.unified_id for r in rows}
    assert len(unified) == 1, rows
    return unified.pop(), {r.source: r.id for r in rows}


def test_one_manager_across_hr_zoho_and_fxiaoke_and_his_scorecard_sums_both_crms(
    demo, capsys
) -> None:
    config = str(demo.config_path)
    store = Store(demo.config.store_url())
    unified, records = _zhang_wei(store)
    assert set(records) == {"hr", "fxiaoke", "zoho"}
    assert "identity: " in " ".join(demo.lines) and "people" in " ".join(demo.lines)

    assert run(["--config", config, "rules", "run", "--period", MONTH]) == 0
    exact = sum(FX_ORDERS, Decimal(0)) + sum(ZOHO_ORDERS, Decimal(0)) * USD_RATE
    expected = exact.quantize(Decimal("0.01"), ROUND_HALF_UP)  # measures show cents
    with store.read() as conn:
        run_id = conn.execute(select(rule_runs.c.id).order_by(rule_runs.c.id.desc())).scalar()
        sales = (
            conn.execute(
                select(rule_measures).where(
                    rule_measures.c.run_id == run_id,
                    rule_measures.c.manager_id == unified,
                    rule_measures.c.metric == "sales_amount",
                )
            )
            .mappings()
            .all()
        )
    # the goal was set in Fxiaoke; it measures his Zoho sales too, exactly
    assert sales and {Decimal(str(s["actual"])) for s in sales} == {expected}

    capsys.readouterr()
    assert run(["--config", config, "report", "statement", "--period", MONTH,
                "--manager", "zhang.wei@mingyuan.example", "--format", "json"]) == 0  # fmt: skip
    statement = json.loads(capsys.readouterr().out)
    sources = statement["sources"]
    assert {r["connection"] for r in sources if r["record"] == "manager"} == {
        "hr",
        "fxiaoke",
        "zoho",
    }
    orders = [r for r in sources if r["record"] == "order"]
    assert {(r["connection"], Decimal(r["amount"]), r["currency"]) for r in orders} == {
        *(("fxiaoke", a, "CNY") for a in FX_ORDERS),
        *(("zoho", a, "USD") for a in ZOHO_ORDERS),
    }
    goals = statement["goals"]
    assert any(g["metric"] == "sales_amount" and Decimal(g["actual"]) == expected for g in goals)

    # per connection: the old view, the Fxiaoke record alone meets the Fxiaoke goal
    assert run(["--config", config, "rules", "run", "--period", MONTH, "--by-connection"]) == 0
    with store.read() as conn:
        run_id = conn.execute(select(rule_runs.c.id).order_by(rule_runs.c.id.desc())).scalar()
        actual = (
            conn.execute(
                select(rule_measures.c.actual).where(
                    rule_measures.c.run_id == run_id,
                    rule_measures.c.manager_id == records["fxiaoke"],
                    rule_measures.c.metric == "sales_amount",
                )
            )
            .scalars()
            .all()
        )
        assert {Decimal(str(a)) for a in actual} == {sum(FX_ORDERS, Decimal(0))}
        findings = (
            conn.execute(select(rule_findings.c.subject_id).where(rule_findings.c.run_id == run_id))
            .scalars()
            .all()
        )
    assert records["zoho"] in findings or records["fxiaoke"] in findings


def test_a_closed_period_is_not_changed_by_later_matching(demo, capsys) -> None:
    config = str(demo.config_path)
    base = ["--config", config]
    store = Store(demo.config.store_url())
    unified, records = _zhang_wei(store)
    assert run([*base, "rules", "run", "--period", MONTH]) == 0
    assert run([*base, "period", "close", MONTH, "--force"]) == 0
    # a person decides the Zoho record is someone else: matching changes
    assert run([*base, "identity", "unlink", f"zoho:managers:{_source_id(store, records['zoho'])}",
                f"hr:managers:{_source_id(store, records['hr'])}", "--by", "lead"]) == 0  # fmt: skip
    assert run([*base, "identity", "unlink", f"zoho:managers:{_source_id(store, records['zoho'])}",
                f"fxiaoke:managers:{_source_id(store, records['fxiaoke'])}", "--by", "lead"]) == 0  # fmt: skip
    with store.read() as conn:
        frozen = conn.execute(select(rule_runs).where(rule_runs.c.version == 1)).mappings().one()
        before = conn.execute(
            select(rule_measures.c.manager_id, rule_measures.c.metric, rule_measures.c.actual)
            .where(rule_measures.c.run_id == frozen["id"])
            .order_by(rule_measures.c.id)
        ).all()
    capsys.readouterr()
    assert run([*base, "rules", "run", "--period", MONTH, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 2
    with store.read() as conn:
        after = conn.execute(
            select(rule_measures.c.manager_id, rule_measures.c.metric, rule_measures.c.actual)
            .where(rule_measures.c.run_id == frozen["id"])
            .order_by(rule_measures.c.id)
        ).all()
        latest = (
            conn.execute(
                select(rule_measures.c.actual).where(
                    rule_measures.c.run_id == report["run_id"],
                    rule_measures.c.manager_id == unified,
                    rule_measures.c.metric == "sales_amount",
                )
            )
            .scalars()
            .all()
        )
    assert after == before  # version 1 stays as it was closed
    assert {Decimal(str(a)) for a in latest} == {sum(FX_ORDERS, Decimal(0))}  # Zoho sales left him


def _source_id(store: Store, hub_id: str) -> str:
    m = entity_tables["managers"]
    with store.read() as conn:
        return conn.execute(select(m.c.source_id).where(m.c.id == hub_id)).scalar_one()
