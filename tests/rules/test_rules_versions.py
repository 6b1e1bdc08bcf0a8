"""Versions, closes and corrections: nothing closed ever changes; failures store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from hub import hookimpl
from hub.errors import ConfigError, ExitCode
from hub.rules import Finding, Kind, RuleSpec, Stage, Status
from hub.rules.errors import CloseRefused, RuleFailed
from hub.rules.tables import RESULT_TABLES, rule_closes, rule_payables, rule_runs
from hub.rules.testing import RuleTestbed, customer, manager, order

FLAT = [{"rate": "0.03"}]


def everything(bed: RuleTestbed) -> dict[str, list[dict]]:
    """Every stored result row, by table."""
    out = {}
    with bed.store.read() as conn:
        for name, table in {**RESULT_TABLES, "payables": rule_payables}.items():
            out[name] = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
    return out


def setup(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), customer("C1", "M1", tier="A"))
    bed.add(order("O1", "C1", "M1", "100000", "2026-08-01 10:00"))
    bed.configure({"commission": {"semantics": "marginal", "tiers": FLAT}, "contact_sla": {}})


def test_closed_results_never_change_and_a_rerun_writes_a_correction(bed: RuleTestbed) -> None:
    setup(bed)
    first = bed.run("2026-Q3")
    assert (first.version, first.frozen_version, first.corrections) == (1, None, [])
    closed = bed.close("2026-Q3")
    assert (closed["closed"], closed["version"], closed["kind"]) == (True, 1, "close")
    before = everything(bed)

    # the source changes after the close: a late order for Q3
    bed.add(order("O2", "C1", "M1", "50000", "2026-09-20 10:00"))
    second = bed.run("2026-Q3")
    assert (second.version, second.frozen_version) == (2, 1)
    after = everything(bed)
    for table, rows in before.items():
        assert after[table][: len(rows)] == rows, f"{table}: a closed row changed"

    correction = bed.payables("commission", version=2)[0]
    assert correction["correction"] is True
    assert correction["corrects_run_id"] == first.run_id
    assert (correction["earned_to_date"], correction["paid_to_date"], correction["payable"]) == (
        D("4500.00"),
        D("3000.00"),
        D("1500.00"),
    )
    assert second.corrections[0]["payable"] == "1500.0000"
    assert "is closed (frozen at version 1)" in second.notes[0]
    # reports still show the closed version unless asked
    assert bed.payables("commission")[0]["payable"] == D("3000.00")

    # closing again freezes the correction (an adjustment close); a third run owes nothing
    again = bed.close("2026-Q3")
    assert (again["kind"], again["sequence"], again["version"]) == ("adjustment close", 2, 2)
    third = bed.run("2026-Q3")
    assert third.corrections == []
    line = bed.payables("commission", version=3)[0]
    assert (line["paid_to_date"], line["payable"], line["correction"]) == (
        D("4500.00"),
        D("0.00"),
        False,
    )


def test_closing_twice_without_a_new_version_changes_nothing(bed: RuleTestbed) -> None:
    setup(bed)
    bed.run("2026-Q3")
    bed.close("2026-Q3")
    again = bed.close("2026-Q3")
    assert again["closed"] is False
    assert "already closed at version 1" in again["message"]
    with bed.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(rule_closes)).scalar_one() == 1


def test_closing_needs_results_and_refuses_unevaluated_pay(bed: RuleTestbed) -> None:
    setup(bed)
    with pytest.raises(ConfigError, match=r"no results for 2026-Q3: run `hub rules run"):
        bed.close("2026-Q3")
    bed.add(order("O2", "C1", "M1", "100", "2026-08-02 10:00", currency="EUR"))
    bed.run("2026-Q3")
    with pytest.raises(CloseRefused, match=r"1 payable\(s\) could not be evaluated") as refused:
        bed.close("2026-Q3")
    assert refused.value.exit_code == ExitCode.FAILED
    forced = bed.close("2026-Q3", force=True)
    assert forced["closed"] and forced["not_evaluated"] == 1


def test_as_of_cuts_the_period_and_must_be_inside_it(bed: RuleTestbed) -> None:
    setup(bed)
    bed.add(order("O2", "C1", "M1", "50000", "2026-08-20 10:00"))
    report = bed.run("2026-Q3", as_of="2026-08-15 00:00")
    assert report.evaluated_at.isoformat() == "2026-08-14T16:00:00+00:00"
    assert bed.earnings("commission")[0]["base"] == D("100000")
    with pytest.raises(ConfigError, match="is before 2026-Q4 begins"):
        bed.run("2026-Q4", as_of="2026-09-01 00:00")


class Exploding:
    """A plugin whose rule yields a finding and then crashes."""

    @hookimpl
    def hub_register_rules(self) -> Iterator[RuleSpec]:
        def evaluate(ctx, params):  # type: ignore[no-untyped-def]
            yield Finding("customer", "x", Status.passed, "fine so far")
            raise ZeroDivisionError(f"bad data near 13812345678 at {ctx.period}")

        yield RuleSpec(
            id="exploding",
            version="1",
            kind=Kind.compliance,
            stage=Stage.compliance,
            evaluate=evaluate,
        )


def test_a_rule_that_crashes_mid_run_stores_nothing(bed: RuleTestbed) -> None:
    setup(bed)
    bed.run("2026-Q3")
    before = everything(bed)
    bed.registry.register(Exploding(), name="exploding")
    bed.configure(
        {
            "commission": {"semantics": "marginal", "tiers": FLAT},
            "contact_sla": {},
            "zz_boom": {"rule": "exploding"},
        }
    )
    with pytest.raises(RuleFailed) as failed:
        bed.run("2026-Q3")
    message = str(failed.value)
    assert message.startswith("rule 'zz_boom' (exploding 1) failed: ZeroDivisionError: bad data")
    assert "13812345678" not in message and "138****5678" in message
    assert message.endswith("nothing was stored")
    assert failed.value.exit_code == ExitCode.FAILED
    assert everything(bed) == before
    with bed.store.read() as conn:
        assert conn.execute(select(func.max(rule_runs.c.version))).scalar_one() == 1


def test_two_runs_at_once_queue_and_get_their_own_versions(bed: RuleTestbed) -> None:
    import threading

    setup(bed)
    versions: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            versions.append(bed.run("2026-Q3").version)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(versions) == [1, 2, 3]
    for version in (1, 2, 3):
        assert bed.earnings("commission", version=version)[0]["amount"] == D("3000.00")


def test_a_close_racing_a_run_never_pays_twice(bed: RuleTestbed) -> None:
    import threading

    setup(bed)
    bed.run("2026-Q3")
    threads = [
        threading.Thread(target=lambda: bed.close("2026-Q3")),
        threading.Thread(target=lambda: bed.run("2026-Q3")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bed.close("2026-Q3")  # freeze whatever is newest
    with bed.store.read() as conn:
        paid = conn.execute(
            select(func.sum(rule_payables.c.payable)).join(
                rule_closes, rule_closes.c.run_id == rule_payables.c.run_id
            )
        ).scalar_one()
    assert paid == D("3000.00")


def test_a_close_refuses_payables_computed_before_another_close_changed_what_was_paid(
    bed: RuleTestbed,
) -> None:
    """July and August pay against one quarterly plan: a run of August made
    before July's correction was closed must not be frozen as it is."""
    bed.add(manager("M1"), customer("C1", "M1", tier="A"))
    bed.add(order("O1", "C1", "M1", "100000", "2026-07-10 10:00"))
    bed.configure(
        {"commission": {"semantics": "marginal", "tiers": FLAT, "plan_period": "quarter"}}
    )
    bed.run("2026-07")
    bed.close("2026-07")  # pays 3,000
    bed.add(order("O2", "C1", "M1", "100000", "2026-07-20 10:00"))  # a late July order
    bed.run("2026-08")  # quarter to date 6,000, paid 3,000: payable 3,000
    bed.run("2026-07")  # July again: a correction of 3,000
    bed.close("2026-07")  # ... which is paid now
    with pytest.raises(CloseRefused, match=r"2026-08 version 1 was computed before another close"):
        bed.close("2026-08")  # would pay the same 3,000 again
    bed.run("2026-08")
    closed = bed.close("2026-08")
    assert closed["closed"] is True
    with bed.store.read() as conn:
        paid = conn.execute(
            select(func.sum(rule_payables.c.payable))
            .join(rule_closes, rule_closes.c.run_id == rule_payables.c.run_id)
            .where(rule_payables.c.rule == "commission")
        ).scalar_one()
    assert paid == D("6000.00")  # earned for the quarter, paid once
