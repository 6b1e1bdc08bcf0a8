"""The identity review queue: what matching could not decide, and an admin's decision."""

from __future__ import annotations

from .conftest import Company, csrf_of


def test_the_queue_shows_undecided_pairs_and_a_decision_takes_them_off(company: Company) -> None:
    admin = company.client("ada")
    page = admin.get("/identity")
    assert page.status_code == 200 and 'id="identity-queue"' in page.text
    assert "hr:managers:H4" in page.text and "crm:managers:M4" in page.text
    assert "刘洋" in page.text  # admins see names
    token = csrf_of(page.text)
    a = company.manager_id("H4")
    b = company.manager_id("M4")
    bad = admin.post("/identity/decide", data={"csrf": token, "entity": "managers", "a": a,
                                               "b": b, "decision": "maybe"})  # fmt: skip
    assert bad.status_code == 400
    done = admin.post("/identity/decide", data={"csrf": token, "entity": "managers", "a": a,
                                                "b": b, "decision": "unlink"},
                      follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "hr:managers:H4" not in admin.get("/identity").text
    for who in ("lee", "mia"):
        assert company.client(who).get("/identity").status_code == 403
