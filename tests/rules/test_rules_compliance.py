"""Each built-in compliance rule: a subject that violates, one that passes, one
that cannot be evaluated (missing data) — and no personal data in what is stored."""

from __future__ import annotations

import json
from decimal import Decimal as D

from hub.rules.testing import RuleTestbed, activity, contact, customer, manager, order

PHONE = "13812345678"
MASKED = "138****5678"


def stored_text(bed: RuleTestbed) -> str:
    return json.dumps(bed.findings(), ensure_ascii=False, default=str)


def assert_masked(bed: RuleTestbed) -> None:
    text = stored_text(bed)
    assert PHONE not in text
    assert "1381234" not in text


def status_of(bed: RuleTestbed, rule: str) -> dict[str, str]:
    return {f["subject"]: f["status"] for f in bed.findings(rule)}


def test_contact_sla_by_tier(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1", phone=PHONE),
        customer("C1", "M1", tier="A", phone=PHONE),
        customer("C2", "M1", tier="A", phone=PHONE),
        customer("C3", "M1", tier="B"),
        customer("C4", "M1", tier="C"),
        customer("C5", "M1", tier="A", created_at="2026-01-01 09:00"),
        customer("C6", "M1", tier="A", created_at="2026-09-28 09:00"),
        activity("K1", "call", "C1", "M1", "2026-09-25 10:00"),
        activity("K2", "visit", "C2", "M1", "2026-09-01 10:00"),
        activity("K3", "meeting", "C3", "M1", "2026-09-05 10:00"),
        activity("K4", "task", "C1", "M1", "2026-09-30 10:00"),  # not a contact
    )
    bed.configure({"contact_sla": {"days_by_tier": {"A": 14, "B": 30}}})
    bed.run("2026-Q3")
    assert status_of(bed, "contact_sla") == {
        "C1": "pass",
        "C2": "violation",
        "C3": "warning",
        "C4": "not_evaluated",
        "C5": "violation",
        "C6": "pass",
    }
    c2 = bed.finding("contact_sla", "C2")
    assert c2["message"] == "last contact 29 days ago, SLA 14 days (tier A)"
    assert c2["evidence"] == {
        "tier": "A",
        "owner": "M1",
        "last_touch": "2026-09-01",
        "sla_days": 14,
        "days_since": 29,
    }
    assert c2["severity"] == "medium"
    assert bed.finding("contact_sla", "C4")["message"] == "no contact SLA for tier 'C'"
    assert bed.finding("contact_sla", "C5")["message"].startswith("never contacted; created")
    assert_masked(bed)


def test_complaint_first_response_and_resolution_sla(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), customer("C1", "M1"))
    note = f"客户来电 {PHONE} 投诉交货延迟"
    bed.add(
        activity("X1", "complaint", "C1", "M1", "2026-09-01 10:00", content=note,
                 first_response_at="2026-09-01 12:00", resolved_at="2026-09-02 10:00"),
        activity("X2", "complaint", "C1", "M1", "2026-09-01 10:00",
                 first_response_at="2026-09-02 16:00", resolved_at="2026-09-03 10:00"),
        activity("X3", "complaint", "C1", "M1", "2026-09-01 10:00",
                 resolved_at="2026-09-02 10:00"),
        activity("X4", "complaint", "C1", "M1", "2026-09-30 04:00"),
        activity("X5", "complaint", "C1", "M1", "2026-09-20 04:00",
                 first_response_at="2026-09-20 05:00"),
    )  # fmt: skip
    bed.configure({"complaint_sla": {"first_response_hours": 24, "resolution_hours": 72}})
    bed.run("2026-Q3")
    assert status_of(bed, "complaint_sla") == {
        "X1": "pass",
        "X2": "violation",
        "X3": "not_evaluated",
        "X4": "warning",
        "X5": "violation",
    }
    assert bed.finding("complaint_sla", "X2")["message"] == (
        "first response took 30.0 h (limit 24 h); resolution in 48.0 h"
    )
    assert bed.finding("complaint_sla", "X3")["message"].startswith(
        "resolved without a recorded first response"
    )
    assert "still open after 260.0 h (limit 72 h)" in bed.finding("complaint_sla", "X5")["message"]
    assert_masked(bed)


