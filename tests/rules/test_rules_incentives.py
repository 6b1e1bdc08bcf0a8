"""Incentive components end to end, from records in a real store to stored
earnings, checked to the cent against hand-computed numbers."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hub.errors import ConfigError
from hub.rules.testing import RuleTestbed, activity, customer, goal, manager, order

TIERS = [
    {"upto": "300000", "rate": "0.03"},
    {"upto": "500000", "rate": "0.05"},
    {"rate": "0.07"},
]


def sales_team(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1", team="domestic"),
        manager("M2", team="domestic"),
        customer("C1", owner="M1"),
        customer("C2", owner="M1"),
        customer("C9", owner="M2"),
    )


def amounts(rows: list[dict]) -> dict[str, D]:
    return {r["manager"]: r["amount"] for r in rows}


def test_commission_worked_example_marginal_and_retroactive(bed: RuleTestbed) -> None:
    """Tiers 3% to 300k, 5% to 500k, 7% above; 600k of sales (71,000 of it from a USD
    order at 7.10) → marginal 26,000.00, retroactive 42,000.00."""
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "329000", "2026-07-03 10:00"),
        order("O2", "C2", "M1", "200000", "2026-08-15 16:00"),
        order("O3", "C2", "M1", "10000", "2026-09-01 09:00", currency="USD"),
        order("O4", "C9", "M2", "100000", "2026-09-02 09:00"),
    )
    bed.configure(
        {
            "marginal": {"rule": "commission", "semantics": "marginal", "tiers": TIERS},
            "retroactive": {"rule": "commission", "semantics": "retroactive", "tiers": TIERS},
        }
    )
    bed.run("2026-Q3")
    marginal = {r["manager"]: r for r in bed.earnings("marginal")}
    assert marginal["M1"]["base"] == D("600000.00")
    assert marginal["M1"]["amount"] == D("26000.00")
    assert marginal["M2"]["amount"] == D("3000.00")
    assert amounts(bed.earnings("retroactive"))["M1"] == D("42000.00")
    steps = {s["step"]: s for s in marginal["M1"]["trace"]}
    assert steps["total in USD, converted"]["note"] == "10000 USD × 7.1 = 71000 CNY"
    assert steps["tier 2 (300,000 to 500,000): slice × rate"]["value"] == "10000"
    payable = {p["manager"]: p for p in bed.payables("marginal")}["M1"]
    assert (payable["earned_to_date"], payable["paid_to_date"], payable["payable"]) == (
        D("26000.00"),
        D("0"),
        D("26000.00"),
    )


def test_an_order_at_2330_on_30_september_in_shanghai_counts_in_q3(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("LATE", "C1", "M1", "88000", "2026-09-30 23:30"),  # 15:30 UTC on the 30th
        order("NEXT", "C1", "M1", "1000", "2026-10-01 00:00"),  # 16:00 UTC on the 30th
        goal("M1", "sales_amount", "2026-Q3", "100000", unit="CNY"),
        goal("M1", "sales_amount", "2026-Q4", "100000", unit="CNY"),
    )
    bed.configure({"measures": {}})
    bed.run("2026-Q3")
    bed.run("2026-Q4", as_of="2026-10-02 00:00")
    q3 = bed.measures("measures", period="2026-Q3")[0]
    q4 = bed.measures("measures", period="2026-Q4")[0]
    assert (q3["actual"], q3["attainment"]) == (D("88000"), D("0.88"))
    assert q4["actual"] == D("1000")


def test_component_cap_and_total_cap(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(order("O1", "C1", "M1", "600000", "2026-08-01 10:00"))
    bed.configure(
        {
            "commission": {"semantics": "marginal", "tiers": TIERS, "cap": "20000"},
            "flat": {"rule": "commission", "semantics": "marginal", "tiers": [{"rate": "0.01"}]},
            "total_cap": {"cap": "25000"},
        }
    )
    bed.run("2026-Q3")
    line = bed.earnings("commission")[0]
    assert line["amount"] == D("20000.00")  # 26,000 capped at 20,000
    assert any(s["step"] == "cap" and "capped" in s["note"] for s in line["trace"])
    assert bed.earnings("flat")[0]["amount"] == D("6000.00")
    cap = bed.earnings("total_cap")[0]
    assert cap["amount"] == D("-1000.00")  # 20,000 + 6,000 held to 25,000
    total = sum(p["payable"] for p in bed.payables() if p["manager"] == "M1")
    assert total == D("25000.00")


def test_gate_closes_below_minimum_attainment(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "300000", "2026-08-01 10:00"),
        order("O2", "C9", "M2", "300000", "2026-08-01 10:00"),
        goal("M1", "sales_amount", "2026-Q3", "1000000", unit="CNY"),  # 30%
        goal("M2", "sales_amount", "2026-Q3", "500000", unit="CNY"),  # 60%
    )
    bed.configure(
        {
            "measures": {},
            "commission": {
                "semantics": "marginal",
                "tiers": TIERS,
                "gate": {"metric": "sales_amount", "min_attainment": "0.5"},
            },
        }
    )
    bed.run("2026-Q3")
    lines = {r["manager"]: r for r in bed.earnings("commission")}
    assert lines["M1"]["amount"] == D("0.00")
    assert lines["M1"]["tier"] == "gate closed"
    assert any("30.00% < 50.00%" in s.get("note", "") for s in lines["M1"]["trace"])
    assert lines["M2"]["amount"] == D("9000.00")


def test_gate_without_a_goal_is_not_evaluated(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(order("O1", "C1", "M1", "300000", "2026-08-01 10:00"))
    bed.configure(
        {
            "measures": {},
            "commission": {
                "semantics": "marginal",
                "tiers": TIERS,
                "gate": {"metric": "sales_amount", "min_attainment": "0.5"},
            },
        }
    )
    bed.run("2026-Q3")
    line = bed.earnings("commission")[0]
    assert (line["status"], line["amount"]) == ("not_evaluated", None)
    assert line["cause"] == "gate: no sales_amount goal for 2026-Q3"
    assert bed.payables("commission")[0]["status"] == "not_evaluated"


def test_accelerator_and_decelerator_bands(bed: RuleTestbed) -> None:
    """Target incentive 100k: 130% attainment → 145,000.00; 40% → 20,000.00."""
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "650000", "2026-08-01 10:00"),
        order("O2", "C9", "M2", "200000", "2026-08-01 10:00"),
        goal("M1", "sales_amount", "2026-Q3", "500000", unit="CNY"),
        goal("M2", "sales_amount", "2026-Q3", "500000", unit="CNY"),
    )
    bed.configure(
        {
            "measures": {},
            "target_incentive": {
                "target_incentive": "100000",
                "semantics": "marginal",
                "bands": [
                    {"upto": "0.5", "multiplier": "0.5"},
                    {"upto": "1.0", "multiplier": "1.0"},
                    {"upto": "1.3", "multiplier": "1.5"},
                    {"multiplier": "2.0"},
                ],
            },
        }
    )
    bed.run("2026-Q3")
    lines = {r["manager"]: r for r in bed.earnings("target_incentive")}
    # M1: 0.5 × 0.5 + 0.5 × 1.0 + 0.3 × 1.5 = 1.2 → 120,000 with the decelerator band below 50%
    assert lines["M1"]["attainment"] == D("1.3")
    assert lines["M1"]["amount"] == D("120000.00")
    assert lines["M2"]["amount"] == D("20000.00")  # 0.4 × 0.5


def test_accelerator_worked_example_without_a_decelerator(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "650000", "2026-08-01 10:00"),
        goal("M1", "sales_amount", "2026-Q3", "500000", unit="CNY"),
    )
    bed.configure(
        {
            "measures": {},
            "target_incentive": {
                "target_incentive": "100000",
                "semantics": "marginal",
                "bands": [
                    {"upto": "1.0", "multiplier": "1.0"},
                    {"upto": "1.3", "multiplier": "1.5"},
                    {"multiplier": "2.0"},
                ],
            },
        }
    )
    bed.run("2026-Q3")
    assert bed.earnings("target_incentive")[0]["amount"] == D("145000.00")


def scorecard_data(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        customer("C3", owner="M1"),
        order("O1", "C1", "M1", "300000", "2026-07-10 10:00"),
        order("O2", "C2", "M1", "300000", "2026-08-10 10:00"),
        order("OLD", "C3", "M1", "1000", "2026-05-10 10:00"),  # C3 is not new in Q3
        order("O3", "C3", "M1", "0.01", "2026-09-10 10:00"),
        activity("F1", "feedback", "C1", "M1", "2026-07-20 10:00", score=D("4.5")),
        activity("F2", "feedback", "C2", "M1", "2026-08-20 10:00", score=D("5")),
        *[activity(f"K{i}", "call", "C1", "M1", f"2026-07-{i + 1:02d} 10:00") for i in range(20)],
        goal("M1", "sales_amount", "2026-Q3", "500000", unit="CNY", weight=D("0.4")),
        goal("M1", "new_customers", "2026-Q3", "4", weight=D("0.2")),
        goal("M1", "satisfaction", "2026-Q3", "4", weight=D("0.2")),
        goal("M1", "contact_count", "2026-Q3", "10", weight=D("0.2")),
        goal("M2", "sales_amount", "2026-Q3", "500000", unit="CNY", weight=D("0.5")),
        goal("M2", "satisfaction", "2026-Q3", "4", weight=D("0.5")),
    )


def test_weighted_scorecard_and_bonus_on_its_curve(bed: RuleTestbed) -> None:
    """sales 600,000.01/500k = 1.2 (4dp), new customers 2/4 = 0.5, satisfaction 4.75/4 =
    1.1875, contacts 20/10 = 2.0 capped at 1.5: score = 0.4×1.2 + 0.2×0.5 + 0.2×1.1875 +
    0.2×1.5 = 1.1175. Bonus 20,000 × (1 + 0.8 × 0.1175/0.5) = 20,000 × 1.188 = 23,760.00."""
    scorecard_data(bed)
    bed.configure(
        {
            "scorecard": {"per_kpi_cap": "1.5"},
            "scorecard_bonus": {
                "target_bonus": "20000",
                "min_score": "0.6",
                "curve": [
                    {"score": "0.6", "factor": "0.5"},
                    {"score": "1.0", "factor": "1.0"},
                    {"score": "1.5", "factor": "1.8"},
                ],
            },
        }
    )
    bed.run("2026-Q3")
    cards = {m["manager"]: m for m in bed.measures("scorecard")}
    assert cards["M1"]["attainment"] == D("1.1175")
    notes = [s["note"] for s in cards["M1"]["trace"] if s["step"] == "KPI contact_count"]
    assert "capped at 150.00%" in notes[0]
    # M2 has no feedback: the scorecard is not evaluated, not re-weighted to sales alone
    assert cards["M2"]["status"] == "not_evaluated"
    assert cards["M2"]["cause"] == "satisfaction: no feedback scores in the period"
    bonus = {e["manager"]: e for e in bed.earnings("scorecard_bonus")}
    assert bonus["M1"]["amount"] == D("23760.00")
    assert bonus["M2"]["status"] == "not_evaluated"


def test_scorecard_clamps_and_lower_is_better_kpis(bed: RuleTestbed) -> None:
    scorecard_data(bed)
    bed.add(
        activity("X1", "complaint", "C1", "M1", "2026-08-01 10:00"),
        goal("M1", "complaint_count", "2026-Q3", "4", weight=D("0.5")),
    )
    bed.configure(
        {
            "scorecard": {
                "kpis": {
                    "sales_amount": {"weight": "0.5"},
                    "complaint_count": {"cap": "2"},  # lower is better: 2 − 1/4 = 1.75
                }
            },
            "scorecard_bonus": {
                "target_bonus": "10000",
                "curve": [{"score": "0", "factor": "0"}, {"score": "2", "factor": "2"}],
                "cap": "12000",
                "min_payout": "1000",
            },
        }
    )
    bed.run("2026-Q3")
    card = next(m for m in bed.measures("scorecard") if m["manager"] == "M1")
    # (0.5 × 1.2 + 0.5 × 1.75) ÷ 1.0 = 1.475
    assert card["attainment"] == D("1.475")
    bonus = next(e for e in bed.earnings("scorecard_bonus") if e["manager"] == "M1")
    assert bonus["amount"] == D("12000.00")  # 10,000 × 1.475 = 14,750 clamped to 12,000


def test_clawback_at_the_rate_originally_paid(bed: RuleTestbed) -> None:
    """Q2: 400,000 of sales, marginal 3% to 300k then 5% → 14,000 (rate 3.5%); Q2 is
    closed and paid. In Q3 a 100,000 order of Q2 is cancelled within 90 days and another
    is deleted in the CRM: both are clawed back at 3.5%; a cancellation after 90 days is not."""
    sales_team(bed)
    bed.add(
        order("A", "C1", "M1", "100000", "2026-06-10 10:00"),
        order("B", "C1", "M1", "200000", "2026-04-02 10:00"),
        order("C", "C2", "M1", "60000", "2026-05-20 10:00"),
        order("D", "C2", "M1", "40000", "2026-06-20 10:00"),
    )
    tiers = [{"upto": "300000", "rate": "0.03"}, {"rate": "0.05"}]
    bed.configure(
        {
            "commission": {"semantics": "marginal", "tiers": tiers},
            "clawback": {"window_days": 90},
        }
    )
    bed.run("2026-Q2")
    assert bed.earnings("commission", period="2026-Q2")[0]["amount"] == D("14000.00")
    bed.close("2026-Q2")
    bed.add(
        order("A", "C1", "M1", "100000", "2026-06-10 10:00", status="已取消",
              updated_at="2026-07-15 09:00"),
        order("B", "C1", "M1", "200000", "2026-04-02 10:00", status="refunded",
              updated_at="2026-07-20 09:00"),  # 109 days later: outside the window
    )  # fmt: skip
    bed.delete("activities", "D", at="2026-08-01 12:00")
    bed.run("2026-Q3")
    lines = {e["ref"]: e for e in bed.earnings("clawback")}
    assert lines["crm:A"]["amount"] == D("-3500.00")
    assert lines["crm:A"]["rate"] == "0.035"
    assert lines["crm:D"]["amount"] == D("-1400.00")
    assert lines["crm:B"]["amount"] == D("0.00")
    assert lines["crm:B"]["tier"] == "outside window"
    paid = next(s for s in lines["crm:A"]["trace"] if s["step"] == "rate originally paid")
    assert "in 2026-Q2 version 1 (closed)" in paid["note"]
    assert bed.payables("clawback")[0]["payable"] == D("-4900.00")
    # what was closed is untouched
    assert bed.earnings("commission", period="2026-Q2")[0]["amount"] == D("14000.00")


def test_monthly_runs_against_a_quarterly_table_true_up(bed: RuleTestbed) -> None:
    """July 250k → 7,500 paid when July closes. August brings Q3 to 400k → earned to date
    9,000 + 5,000 = 14,000; payable in August = 14,000 − 7,500 = 6,500."""
    sales_team(bed)
    bed.add(order("J", "C1", "M1", "250000", "2026-07-20 10:00"))
    bed.configure(
        {"commission": {"semantics": "marginal", "tiers": TIERS, "plan_period": "quarter"}}
    )
    bed.run("2026-07")
    july = bed.payables("commission", period="2026-07")[0]
    assert (july["plan_period"], july["payable"]) == ("2026-Q3", D("7500.00"))
    bed.close("2026-07")
    bed.add(order("A", "C2", "M1", "150000", "2026-08-05 10:00"))
    bed.run("2026-08")
    august = bed.payables("commission", period="2026-08")[0]
    assert august["earned_to_date"] == D("14000.00")
    assert august["paid_to_date"] == D("7500.00")
    assert august["payable"] == D("6500.00")


def test_a_plan_period_shorter_than_the_run_is_a_config_error(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.configure({"commission": {"semantics": "marginal", "tiers": TIERS, "plan_period": "month"}})
    with pytest.raises(ConfigError, match=r"rules.commission.plan_period: a month cannot contain"):
        bed.run("2026-Q3")


def test_missing_exchange_rate_is_not_evaluated_never_skipped(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "100000", "2026-08-01 10:00"),
        order("O2", "C1", "M1", "5000", "2026-08-02 10:00", currency="EUR"),
        order("O3", "C9", "M2", "100000", "2026-08-01 10:00"),
    )
    bed.configure({"commission": {"semantics": "marginal", "tiers": TIERS}})
    bed.run("2026-Q3")
    lines = {e["manager"]: e for e in bed.earnings("commission")}
    assert lines["M1"]["status"] == "not_evaluated"
    assert lines["M1"]["amount"] is None
    assert "no exchange rate for EUR" in lines["M1"]["cause"]
    assert lines["M2"]["amount"] == D("3000.00")


def test_an_order_without_an_amount_makes_sales_not_evaluated(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "100000", "2026-08-01 10:00"),
        activity("O2", "order", "C1", "M1", "2026-08-02 10:00"),
    )
    bed.configure({"commission": {"semantics": "marginal", "tiers": TIERS}})
    bed.run("2026-Q3")
    line = bed.earnings("commission")[0]
    assert line["status"] == "not_evaluated"
    assert line["cause"] == "1 orders without an amount (e.g. O2)"


def test_an_order_without_a_date_is_in_no_period_and_makes_sales_not_evaluated(
    bed: RuleTestbed,
) -> None:
    """A won deal whose closing date is missing is never booked at some invented date:
    attainment and earnings say why they are not evaluated, and required_fields names it."""
    sales_team(bed)
    bed.add(
        goal("M1", "sales_amount", "2026-Q3", "100000", unit="CNY"),
        goal("M2", "sales_amount", "2026-Q3", "100000", unit="CNY"),
        order("O1", "C1", "M1", "100000", "2026-08-01 10:00"),
        activity("O2", "order", "C1", "M1", None, amount=D("50000"), currency="CNY"),
        order("O3", "C9", "M2", "80000", "2026-08-01 10:00"),
    )
    bed.configure(
        {
            "commission": {"semantics": "marginal", "tiers": [{"rate": "0.1"}]},
            "measures": {},
            "required_fields": {"customers": [], "managers": []},
        }
    )
    bed.run("2026-Q3")
    cause = "1 orders without a date (e.g. O2): which period they belong to is unknown"
    lines = {r["manager"]: r for r in bed.earnings("commission")}
    assert lines["M1"]["status"] == "not_evaluated" and lines["M1"]["cause"] == cause
    assert lines["M2"]["amount"] == D("8000.00")  # others are not held up
    measured = {r["manager"]: r for r in bed.measures() if r["metric"] == "sales_amount"}
    assert measured["M1"]["status"] == "not_evaluated" and cause in measured["M1"]["cause"]
    assert bed.finding("required_fields", "O2")["status"] == "violation"
    assert bed.finding("required_fields", "O2")["message"] == "missing occurred_at"
    assert bed.finding("required_fields", "O1")["status"] == "pass"


def test_cancelled_and_deleted_orders_do_not_count(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "100000", "2026-08-01 10:00"),
        order("O2", "C1", "M1", "50000", "2026-08-02 10:00", status=" Cancelled "),
        order("O3", "C1", "M1", "70000", "2026-08-03 10:00"),
        order("O4", "C9", None, "10000", "2026-08-04 10:00"),  # credited to C9's owner M2
    )
    bed.delete("activities", "O3")
    bed.configure({"commission": {"semantics": "marginal", "tiers": [{"rate": "0.1"}]}})
    bed.run("2026-Q3")
    assert amounts(bed.earnings("commission")) == {"M1": D("10000.00"), "M2": D("1000.00")}


def test_awards_top_n_with_ties_and_satisfaction(bed: RuleTestbed) -> None:
    bed.add(*[manager(f"M{i}") for i in range(1, 5)], customer("C1", owner="M1"))
    targets = {"M1": "100", "M2": "100", "M3": "100", "M4": "100"}
    sales = {"M1": "150", "M2": "120", "M3": "120", "M4": "50"}
    bed.add(
        *[goal(m, "sales_amount", "2026-Q3", t, weight=D(1)) for m, t in targets.items()],
        *[order(f"O{m}", "C1", m, v, "2026-08-01 10:00") for m, v in sales.items()],
        *[
            activity(f"F{i}", "feedback", "C1", "M4", "2026-08-01 10:00", score=D(s))
            for i, s in enumerate(["5", "4.5", "5"])
        ],
        activity("G1", "feedback", "C1", "M1", "2026-08-01 10:00", score=D("5")),
    )
    bed.configure(
        {
            "scorecard": {},
            "awards": {
                "top": {"count": 2, "title": "季度之星", "value": "500"},
                "satisfaction": {"min_average": "4.8", "min_responses": 3},
            },
        }
    )
    bed.run("2026-Q3")
    awards = [(a["manager"], a["award"], a["rank"]) for a in bed.awards("awards")]
    # M2 and M3 tie for second place: both are recognised
    assert sorted(awards[:3]) == [
        ("M1", "top_scorecard", 1),
        ("M2", "top_scorecard", 2),
        ("M3", "top_scorecard", 2),
    ]
    # M4: 4.8333 on three responses; M1 has one response only
    assert awards[3:] == [("M4", "satisfaction", None)]
    assert bed.awards("awards")[0]["value"] == D("500.00")
    assert bed.payables() == []  # awards are not money owed


def test_team_goals_sum_the_team(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        manager("M3", team="export"),
        customer("C3", owner="M3"),
        order("O1", "C1", "M1", "100000", "2026-08-01 10:00"),
        order("O2", "C9", "M2", "50000", "2026-08-01 10:00"),
        order("O3", "C3", "M3", "70000", "2026-08-01 10:00"),
    )
    team_goal = goal("M1", "sales_amount", "2026-Q3", "300000", unit="CNY")
    team_goal = team_goal.model_copy(
        update={"manager_source_id": None, "team": "domestic", "source_id": "domestic|sales"}
    )
    bed.add(team_goal)
    bed.configure({"measures": {}})
    bed.run("2026-Q3")
    measured = bed.measures("measures")[0]
    assert (measured["team"], measured["manager_id"]) == ("domestic", None)
    assert (measured["actual"], measured["attainment"]) == (D("150000"), D("0.5"))


def test_commission_on_attainment_tiers(bed: RuleTestbed) -> None:
    """Bounds as shares of the target: 2% up to the 400k target, 6% beyond; 500k of sales
    → 400k × 2% + 100k × 6% = 14,000."""
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "500000", "2026-08-01 10:00"),
        goal("M1", "sales_amount", "2026-Q3", "400000", unit="CNY"),
    )
    bed.configure(
        {
            "measures": {},
            "commission": {
                "basis": "attainment",
                "semantics": "marginal",
                "tiers": [{"upto": "1.0", "rate": "0.02"}, {"rate": "0.06"}],
            },
        }
    )
    bed.run("2026-Q3")
    line = bed.earnings("commission")[0]
    assert (line["amount"], line["attainment"]) == (D("14000.00"), D("1.25"))


def test_usd_targets_are_converted_before_attainment(bed: RuleTestbed) -> None:
    sales_team(bed)
    bed.add(
        order("O1", "C1", "M1", "10000", "2026-08-01 10:00", currency="USD"),
        goal("M1", "sales_amount", "2026-Q3", "20000", unit="USD"),
    )
    bed.configure({"measures": {}})
    bed.run("2026-Q3")
    measured = bed.measures("measures")[0]
    assert (measured["actual"], measured["target"]) == (D("71000"), D("142000"))
    assert measured["attainment"] == D("0.5")


def test_a_paid_order_cancelled_later_in_the_plan_period_is_recovered_by_the_true_up(
    bed: RuleTestbed,
) -> None:
    """July paid 7,500 on a 250k order; the order is cancelled in August, so the quarter
    to date earns 0 and August's payable is −7,500 — without any clawback rule."""
    sales_team(bed)
    bed.add(order("J", "C1", "M1", "250000", "2026-07-20 10:00"))
    bed.configure(
        {"commission": {"semantics": "marginal", "tiers": TIERS, "plan_period": "quarter"}}
    )
    bed.run("2026-07")
    bed.close("2026-07")
    bed.add(
        order("J", "C1", "M1", "250000", "2026-07-20 10:00", status="cancelled",
              updated_at="2026-08-03 09:00")
    )  # fmt: skip
    bed.run("2026-08")
    assert bed.earnings("commission", period="2026-08") == []
    august = bed.payables("commission", period="2026-08")[0]
    assert (august["manager"], august["plan_period"]) == ("M1", "2026-Q3")
    assert (august["earned_to_date"], august["paid_to_date"], august["payable"]) == (
        D("0"),
        D("7500.00"),
        D("-7500.00"),
    )


