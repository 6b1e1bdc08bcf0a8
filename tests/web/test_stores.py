"""The dashboard shows the same on SQLite and PostgreSQL, and its writes
(inquiries, the what-if's rolled-back run) behave the same on both."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import Company, build_company, csrf_of


@pytest.mark.postgres
def test_pages_are_identical_on_sqlite_and_postgresql(tmp_path: Path, postgres_url: str) -> None:
    seen = {}
    for name, url in (("sqlite", None), ("postgresql", postgres_url)):
        build_company(tmp_path / name, url)
        company = Company(tmp_path / name)
        admin, mia = company.client("ada"), company.client("mia")
        overview = admin.get("/api/overview?period=2026-Q3").json()
        manager = mia.get("/api/managers/M1?period=2026-Q3").json()
        findings = admin.get("/api/findings?period=2026-Q3&team=north").json()
        customers = admin.get("/api/customers?tier=A").json()
        token = csrf_of(mia.get("/managers/M1").text)
        page = mia.post(
            "/managers/M1/whatif?period=2026-Q3", data={"csrf": token, "amount": "10000"}
        )
        assert page.status_code == 200 and "CN¥700.00" in page.text
        r = mia.post("/managers/M1/inquiries?period=2026-Q3", data={
            "csrf": token, "line": "commission/commission", "kind": "wrong_amount",
            "comment": "rate"}, follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
        seen[name] = {
            "cards": [(c["manager"], c["score"], c["rank"]) for c in overview["cards"]],
            "trend": overview["trend"],
            "goals": manager["goals"],
            "monthly": manager["monthly"],
            "tiers": manager["tiers"],
            "payables": manager["statement"]["payables"],
            "trace": [e["trace"] for e in manager["statement"]["earnings"]],
            "findings": sorted((f["rule"], f["subject"], f["status"]) for f in findings["rows"]),
            "customers": [(c["ref"], c["last_contact"]) for c in customers["items"]],
            "inquiries": [(i["line"], i["status"]) for i in mia.get("/api/inquiries").json()],
        }
    assert seen["sqlite"] == seen["postgresql"]
    assert seen["sqlite"]["payables"] and Decimal(str(seen["sqlite"]["cards"][0][1])) > 0