def test_required_fields(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1", email="m1@example.com"),
        manager("M2"),
        customer("C1", "M1", phone=PHONE, tier="A"),
        customer("C2", "M1", phone="  ", tier="A"),
        customer("C3", "M9", phone=PHONE, tier="B"),
        customer("C4", None, tier="B", extra={"wechat": "wx_1"}),
    )
    bed.configure(
        {
            "required_fields": {
                "customers": ["owner", "phone", "tier", "extra.wechat"],
                "managers": ["email"],
            }
        }
    )
    bed.run("2026-Q3")
    assert status_of(bed, "required_fields") == {
        "M1": "pass",
        "M2": "violation",
        "C1": "violation",
        "C2": "violation",
        "C3": "violation",
        "C4": "violation",
    }
    assert bed.finding("required_fields", "C2")["message"] == "missing phone, extra.wechat"
    assert bed.finding("required_fields", "C4")["message"] == "missing owner, phone"
    bed.configure({"required_fields": {"customers": ["owner", "phone"], "managers": []}})
    bed.run("2026-Q3")
    c3 = bed.finding("required_fields", "C3")
    assert c3["status"] == "not_evaluated"
    assert c3["message"] == "owner 'M9': not in the store yet, so cannot be checked"
    assert bed.finding("required_fields", "C1")["status"] == "pass"
    assert_masked(bed)


def test_duplicates_by_normalised_phone_and_credit_code(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1"),
        customer("C1", "M1", name="上海甲贸易有限公司", phone="138 1234 5678"),
        customer("C2", "M1", name="上海甲贸易有限公司（重复）", phone=f"+86-{PHONE}"),
        customer("C3", "M1", name="北京乙科技有限公司", phone="13900001111", credit_code="91A"),
        customer("C4", "M1", name="深圳丙实业有限公司", credit_code=" 91a"),
        customer("C5", "M1", name="没有电话的客户"),
        customer("C6", "M1", name="Acme Trading GmbH", source="zoho", phone="13700002222"),
    )
    bed.configure({"duplicates": {"keys": ["phone", "credit_code"]}})
    bed.run("2026-Q3")
    assert status_of(bed, "duplicates") == {
        "C1": "violation",
        "C2": "violation",
        "C3": "violation",
        "C4": "violation",
        "C5": "not_evaluated",
        "C6": "pass",
    }
    c1 = bed.finding("duplicates", "C1")
    assert c1["message"] == "same phone as crm:C2"
    assert c1["evidence"]["matches"] == [{"match": "phone", "same_as": ["crm:C2"], "phone": MASKED}]
    assert bed.finding("duplicates", "C4")["message"] == "same credit_code as crm:C3"
    assert_masked(bed)


def test_duplicates_by_the_contacts_mobiles_and_emails(bed: RuleTestbed) -> None:
    """Two customers whose contacts are the same person: the same mobile in two
    spellings, or the same e-mail in two cases. A customer's own contacts sharing a
    mobile say nothing; a deleted contact no longer counts."""
    bed.add(
        manager("M1"),
        customer("C1", "M1", name="上海甲贸易有限公司"),
        customer("C2", "M1", name="甲贸易（上海）", source="zoho"),
        customer("C3", "M1", name="北京乙科技有限公司"),
        customer("C4", "M1", name="深圳丙实业有限公司"),
        customer("C5", "M1", name="没有联系人的客户"),
        customer("C6", "M1", name="广州丁商行"),
        customer("C7", "M1", name="杭州戊商行"),
        contact("P1", "C1", mobile="138 1234 5678"),
        contact("P2", "C2", source="zoho", mobile=f"+86-{PHONE}"),
        contact("P3", "C3", email="Buyer@Yi.example"),
        contact("P4", "C4", email="buyer@yi.example "),
        contact("P5", "C6", mobile="13900001111"),
        contact("P6", "C6", mobile="13900001111"),  # two records of one person at C6
        contact("P7", "C7", mobile="13700002222"),
        contact("P8", "C6", mobile="13700002222"),
    )
    bed.delete("contacts", "P8")
    bed.configure({"duplicates": {"keys": ["contact_mobile", "contact_email"]}})
    bed.run("2026-Q3")
    assert status_of(bed, "duplicates") == {
        "C1": "violation",
        "C2": "violation",
        "C3": "violation",
        "C4": "violation",
        "C5": "not_evaluated",
        "C6": "pass",
        "C7": "pass",
    }
    assert bed.finding("duplicates", "C1")["message"] == "same contact_mobile as zoho:C2"
    assert bed.finding("duplicates", "C1")["evidence"]["matches"] == [
        {"match": "contact_mobile", "same_as": ["zoho:C2"]}
    ]
    assert bed.finding("duplicates", "C4")["message"] == "same contact_email as crm:C3"
    assert "yi.example" not in stored_text(bed).lower()
    assert_masked(bed)