def test_retention_completion_and_order_count_measures(bed: RuleTestbed) -> None:
    """Retention (E − N) ÷ S with active = ordered within 365 days: C1 and C2 were active at
    the start of Q3 and C1 still is at the end (C2's last order is more than a year old by
    then); C3 is new in Q3. S = 2, E = 2 (C1, C3), N = 1 → 0.5. Completion: of 3 orders due
    in Q3, 2 were completed (one by date, one by status) → 0.6667."""
    sales_team(bed)
    bed.add(
        customer("C3", owner="M1"),
        order("A1", "C1", "M1", "100", "2026-03-01 10:00"),
        order("B1", "C2", "M1", "100", "2025-08-15 10:00"),
        order("N1", "C3", "M1", "100", "2026-08-01 10:00",
              due_at="2026-08-20 00:00", completed_at="2026-08-19 10:00"),
        order("N2", "C3", "M1", "100", "2026-08-02 10:00",
              due_at="2026-09-20 00:00", status="已完成"),
        order("N3", "C3", "M1", "100", "2026-08-03 10:00", due_at="2026-09-25 00:00"),
        order("X", "C3", "M1", "100", "2026-08-04 10:00", status="cancelled"),
        goal("M1", "retention_rate", "2026-Q3", "0.8"),
        goal("M1", "order_completion_rate", "2026-Q3", "0.9"),
        goal("M1", "order_count", "2026-Q3", "4"),
        goal("M2", "retention_rate", "2026-Q3", "0.8"),
    )  # fmt: skip
    bed.configure({"measures": {}})
    bed.run("2026-Q3")
    got = {(m["manager"], m["metric"]): m for m in bed.measures("measures")}
    assert got[("M1", "retention_rate")]["actual"] == D("0.5")
    assert got[("M1", "retention_rate")]["attainment"] == D("0.625")
    assert got[("M1", "order_completion_rate")]["actual"] == D("0.6667")
    assert got[("M1", "order_count")]["actual"] == D("3")  # the cancelled order does not count
    m2 = got[("M2", "retention_rate")]
    assert (m2["status"], m2["cause"]) == (
        "not_evaluated",
        "no active customers at the start of the period",
    )
