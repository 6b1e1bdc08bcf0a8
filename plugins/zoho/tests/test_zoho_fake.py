"""The fake Zoho keeps to what Zoho documents, so passing against it means something."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hub_zoho.fake import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeOrg, FakeZoho, running
from hub_zoho.testing import mount

API = "https://www.zohoapis.com/crm/v8"
TOKEN_URL = "https://accounts.zoho.com/oauth/v2/token"


@pytest.fixture
def big_org() -> FakeOrg:
    org = FakeOrg()
    org.populate({"Accounts": 2300, "Notes": 3}, seed=1)
    return org


@pytest.fixture
def http(big_org: FakeOrg) -> Iterator[tuple[FakeZoho, httpx.Client]]:
    fake = FakeZoho(big_org, page_token_limit=1000)
    with mount(fake), httpx.Client() as client:
        yield fake, client


def mint(client: httpx.Client, **form: str) -> httpx.Response:
    data = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        **form,
    }
    return client.post(TOKEN_URL, data=data)


def auth(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Zoho-oauthtoken {mint(client).json()['access_token']}"}


def code(response: httpx.Response) -> str:
    return response.json()["code"]


def list_accounts(client: httpx.Client, headers: dict[str, str], **params: Any) -> httpx.Response:
    query = {"fields": "Account_Name,Modified_Time", **params}
    return client.get(f"{API}/Accounts", params=query, headers=headers)


# -- token endpoint ------------------------------------------------------------------------


def test_token_answer_names_the_api_domain_and_expiry(http: tuple[FakeZoho, httpx.Client]) -> None:
    _, client = http
    body = mint(client).json()
    assert body["api_domain"] == "https://www.zohoapis.com"
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"client_id": "1000.other"}, "invalid_client"),
        ({"client_secret": "nope"}, "invalid_client_secret"),
        ({"refresh_token": "1000.unknown"}, "invalid_code"),
    ],
)
def test_token_failures_are_http_200_with_an_error_key(
    http: tuple[FakeZoho, httpx.Client], form: dict[str, str], error: str
) -> None:
    _, client = http
    response = mint(client, **form)
    assert response.status_code == 200
    assert response.json() == {"error": error}


def test_another_data_centre_does_not_know_the_client(http: tuple[FakeZoho, httpx.Client]) -> None:
    _, client = http
    response = client.post("https://accounts.zoho.eu/oauth/v2/token", data={"client_id": CLIENT_ID})
    assert response.json() == {"error": "invalid_client"}
    token = mint(client).json()["access_token"]
    foreign = client.get(
        "https://www.zohoapis.eu/crm/v8/users",
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert (foreign.status_code, code(foreign)) == (401, "INVALID_TOKEN")


def test_eleventh_mint_in_ten_minutes_is_denied(http: tuple[FakeZoho, httpx.Client]) -> None:
    _, client = http
    for _ in range(10):
        assert mint(client).status_code == 200
    denied = mint(client)
    assert denied.status_code == 400
    assert denied.json()["error"] == "Access Denied"


def test_only_the_zoho_oauthtoken_header_is_accepted(http: tuple[FakeZoho, httpx.Client]) -> None:
    fake, client = http
    token = mint(client).json()["access_token"]
    bearer = list_accounts(client, {"Authorization": f"Bearer {token}"})
    assert (bearer.status_code, code(bearer)) == (401, "AUTHENTICATION_FAILURE")
    fake.expire_tokens()
    expired = list_accounts(client, {"Authorization": f"Zoho-oauthtoken {token}"})
    assert (expired.status_code, code(expired)) == (401, "INVALID_TOKEN")


# -- listings --------------------------------------------------------------------------------


def test_fields_are_required_at_most_fifty_and_must_exist(
    http: tuple[FakeZoho, httpx.Client],
) -> None:
    _, client = http
    headers = auth(client)
    missing = client.get(f"{API}/Accounts", headers=headers)
    assert (missing.status_code, code(missing)) == (400, "REQUIRED_PARAM_MISSING")
    many = list_accounts(client, headers, fields=",".join(f"F{i}" for i in range(51)))
    assert (many.status_code, code(many)) == (400, "LIMIT_EXCEEDED")
    unknown = list_accounts(client, headers, fields="Account_Name,Nope")
    assert (unknown.status_code, code(unknown)) == (400, "INVALID_DATA")
    page = list_accounts(client, headers, per_page=3).json()
    assert set(page["data"][0]) == {"id", "Account_Name", "Modified_Time"}


def test_per_page_is_at_most_200(http: tuple[FakeZoho, httpx.Client]) -> None:
    _, client = http
    response = list_accounts(client, auth(client), per_page=201)
    assert (response.status_code, code(response)) == (400, "INVALID_DATA")


def test_page_numbers_reach_only_the_first_2000_records(
    http: tuple[FakeZoho, httpx.Client],
) -> None:
    _, client = http
    headers = auth(client)
    assert list_accounts(client, headers, page=10).json()["info"]["more_records"] is True
    beyond = list_accounts(client, headers, page=11)
    assert (beyond.status_code, code(beyond)) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
    assert beyond.json()["details"] == {"limit": 2000}


def test_page_tokens_walk_everything_and_are_bound_to_their_parameters(
    http: tuple[FakeZoho, httpx.Client], big_org: FakeOrg
) -> None:
    _, client = http
    headers = auth(client)
    params = {"sort_by": "Modified_Time", "sort_order": "asc"}
    seen: list[str] = []
    answer = list_accounts(client, headers, **params).json()
    seen += [r["id"] for r in answer["data"]]
    token = answer["info"]["next_page_token"]
    both = list_accounts(client, headers, page=2, page_token=token, **params)
    assert (both.status_code, code(both)) == (400, "AMBIGUITY_DURING_PROCESSING")
    changed = list_accounts(client, headers, page_token=token, sort_by="id")
    assert (changed.status_code, code(changed)) == (400, "TOKEN_BOUND_DATA_MISMATCH")
    while answer["info"]["more_records"] and len(seen) < 1000:
        answer = list_accounts(
            client, headers, page_token=answer["info"]["next_page_token"], **params
        ).json()
        seen += [r["id"] for r in answer["data"]]
    limit = list_accounts(client, headers, page_token=answer["info"]["next_page_token"], **params)
    assert (limit.status_code, code(limit)) == (400, "PAGINATION_LIMIT_EXCEEDED")  # limit 1,000
    assert len(seen) == len(set(seen)) == 1000
    times = [big_org.get("Accounts", rid)["Modified_Time"] for rid in seen]
    assert times == sorted(times)


def test_page_tokens_expire_after_a_day(http: tuple[FakeZoho, httpx.Client]) -> None:
    fake, client = http
    headers = auth(client)
    token = list_accounts(client, headers).json()["info"]["next_page_token"]
    fake.page_tokens[token].issued -= dt.timedelta(hours=25)
    response = list_accounts(client, headers, page_token=token)
    assert (response.status_code, code(response)) == (400, "EXPIRED_VALUE")


def test_if_modified_since_filters_and_answers_304_or_204(
    http: tuple[FakeZoho, httpx.Client], big_org: FakeOrg
) -> None:
    _, client = http
    headers = auth(client)
    now = big_org.now().isoformat()
    unchanged = list_accounts(client, {**headers, "If-Modified-Since": now})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    big_org.update("Accounts", big_org.ids("Accounts")[5], Account_Name="Changed")
    since = (big_org.now() - dt.timedelta(seconds=1)).isoformat()
    changed = list_accounts(client, {**headers, "If-Modified-Since": since}).json()
    assert [r["Account_Name"] for r in changed["data"]] == ["Changed"]
    empty = client.get(f"{API}/Leads", params={"fields": "id"}, headers=headers)
    assert (empty.status_code, code(empty)) == (400, "INVALID_MODULE")
    nothing = client.get(
        f"{API}/Events", params={"fields": "Event_Title", "per_page": 5}, headers=headers
    )
    assert nothing.status_code == 204


def test_times_are_written_in_the_api_users_offset(http: tuple[FakeZoho, httpx.Client]) -> None:
    _, client = http
    record = list_accounts(client, auth(client), per_page=1).json()["data"][0]
    assert record["Modified_Time"][-6:] in ("-07:00", "-08:00")  # America/Los_Angeles


def test_deleted_records_and_users(http: tuple[FakeZoho, httpx.Client], big_org: FakeOrg) -> None:
    _, client = http
    headers = auth(client)
    none = client.get(f"{API}/Accounts/deleted", params={"type": "all"}, headers=headers)
    assert none.status_code == 204
    victim = big_org.ids("Accounts")[0]
    big_org.delete("Accounts", victim)
    deleted = client.get(f"{API}/Accounts/deleted", params={"type": "all"}, headers=headers)
    assert [d["id"] for d in deleted.json()["data"]] == [victim]
    assert deleted.json()["data"][0]["type"] == "recycle"
    users = client.get(f"{API}/users", params={"type": "AllUsers"}, headers=headers).json()
    assert {u["status"] for u in users["users"]} >= {"active", "inactive"}
    me = client.get(f"{API}/users", params={"type": "CurrentUser"}, headers=headers).json()
    assert me["users"][0]["profile"]["name"] == "Administrator"


def test_notes_are_listed_by_administrators_only(
    http: tuple[FakeZoho, httpx.Client], big_org: FakeOrg
) -> None:
    fake, client = http
    rep = next(u for u, v in big_org.users.items() if v["profile"]["name"] != "Administrator")
    fake.grant("1000.rep.2", user_id=rep)
    token = mint(client, refresh_token="1000.rep.2").json()["access_token"]
    response = client.get(
        f"{API}/Notes",
        params={"fields": "Note_Title"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert (response.status_code, code(response)) == (403, "NOT_SUPPORTED")


def test_a_token_without_the_scope_is_refused(http: tuple[FakeZoho, httpx.Client]) -> None:
    fake, client = http
    fake.grant("1000.users.only", scopes=("ZohoCRM.users.READ",))
    token = mint(client, refresh_token="1000.users.only").json()["access_token"]
    response = list_accounts(client, {"Authorization": f"Zoho-oauthtoken {token}"})
    assert (response.status_code, code(response)) == (401, "OAUTH_SCOPE_MISMATCH")


# -- limits ----------------------------------------------------------------------------------


def test_requests_beyond_the_concurrency_limit_get_429(big_org: FakeOrg) -> None:
    fake = FakeZoho(big_org, concurrency_limit=2, latency=0.05)
    statuses: list[int] = []
    with mount(fake), httpx.Client() as client:
        headers = auth(client)

        def call() -> None:
            statuses.append(list_accounts(client, headers, per_page=1).status_code)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses.count(200) >= 2
    assert 429 in statuses


def test_credits_run_out_with_a_header_and_429(big_org: FakeOrg) -> None:
    fake = FakeZoho(big_org, daily_credits=4)
    with mount(fake), httpx.Client() as client:
        headers = auth(client)
        first = list_accounts(client, headers, per_page=1)
        assert "X-API-CREDITS-REMAINING" not in first.headers
        list_accounts(client, headers, per_page=1)
        half = list_accounts(client, headers, per_page=1)
        assert half.headers["X-API-CREDITS-REMAINING"] == "1"
        deleted = client.get(f"{API}/Accounts/deleted", headers=headers)  # costs 2
        assert (deleted.status_code, code(deleted)) == (429, "TOO_MANY_REQUESTS")
        assert deleted.headers["X-API-CREDITS-REMAINING"] == "0"


def test_the_same_fake_serves_on_loopback(big_org: FakeOrg) -> None:
    fake = FakeZoho(big_org)
    with running(fake) as base, httpx.Client() as client:
        token = client.post(
            f"{base}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
            },
        ).json()
        assert token["api_domain"] == base
        page = client.get(
            f"{base}/crm/v8/Accounts",
            params={"fields": "Account_Name", "per_page": 2},
            headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
        )
        assert page.status_code == 200
        assert len(page.json()["data"]) == 2
        stats = client.get(f"{base}/__fake__/stats").json()
        assert stats["requests"] == {"/crm/v8/Accounts": 1}