def test_owner_load_cap_and_team_median(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1", team="a"),
        manager("M2", team="a"),
        manager("M3", team="a"),
        manager("M4"),
        *[customer(f"C{i}", "M1") for i in range(5)],
        customer("D1", "M2"),
        customer("D2", "M3"),
        customer("D3", "M4"),
    )
    bed.configure(
        {
            "owner_load": {"max_customers": 4},
            "owner_median": {"rule": "owner_load", "median_factor": 2},
        }
    )
    bed.run("2026-Q3")
    assert status_of(bed, "owner_load") == {
        "M1": "violation",
        "M2": "pass",
        "M3": "pass",
        "M4": "pass",
    }
    assert status_of(bed, "owner_median") == {
        "M1": "warning",
        "M2": "pass",
        "M3": "pass",
        "M4": "not_evaluated",
    }
    m1 = next(f for f in bed.findings("owner_median") if f["subject"] == "M1")
    assert m1["message"] == "holds 5 customers, over 2× the team median of 1"
    assert (
        next(f for f in bed.findings("owner_median") if f["subject"] == "M4")["message"]
        == "no team to compare with"
    )
    assert_masked(bed)


def test_customers_without_an_active_owner(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1"),
        manager("M5", active=False),
        manager("M6"),
        customer("C1", "M1", phone=PHONE),
        customer("C2", None, phone=PHONE),
        customer("C3", "M5"),
        customer("C4", "M9"),
        customer("C5", "M6"),
    )
    bed.delete("managers", "M6")
    bed.configure({"customer_owner": {}})
    bed.run("2026-Q3")
    assert status_of(bed, "customer_owner") == {
        "C1": "pass",
        "C2": "violation",
        "C3": "violation",
        "C4": "not_evaluated",
        "C5": "violation",
    }
    assert bed.finding("customer_owner", "C3")["message"] == "owner M5 is inactive"
    assert bed.finding("customer_owner", "C5")["message"] == "owner M6 was deleted in the source"
    assert "公海" in bed.finding("customer_owner", "C2")["suggested_action"]
    assert_masked(bed)


def test_low_value_rfm_thresholds(bed: RuleTestbed) -> None:
    bed.add(
        manager("M1"),
        customer("C1", "M1", phone=PHONE),
        customer("C2", "M1"),
        customer("C3", "M1"),
        customer("C4", "M1"),
        *[order(f"A{i}", "C1", "M1", "100000", f"2026-{i:02d}-15 10:00") for i in range(1, 10)],
        *[order(f"B{i}", "C1", "M1", "100000", f"2026-09-{i + 10:02d} 10:00") for i in range(4)],
        order("S1", "C2", "M1", "5000", "2026-03-15 10:00"),
        order("E1", "C3", "M1", "5000", "2026-08-15 10:00", currency="EUR"),
    )
    bed.configure({"low_value": {"method": "thresholds"}})
    bed.run("2026-Q3")
    assert status_of(bed, "low_value") == {
        "C1": "pass",
        "C2": "violation",
        "C3": "not_evaluated",
        "C4": "violation",
    }
    c1 = bed.finding("low_value", "C1")
    assert c1["evidence"]["rfm"] == "5-5-5"
    assert c1["evidence"]["monetary"] == "1300000.00"
    c2 = bed.finding("low_value", "C2")
    assert c2["message"] == "low value: RFM 2-1-1 (score 4 ≤ 5)"
    assert c2["severity"] == "low"
    assert "公海" in c2["suggested_action"]
    assert bed.finding("low_value", "C4")["evidence"]["rfm"] == "1-1-1"
    assert "currency without an exchange rate" in bed.finding("low_value", "C3")["message"]
    # quantiles need enough customers to rank
    bed.configure({"low_value": {"method": "quantiles", "min_customers": 20}})
    bed.run("2026-Q3")
    assert set(status_of(bed, "low_value").values()) == {"not_evaluated"}
    assert_masked(bed)


def test_low_value_quantiles_give_equal_values_equal_scores(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), *[customer(f"C{i:02d}", "M1") for i in range(10)])
    bed.add(
        *[
            order(
                f"O{i:02d}{j}", f"C{i:02d}", "M1", str(1000 * (i + 1)), f"2026-09-{j + 1:02d} 10:00"
            )
            for i in range(5)
            for j in range(i + 1)
        ]
    )
    bed.configure({"low_value": {"method": "quantiles", "min_customers": 5, "low_score": 3}})
    bed.run("2026-Q3")
    scores = {f["subject"]: f["evidence"]["rfm"] for f in bed.findings("low_value")}
    # five customers without orders are identical: the same (lowest) scores
    assert {scores[f"C{i:02d}"] for i in range(5, 10)} == {"1-1-1"}
    assert scores["C04"] == "5-5-5"
    assert status_of(bed, "low_value")["C05"] == "violation"


