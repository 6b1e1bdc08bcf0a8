"""Auth, data centres, error mapping and `check`, against the fake accounts server and API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from hub_zoho.adapter import ZohoAdapter
from hub_zoho.auth import TokenRefused, environment_domain, mint
from hub_zoho.client import API, TOKEN_ATTEMPTS, ZohoClient
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.settings import ZohoSettings
from hub_zoho.testing import SMALL_ORG, mount, zoho_settings

from hub import secrets
from hub.adapters.contract import ConnectionContext
from hub.errors import AuthError, ExitCode, QuotaExhausted, SourceUnreachable

LOG = logging.getLogger("test.zoho")


def client_for(settings: dict[str, Any]) -> ZohoClient:
    return ZohoClient(ZohoSettings.model_validate(settings), LOG)


def adapter_for(settings: dict[str, Any]) -> ZohoAdapter:
    context = ConnectionContext("zoho", ZoneInfo("Asia/Shanghai"), "CNY", Path("."), LOG)
    return ZohoAdapter(ZohoSettings.model_validate(settings), context)


@pytest.fixture
def eu_fake(org: FakeOrg) -> Iterator[FakeZoho]:
    fake = FakeZoho(org, dc="eu")
    with mount(fake):
        yield fake
    secrets.clear()


# -- tokens -----------------------------------------------------------------------------------


def test_one_token_is_minted_for_many_requests_on_many_threads(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                client.get(f"{API}/users", {"type": "CurrentUser"})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert fake.stats.mints == 1
    assert fake.stats.requests[f"{API}/users"] == 40


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"client_id": "1000.NOSUCHCLIENT"}, "invalid_client", "does not know client id"),
        ({"client_secret": "wrong-secret-value"}, "invalid_client_secret", "client_secret does"),
        ({"refresh_token": "1000.revoked.0"}, "invalid_code", "revoked"),
    ],
)
def test_an_error_in_a_200_token_answer_is_an_auth_failure(
    fake: FakeZoho, settings: dict[str, Any], change: dict[str, str], error: str, words: str
) -> None:
    client = client_for({**settings, **change})
    with pytest.raises(TokenRefused) as caught:
        client.get(f"{API}/users")
    assert caught.value.error == error
    assert words in str(caught.value)
    assert caught.value.exit_code == ExitCode.SOURCE
    for value in change.values():
        if "secret" in value or "revoked" in value:
            assert value not in str(caught.value)
    assert fake.stats.requests[f"{API}/users"] == 0


def test_the_minted_token_is_redacted_everywhere(fake: FakeZoho, settings: dict[str, Any]) -> None:
    client = client_for(settings)
    token = client.auth.token()
    assert secrets.redact(f"Authorization: Zoho-oauthtoken {token}").endswith("***")


def test_legacy_expiry_in_milliseconds_is_understood() -> None:
    with respx.mock() as router:
        router.post("https://accounts.zoho.com/oauth/v2/token").respond(
            200,
            json={
                "access_token": "1000.abc.def",
                "expires_in": 3_600_000,
                "expires_in_sec": 3600,
                "api_domain": "https://www.zohoapis.com",
            },
        )
        minted = mint(httpx.Client(), "https://accounts.zoho.com", "1000.X", "s", "r")
    assert minted.expires_in == 3600


def test_token_endpoint_throttling_is_not_retried(fake: FakeZoho) -> None:
    for _ in range(10):
        client_for(zoho_settings(fake)).auth.token()  # ten mints in ten minutes: the maximum
    client = client_for(zoho_settings(fake))
    with pytest.raises(QuotaExhausted, match="400 Access Denied"):
        client.auth.token()
    assert fake.stats.token_requests == 11


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.get(f"{API}/users", {"type": "CurrentUser"})
    fake.expire_tokens()
    answer = client.get(f"{API}/users", {"type": "CurrentUser"})
    assert answer.body and answer.body["users"]
    assert fake.stats.mints == 2


def test_a_replacement_token_that_worked_and_expired_too_is_replaced_again(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    """Threads share the token: while one request waits to repeat itself with the
    replacement, others use that replacement, and it may expire in turn."""
    client = client_for(settings)
    client.get(f"{API}/users", {"type": "CurrentUser"})
    fake.expire_tokens()
    send, sent = client._send, []

    def others_use_the_replacement_meanwhile(*args: Any) -> httpx.Response:
        sent.append(args[-1])
        if len(sent) == 2:  # the repeat, with the replacement token
            client.get(f"{API}/users", {"type": "CurrentUser"})  # another thread: it works
            fake.expire_tokens()  # ... and then it expires
        return send(*args)

    client._send = others_use_the_replacement_meanwhile  # type: ignore[method-assign]
    answer = client.get(f"{API}/users", {"type": "AllUsers"})
    assert answer.body and answer.body["users"]
    assert fake.stats.mints == 3
    assert len(set(sent)) == 3


def test_a_fresh_token_refused_too_is_an_auth_error(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    fake.token_lifetime = 0.0  # every token is refused at once: nothing ever worked
    client = client_for(settings)
    with pytest.raises(AuthError, match="refused a freshly minted token"):
        client.get(f"{API}/users")
    assert fake.stats.mints == 2  # replaced once, not again and again


def test_refusals_after_tokens_worked_are_retried_a_bounded_number_of_times(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.get(f"{API}/users", {"type": "CurrentUser"})
    fake.expire_tokens()
    fake.token_lifetime = 0.0  # every new token is refused at once
    with pytest.raises(AuthError, match="refused a freshly minted token"):
        client.get(f"{API}/users")
    assert fake.stats.mints == TOKEN_ATTEMPTS  # the expired one, then one per repeat


def test_a_replacement_refused_before_its_success_is_seen_is_still_an_expiry(
    fake: FakeZoho, settings: dict[str, Any]
) -> None:
    """Another thread's success with the replacement may still be on its way back
    when this thread's repeat is refused: the connection has proven itself, so the
    refusal is an expiry (the race that made a mid-run expiry look like bad
    credentials)."""
    client = client_for(settings)
    client.get(f"{API}/users", {"type": "CurrentUser"})
    fake.expire_tokens()
    send, sent = client._send, []

    def replacement_expires_at_once(*args: Any) -> httpx.Response:
        sent.append(args[-1])
        if len(sent) == 2:
            fake.expire_tokens()  # the replacement expires before this thread used it
        return send(*args)

    client._send = replacement_expires_at_once  # type: ignore[method-assign]
    answer = client.get(f"{API}/users", {"type": "AllUsers"})
    assert answer.body and answer.body["users"]
    assert len(set(sent)) == 3


def test_a_missing_scope_is_named(fake: FakeZoho) -> None:
    fake.grant("1000.noscope.1", scopes=("ZohoCRM.modules.ALL",))
    client = client_for(zoho_settings(fake, refresh_token="1000.noscope.1"))
    with pytest.raises(AuthError, match=r"lacks the scope ZohoCRM\.users\.READ"):
        client.get(f"{API}/users")


# -- data centres ----------------------------------------------------------------------------


def test_the_api_domain_of_the_token_answer_is_called(eu_fake: FakeZoho) -> None:
    client = client_for(zoho_settings(eu_fake))
    assert client.settings.dc == "eu"
    client.get(f"{API}/users")
    assert client.auth.api_domain == "https://www.zohoapis.eu"
    assert eu_fake.stats.requests[f"{API}/users"] == 1


@pytest.mark.parametrize(
    ("dc", "server"), [("ca", "https://accounts.zohocloud.ca"), ("sa", "https://accounts.zoho.sa")]
)
def test_canada_and_saudi_arabia_have_their_own_accounts_servers(
    org: FakeOrg, dc: str, server: str
) -> None:
    fake = FakeZoho(org, dc=dc)
    with mount(fake):
        client = client_for(zoho_settings(fake))
        client.get(f"{API}/users")
    assert client.auth.server == server
    assert fake.stats.mints == 1


def test_an_explicit_accounts_url_and_api_domain_are_used(org: FakeOrg) -> None:
    fake = FakeZoho(
        org, accounts_url="https://sso.corp.example", api_domain="https://crm.corp.example"
    )
    with mount(fake):
        client = client_for(zoho_settings(fake))
        assert client.settings.accounts_url == "https://sso.corp.example"
        client.get(f"{API}/users")
        # An override wins over the token answer (here: the wrong data centre's host).
        wrong = client_for(zoho_settings(fake, api_domain="https://www.zohoapis.com.au"))
        with pytest.raises(
            AuthError, match=r"www\.zohoapis\.com\.au refused a freshly minted token"
        ):
            wrong.get(f"{API}/users")


def test_sandbox_and_developer_environments_use_their_hosts() -> None:
    assert environment_domain("https://www.zohoapis.eu", "sandbox") == "https://sandbox.zohoapis.eu"
    assert (
        environment_domain("https://www.zohoapis.eu", "developer")
        == "https://developer.zohoapis.eu"
    )
    assert environment_domain("https://www.zohoapis.eu", "production") == "https://www.zohoapis.eu"


# -- transient failures and quota ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "timeout", "disconnect"])
def test_transient_failures_are_retried(
    fake: FakeZoho, settings: dict[str, Any], kind: str
) -> None:
    client = client_for(settings)
    fake.inject(kind, times=3, path="/users")
    answer = client.get(f"{API}/users")
    assert answer.body and answer.body["users"]


def test_a_429_that_outlasts_the_retries_is_quota_exhausted(fake: FakeZoho) -> None:
    client = client_for(
        zoho_settings(fake, retry={"attempts": 3, "initial_wait": 0, "max_wait": 0.01})
    )
    fake.inject("429", times=10, path="/users")
    with pytest.raises(QuotaExhausted, match="API credits"):
        client.get(f"{API}/users")


def test_no_credits_left_stops_at_once(org: FakeOrg) -> None:
    fake = FakeZoho(org, daily_credits=3)
    with mount(fake):
        client = client_for(zoho_settings(fake))
        for _ in range(3):
            client.get(f"{API}/users")
        assert client.credits_remaining == 0  # Zoho's header, sent once half is spent
        with pytest.raises(QuotaExhausted, match="used up"):
            client.get(f"{API}/users")
    assert fake.stats.statuses[429] == 1  # not retried


def test_a_dead_network_is_source_unreachable(org: FakeOrg) -> None:
    settings = zoho_settings(FakeZoho(org))  # not mounted: nothing answers
    with respx.mock() as router:
        router.route().mock(side_effect=httpx.ConnectError("connection refused"))
        client = client_for(
            {**settings, "retry": {"attempts": 2, "initial_wait": 0, "max_wait": 0.01}}
        )
        with pytest.raises(SourceUnreachable, match="cannot connect") as caught:
            client.get(f"{API}/users")
    assert caught.value.exit_code == ExitCode.SOURCE


# -- check -------------------------------------------------------------------------------------


def test_check_signs_in_and_lists_what_it_reads(fake: FakeZoho, settings: dict[str, Any]) -> None:
    result = adapter_for(settings).check()
    assert result.ok, result.message
    assert "signed in as Grace Hopper (Administrator)" in result.message
    assert "activities from Calls+Tasks+Events+Notes+Deals" in result.message


def test_check_names_a_bad_client_id(fake: FakeZoho, settings: dict[str, Any]) -> None:
    result = adapter_for({**settings, "client_id": "1000.TYPO"}).check()
    assert not result.ok
    assert "does not know client id 1000.TYPO (invalid_client)" in result.message
    assert result.exit_code == ExitCode.SOURCE


def test_check_names_a_revoked_refresh_token(fake: FakeZoho, settings: dict[str, Any]) -> None:
    fake.revoke()
    result = adapter_for(settings).check()
    assert not result.ok
    assert "refused the refresh token (invalid_code)" in result.message
    assert settings["refresh_token"] not in result.message
    assert result.exit_code == ExitCode.SOURCE


def test_check_finds_the_right_data_centre(eu_fake: FakeZoho) -> None:
    result = adapter_for(zoho_settings(eu_fake, dc="us")).check()
    assert not result.ok
    assert result.message.startswith("wrong data centre:")
    assert 'set dc = "eu"' in result.message
    assert result.exit_code == ExitCode.SOURCE  # Zoho refuses the client, as for a typo


def test_check_names_a_missing_scope(fake: FakeZoho) -> None:
    fake.grant("1000.nofields.1", scopes=("ZohoCRM.modules.ALL", "ZohoCRM.users.READ"))
    result = adapter_for(zoho_settings(fake, refresh_token="1000.nofields.1")).check()
    assert not result.ok
    assert "ZohoCRM.settings.fields.READ (OAUTH_SCOPE_MISMATCH)" in result.message
    assert result.exit_code == ExitCode.SOURCE


def test_check_says_notes_need_an_administrator(fake: FakeZoho, org: FakeOrg) -> None:
    rep = next(u for u, v in org.users.items() if v["profile"]["name"] != "Administrator")
    fake.grant("1000.rep.1", user_id=rep)
    result = adapter_for(zoho_settings(fake, refresh_token="1000.rep.1")).check()
    assert not result.ok
    assert "only Zoho administrators may list Notes" in result.message
    assert result.exit_code == ExitCode.SOURCE
    without_notes = zoho_settings(
        fake, refresh_token="1000.rep.1", activities=["Calls", "Tasks", "Events", "Deals"]
    )
    assert adapter_for(without_notes).check().ok


def test_check_names_a_misspelt_field(fake: FakeZoho, settings: dict[str, Any]) -> None:
    result = adapter_for({**settings, "fields": {"customers": {"Customer_Teir": "tier"}}}).check()
    assert not result.ok
    assert "module Accounts has no field 'Customer_Teir'" in result.message
    assert result.exit_code == ExitCode.CONFIG  # the fix is in hub.toml


def test_check_names_a_misspelt_goals_module(fake: FakeZoho, settings: dict[str, Any]) -> None:
    goals = {"module": "Sales_Target", "currency": "Currency"}
    result = adapter_for({**settings, "goals": goals}).check()
    assert not result.ok
    assert "Sales_Target" in result.message and "INVALID_MODULE" in result.message
    assert result.exit_code == ExitCode.CONFIG


def test_check_with_a_config_and_a_credential_problem_exits_with_the_config_code(
    fake: FakeZoho, org: FakeOrg
) -> None:
    rep = next(u for u, v in org.users.items() if v["profile"]["name"] != "Administrator")
    fake.grant("1000.rep.1", user_id=rep)
    fields = {"customers": {"Customer_Teir": "tier"}}
    result = adapter_for(zoho_settings(fake, refresh_token="1000.rep.1", fields=fields)).check()
    assert "only Zoho administrators may list Notes" in result.message
    assert "no field 'Customer_Teir'" in result.message
    assert result.exit_code == ExitCode.CONFIG  # the hub ranks 2 above 4, as `hub sync` does


def test_check_of_a_single_currency_org_asks_for_the_currency(
    fake: FakeZoho, org: FakeOrg, settings: dict[str, Any]
) -> None:
    org.modules["Deals"].fields = [
        f for f in org.modules["Deals"].fields if f.api_name != "Currency"
    ]
    result = adapter_for(settings).check()
    assert not result.ok
    assert "single currency" in result.message
    assert result.exit_code == ExitCode.CONFIG
    assert adapter_for({**settings, "currency": "USD"}).check().ok


def test_check_of_an_unreachable_token_server(org: FakeOrg) -> None:
    settings = zoho_settings(FakeZoho(org))  # not mounted: nothing answers
    with respx.mock() as router:
        router.route().mock(side_effect=httpx.ConnectError("no route"))
        result = adapter_for({**settings, "retry": {"attempts": 1, "max_wait": 0.01}}).check()
    assert not result.ok
    assert "cannot connect" in result.message
    assert result.exit_code == ExitCode.SOURCE


def test_small_org_fixture_is_what_tests_expect(org: FakeOrg) -> None:
    assert {m: len(org.ids(m)) for m in SMALL_ORG} == SMALL_ORG
