"""Who may open what: every route of the routing table × every role.

The matrix is generated from `hub.web.app.ROUTES`, so a new route without a
declared set of roles, or without an expectation here, fails."""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route

from hub.web.app import ADMIN, ALL, MANAGER, PUBLIC, ROUTES, STAFF

from .conftest import Company, csrf_of

ROLE_USER = {"admin": "ada", "lead": "lee", "manager": "mia"}

# Path parameters to fill in: {ref} is a manager the role reaches (own / own team).
SAMPLE = {"ref": "M1", "id": "1"}


def _routes() -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for route in ROUTES:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        roles = getattr(route.endpoint, "roles", None)
        assert roles is not None, f"{route.path}: the route declares no roles"
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, route.path, roles))
    return sorted(out, key=lambda r: r[1] in ("/logout", "/login"))  # ending the session last


def test_every_route_declares_who_may_use_it() -> None:
    declared = {roles for _, _, roles in _routes()}
    assert declared <= {ALL, ADMIN, STAFF, MANAGER, PUBLIC}
    paths = {p for _, p, _ in _routes()}
    assert {"/overview", "/managers/{ref}", "/findings", "/findings.csv", "/customers", "/sync",
            "/identity", "/inquiries", "/api/overview", "/api/sync"} <= paths  # fmt: skip


@pytest.mark.parametrize("role", [*ROLE_USER, "anonymous"])
def test_matrix(company: Company, role: str) -> None:
    client = company.client(ROLE_USER.get(role))
    token = csrf_of(client.get("/login").text) if role == "anonymous" else None
    for method, path, roles in _routes():
        url = path.format(**SAMPLE)
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            if token is None:
                token = csrf_of(client.get("/customers").text)
            response = client.post(url, data={"csrf": token}, follow_redirects=False)
        where = f"{role} {method} {url}"
        if not roles:
            assert response.status_code < 500, where
            continue
        if role == "anonymous":
            if path.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/login?next="), where
        elif role in roles:
            # allowed: the page answers (a POST without its fields is a 400, not a 403)
            assert response.status_code not in (401, 403, 500), f"{where}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"


def test_a_manager_cannot_reach_another_managers_rows(company: Company) -> None:
    client = company.client("mia")
    assert client.get("/managers/M1").status_code == 200
    for url in ("/managers/M3", "/api/managers/M3", "/managers/M2", "/customers?owner=M3",
                "/findings?manager=M3", "/api/findings?manager=M3"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    page = client.get("/customers").text
    assert "C11" in page and "C31" not in page


def test_a_lead_sees_their_team_only(company: Company) -> None:
    client = company.client("lee")
    overview = client.get("/api/overview").json()
    assert {c["manager"] for c in overview["cards"]} == {"M1", "M2"}
    assert client.get("/managers/M2").status_code == 200
    assert client.get("/managers/M3").status_code == 403
    assert client.get("/findings?team=south").status_code == 403
    refs = {r["subject"] for r in client.get("/api/findings").json()["rows"]}
    assert refs and all(r.split(":")[-1].startswith(("M1", "M2", "C1", "C2")) for r in refs), refs


def test_a_removed_user_is_logged_out_at_the_next_request(company: Company) -> None:
    from hub.store.database import Store

    client = company.client("mia")
    assert client.get("/managers/M1").status_code == 200
    with Store(company.config.store_url()).begin() as conn:
        from hub.web import users

        users.remove(conn, "mia")
    response = client.get("/managers/M1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