def test_churn_risk_against_the_customers_own_cadence(bed: RuleTestbed) -> None:
    monthly = ["03-01", "03-31", "04-30", "05-30"]
    bed.add(
        manager("M1"),
        *[customer(c, "M1", phone=PHONE) for c in ("C1", "C2", "C3", "C4")],
        *[order(f"A{i}", "C1", "M1", "100", f"2026-{6 + i // 3:02d}-{1 + 10 * (i % 3):02d} 10:00")
          for i in range(12)],
        *[order(f"B{i}", "C2", "M1", "100", f"2026-{d} 10:00") for i, d in enumerate(monthly)],
        *[order(f"C{i}", "C3", "M1", "100", f"2026-{d} 10:00") for i, d in enumerate(monthly)],
        activity("V1", "visit", "C3", "M1", "2026-08-10 10:00"),
        order("D1", "C4", "M1", "100", "2026-08-01 10:00"),
    )  # fmt: skip
    bed.configure({"churn_risk": {}})
    bed.run("2026-Q3")
    assert status_of(bed, "churn_risk") == {
        "C1": "pass",
        "C2": "violation",
        "C3": "pass",
        "C4": "not_evaluated",
    }
    c2 = bed.finding("churn_risk", "C2")
    assert c2["evidence"]["cadence_days"] == 30.0
    assert c2["message"].startswith("at risk (no order for 123 days, usually every 30.0 days")
    assert c2["message"].endswith("no retention activity since 2026-07-03")
    assert "0 orders in the last 90 days after 2 in the 90 before" in c2["message"]
    assert "retention contact on 2026-08-10" in bed.finding("churn_risk", "C3")["message"]
    assert_masked(bed)


def test_activities_logged_long_after_they_happened(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), manager("M2"), manager("M3"), customer("C1", "M1"))
    bed.add(
        activity("A1", "call", "C1", "M1", "2026-08-01 10:00", logged_at="2026-08-01 10:30"),
        activity("A2", "call", "C1", "M2", "2026-08-01 10:00", logged_at="2026-08-06 10:00"),
        activity("A3", "call", "C1", "M2", "2026-08-02 10:00", logged_at="2026-08-02 11:00"),
        activity("A4", "visit", "C1", "M3", "2026-08-01 10:00"),
    )
    bed.configure({"logging_lag": {"max_lag_hours": 72}})
    bed.run("2026-Q3")
    assert status_of(bed, "logging_lag") == {"M1": "pass", "M2": "violation", "M3": "not_evaluated"}
    m2 = bed.finding("logging_lag", "M2")
    assert m2["message"] == "1 of 2 activities logged more than 72 h after they happened"
    assert m2["evidence"]["examples"] == ["crm:A2 (120 h)"]
    assert_masked(bed)


def test_unmasked_phone_numbers_in_notes(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), manager("M2"), manager("M3"), customer("C1", "M1"))
    bed.add(
        activity("A1", "call", "C1", "M1", "2026-08-01 10:00", content=f"客户留了新号码 {PHONE}"),
        activity("A2", "call", "C1", "M1", "2026-08-02 10:00", content="已发 138****5678"),
        activity("A3", "call", "C1", "M2", "2026-08-01 10:00", content="约拜访时间 2026 年"),
        activity("A4", "call", "C1", "M3", "2026-08-01 10:00"),
    )
    bed.configure({"pii_notes": {}})
    bed.run("2026-Q3")
    assert status_of(bed, "pii_notes") == {"M1": "violation", "M2": "pass", "M3": "not_evaluated"}
    m1 = bed.finding("pii_notes", "M1")
    assert m1["severity"] == "high"
    assert m1["evidence"]["examples"] == [
        {"activity": "crm:A1", "field": "content", "text": f"客户留了新号码 {MASKED}"}
    ]
    assert_masked(bed)


def test_passing_findings_say_why(bed: RuleTestbed) -> None:
    bed.add(manager("M1"), customer("C1", "M1", tier="A"))
    bed.add(activity("K1", "call", "C1", "M1", "2026-09-29 10:00"))
    bed.configure({"contact_sla": {}})
    bed.run("2026-Q3")
    finding = bed.finding("contact_sla", "C1")
    assert finding["status"] == "pass"
    assert finding["message"] == "last contact 1 days ago, within 14 days"
    assert finding["severity"] == "info"
    assert finding["rule_version"] == "1"
    assert finding["evidence"]["last_touch"] == "2026-09-29"
    assert D(1) == 1
