"""The pages and JSON endpoints as each role sees them, bad input, CSV, forms."""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal
from typing import Any

import pytest

from hub.web import app
from hub.web.app import csv_cell

from .conftest import Company, csrf_of, login


def test_overview_ranks_managers_with_their_scores_and_a_trend(company: Company) -> None:
    client = company.client("ada")
    data = client.get("/api/overview?period=2026-Q3").json()
    scores = [c["score"] for c in data["cards"]]
    assert data["cards"][0]["manager"] == "M1"  # sells the most
    assert scores == sorted(scores, reverse=True)
    assert data["trend"]["periods"] == ["2026-Q2", "2026-Q3"]
    assert set(data["trend"]["teams"]) == {"north", "south"}
    page = client.get("/overview?period=2026-Q3")
    assert page.status_code == 200
    assert 'id="chart-ranked"' in page.text and 'id="chart-trend"' in page.text
    assert "张伟" in page.text  # admins see names unmasked


def test_overview_pages_the_scorecards_and_keeps_the_ranks(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin's 500 managers are shown 50 rows at a time; here two of four."""
    monkeypatch.setattr(app, "OVERVIEW_PAGE", 2)
    client = company.client("ada")
    cards = client.get("/api/overview?period=2026-Q3").json()["cards"]
    assert len(cards) == 4  # the JSON keeps every card

    def rows(page: str) -> list[tuple[str, str]]:
        return re.findall(r'<td class="num">(\d+|—)</td>\s*<td><a href="/managers/[^?]+\?period='
                          r'2026-Q3">[^<]*</a> <span class="muted">(M\d)</span>', page)  # fmt: skip

    first = client.get("/overview?period=2026-Q3").text
    second = client.get("/overview?period=2026-Q3&page=2").text
    assert rows(first) + rows(second) == [(str(c["rank"] or "—"), c["manager"]) for c in cards]
    assert "page=2" in first and "page=1" in second and "1 / 2" not in second
    assert first.count('class="tile"') == second.count('class="tile"') == 2  # every team
    assert client.get("/overview?period=2026-Q3&page=3").status_code == 404
    assert client.get("/overview?page=x").status_code == 400
    assert client.get("/overview?page=0").status_code == 400


def test_the_ranked_chart_is_as_tall_as_the_bars_it_draws(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It draws the best 40 managers; its height came from every card (an admin's
    500 made it 14,060 px tall). Here: 10 bars drawn for the company's 4 cards."""
    from hub.web import charts

    drawn = charts.ranked

    def ten_bars(cards: Any, t: Any) -> Any:
        option = drawn(cards, t)
        return {**option, "yAxis": {**option["yAxis"], "data": ["x"] * 10}}

    monkeypatch.setattr(charts, "ranked", ten_bars)
    page = company.client("ada").get("/overview?period=2026-Q3").text
    assert 'id="chart-ranked" data-option="chart-ranked-option" style="height: 340px"' in page


def test_a_lead_sees_names_masked_as_the_reports_mask_them(company: Company) -> None:
    page = company.client("lee").get("/overview").text
    assert "张*" in page and "张伟" not in page


def test_manager_page_has_scorecard_months_tiers_timeline_findings_and_trace(
    company: Company,
) -> None:
    client = company.client("mia")
    data = client.get("/api/managers/M1?period=2026-Q3").json()
    assert {g["metric"] for g in data["goals"]} == {"sales_amount", "contact_count"}
    assert data["monthly"]["months"] == ["2026-07", "2026-08", "2026-09"]
    assert data["monthly"]["target"] == [200000.0, 200000.0, 200000.0]
    assert sum(data["monthly"]["actual"]) > 0
    assert {t["tier"] for t in data["tiers"]} == {"A", "B", "C"}
    assert data["timeline"]["items"] and all(
        "13812345678" not in i["subject"] for i in data["timeline"]["items"]
    )
    commission = next(
        e for e in data["statement"]["earnings"] if e["item"].startswith("commission")
    )
    assert commission["trace"], "every earning carries the steps behind it"
    page = client.get("/managers/M1?period=2026-Q3").text
    for chart in ("chart-kpis", "chart-monthly", "chart-tiers", "chart-weekly"):
        assert f'id="{chart}"' in page
    assert "13812345678" not in page  # phones masked, even in activity subjects


def test_bad_input_gets_a_friendly_page_never_a_traceback(company: Company) -> None:
    client = company.client("ada")
    cases = {
        "/overview?period=2031-Q1": (404, "no rule results for 2031-Q1"),
        "/overview?period=soon": (400, "write it like 2026-Q3"),
        "/managers/NOBODY": (404, "no manager 'NOBODY'"),
        "/findings?severity=apocalyptic": (400, "severity 'apocalyptic'"),
        "/findings?rule=nope": (400, "rule 'nope'"),
        "/findings?team=west": (404, "no team 'west'"),
        "/customers?page=x": (400, "page 'x'"),
        "/api/managers/NOBODY": (404, "no manager"),
    }
    for url, (status, text) in cases.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert text in html.unescape(response.text), (url, response.text[:300])
        assert "Traceback" not in response.text


def test_findings_filters_and_csv_are_masked_and_formula_safe(company: Company) -> None:
    client = company.client("ada")
    all_rows = client.get("/api/findings?period=2026-Q3").json()["rows"]
    assert all_rows
    rule = all_rows[0]["rule"]
    only = client.get(f"/api/findings?period=2026-Q3&rule={rule}").json()["rows"]
    assert only and {r["rule"] for r in only} == {rule}
    north = client.get("/api/findings?period=2026-Q3&team=north").json()["rows"]
    assert north and len(north) < len(all_rows)
    response = client.get(f"/findings.csv?period=2026-Q3&rule={rule}")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["rule", "status", "severity"] and len(rows) == len(only) + 1
    assert "13812345678" not in response.text


def test_csv_cells_cannot_start_a_formula() -> None:
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for risky in ("+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(risky).startswith("'")
    assert csv_cell("-12.50") == "-12.50"  # a plain negative number stays a number
    assert (
        csv_cell("客户") == "客户" and csv_cell(Decimal("1.50")) == "1.50" and csv_cell(None) == ""
    )


def test_customers_search_tier_owner_and_last_contact(company: Company) -> None:
    client = company.client("ada")
    data = client.get("/api/customers?q=C11").json()
    assert [c["ref"] for c in data["items"]] == ["C11"]
    assert data["items"][0]["last_contact"] is not None
    assert data["items"][0]["phone"].count("*") >= 4
    tier_a = client.get("/api/customers?tier=A").json()["items"]
    assert tier_a and {c["tier"] for c in tier_a} == {"A"}
    owned = client.get("/api/customers?owner=M2").json()["items"]
    assert {c["owner_ref"] for c in owned} == {"M2"}
    person = client.get("/api/customers?q=C16").json()["items"][0]
    assert person["name"] == "赵敏"  # admin: unmasked
    masked = company.client("mia").get("/api/customers?q=C16").json()["items"][0]
    assert masked["name"] == "赵*"


def test_sync_health_without_syncs_says_so(company: Company) -> None:
    data = company.client("ada").get("/api/sync").json()
    assert data["runs"] == [] and data["freshness"] == []


def test_identity_page_says_not_available_until_identity_exists(company: Company) -> None:
    page = company.client("ada").get("/identity")
    assert page.status_code == 200


def test_language_from_the_browser_then_the_users_choice(company: Company) -> None:
    client = company.client("ada", **{"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    page = client.get("/overview").text
    assert "团队总览" in page and 'lang="zh-CN"' in page
    assert "¥" in client.get("/managers/M1").text
    token = csrf_of(page)
    client.post("/language", data={"csrf": token, "lang": "en", "next": "/overview"})
    page = client.get("/overview").text
    assert "Team overview" in page and "CN¥" in client.get("/managers/M1").text


def test_forms_without_the_csrf_token_are_refused(company: Company) -> None:
    client = company.client("mia")
    response = client.post("/managers/M1/whatif", data={"amount": "1000", "csrf": "forged"})
    assert response.status_code == 403
    response = client.post("/language", data={"lang": "zh-CN"})
    assert response.status_code == 403


def test_login_is_rate_limited_and_sessions_are_httponly_samesite(company: Company) -> None:
    client = company.client()
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        r = client.post("/login", data={"username": "ada", "password": "wrong", "csrf": token})
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = client.post("/login", data={"username": "ada", "password": "correct horse battery",
                                    "csrf": token})  # fmt: skip
    assert r.status_code == 429
    other = company.client()
    token = csrf_of(other.get("/login").text)
    r = other.post("/login", data={"username": "mia", "password": "correct horse battery",
                                   "csrf": token}, follow_redirects=False)  # fmt: skip
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_login_refuses_a_missing_csrf_and_unsafe_next(company: Company) -> None:
    client = company.client()
    r = client.post("/login", data={"username": "ada", "password": "correct horse battery"})
    assert r.status_code == 403
    token = csrf_of(client.get("/login").text)
    r = client.post("/login?next=//evil.example/", data={"username": "ada",
                    "password": "correct horse battery", "csrf": token}, follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == "/"


def test_a_trusted_proxy_header_logs_in_a_known_user_only(company: Company) -> None:
    text = (company.root / "hub.toml").read_text(encoding="utf-8")
    (company.root / "hub.toml").write_text(
        text + '\n[web]\ntrusted_user_header = "X-Forwarded-User"\n', encoding="utf-8"
    )
    client = company.client()
    assert client.get("/managers/M1", headers={"X-Forwarded-User": "mia"}).status_code == 200
    assert client.get("/managers/M3", headers={"X-Forwarded-User": "mia"}).status_code == 403
    r = client.get("/overview", headers={"X-Forwarded-User": "mallory"}, follow_redirects=False)
    assert r.status_code == 303


def test_inquiry_from_submitted_to_resolved_with_an_audit_trail(company: Company) -> None:
    mia = company.client("mia")
    page = mia.get("/managers/M1?period=2026-Q3").text
    token = csrf_of(page)
    line = "commission/commission"
    assert f"<option>{line}</option>" in page
    r = mia.post("/managers/M1/inquiries?period=2026-Q3",
                 data={"csrf": token, "line": line, "kind": "missing_credit",
                       "comment": "order SO-1 is missing"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    bad = mia.post("/managers/M1/inquiries?period=2026-Q3",
                   data={"csrf": token, "line": "not a line", "kind": "other", "comment": "x"})  # fmt: skip
    assert bad.status_code == 400 and "not on this statement" in bad.text
    [inquiry] = mia.get("/api/inquiries").json()
    assert inquiry["status"] == "Submitted" and inquiry["line"] == line
    assert company.client("max").get("/api/inquiries").json() == []
    ada = company.client("ada")
    token = csrf_of(ada.get("/inquiries").text)
    url = f"/inquiries/{inquiry['id']}/status"
    assert ada.post(url, data={"csrf": token, "to": "Resolved"}).status_code == 400  # no reason
    assert mia.post(url, data={"csrf": csrf_of(page), "to": "Denied"}).status_code == 403
    assert (
        ada.post(url, data={"csrf": token, "to": "In review"}, follow_redirects=False).status_code
        == 303
    )
    ada.post(url, data={"csrf": token, "to": "Resolved", "reason": "credited in version 2"})
    again = ada.post(url, data={"csrf": token, "to": "Denied", "reason": "no"})
    assert again.status_code == 400 and "cannot move" in again.text
    [done] = mia.get("/api/inquiries").json()
    assert done["status"] == "Resolved" and done["reason"] == "credited in version 2"
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in done["events"]] == [
        (None, "Submitted", "mia"),
        ("Submitted", "In review", "ada"),
        ("In review", "Resolved", "ada"),
    ]


def test_what_if_runs_the_rules_and_stores_nothing(company: Company) -> None:
    from sqlalchemy import func, select

    from hub.rules.tables import rule_runs
    from hub.store.database import Store
    from hub.store.tables import entity_tables

    store = Store(company.config.store_url())

    def counts() -> tuple[int, int]:
        with store.read() as conn:
            return (
                conn.execute(select(func.count()).select_from(rule_runs)).scalar(),
                conn.execute(
                    select(func.count()).select_from(entity_tables["activities"])
                ).scalar(),
            )

    before = counts()
    client = company.client("mia")
    token = csrf_of(client.get("/managers/M1?period=2026-Q3").text)
    page = client.post(
        "/managers/M1/whatif?period=2026-Q3", data={"csrf": token, "amount": "200,000"}
    )
    assert page.status_code == 200 and 'id="whatif-result"' in page.text
    assert counts() == before
    bad = client.post("/managers/M1/whatif?period=2026-Q3", data={"csrf": token, "amount": "lots"})
    assert bad.status_code == 400 and "a number like 200000" in bad.text


def test_what_if_commission_grows_by_the_marginal_rate(company: Company) -> None:
    from hub.store.database import Store
    from hub.web import whatif
    from hub.web.data import Scope, manager_page
    from hub.web.users import get

    config = company.config
    store = Store(config.store_url())
    with store.read() as conn:
        user = get(conn, "mia")
        values = manager_page(conn, config, "2026-Q3", "M1", Scope(user))
    result = whatif.estimate(config, store, "2026-Q3", user.manager_id, Decimal("10000"),
                             values["statement"]["payables"])  # fmt: skip
    commission = next(line for line in result["lines"] if line["rule"] == "commission")
    # M1 sold well above 500,000 this quarter: the next 10,000 earn the top band's 7 %
    assert commission["difference"] == Decimal("700.00")


def test_unknown_login_takes_the_same_path_as_a_wrong_password(company: Company) -> None:
    client = company.client()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "nobody", "password": "x" * 10, "csrf": token})
    assert r.status_code == 401
    login(client, "ada")
