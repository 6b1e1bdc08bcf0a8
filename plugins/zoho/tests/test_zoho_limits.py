"""Token reuse across runs, the token endpoint's throttle, adaptive concurrency and a fast
`hub check` (issue 16, points 3 to 5), against the fake Zoho."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hub_zoho.adapter import ZohoAdapter
from hub_zoho.auth import TokenThrottled
from hub_zoho.client import API
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.settings import ZohoSettings
from hub_zoho.testing import mount, zoho_settings

from hub.adapters.contract import ConnectionContext
from hub.cli import run as hub_cli
from hub.errors import AuthError, ExitCode, QuotaExhausted
from hub.testing import Project

LOG = logging.getLogger("test.zoho.limits")


def adapter_in(folder: Path, settings: dict[str, Any]) -> ZohoAdapter:
    """An adapter as `hub` builds it for a hub.toml in `folder` (one per run)."""
    context = ConnectionContext("zoho", ZoneInfo("Asia/Shanghai"), "CNY", folder, LOG)
    return ZohoAdapter(ZohoSettings.model_validate(settings), context)


@pytest.fixture
def medium_org() -> FakeOrg:
    org = FakeOrg()
    org.populate(
        {"Accounts": 250, "Calls": 300, "Tasks": 150, "Deals": 150, "Sales_Targets": 6}, seed=5
    )
    return org


def use_up_the_mints(fake: FakeZoho) -> None:
    """Other processes minted the ten tokens Zoho allows per refresh token in ten minutes."""
    fake._mint_times[fake.settings()["refresh_token"]] = [fake.clock()] * 10


# -- point 3: tokens ---------------------------------------------------------------------------


def test_ten_runs_in_ten_minutes_mint_one_token(
    fake: FakeZoho, settings: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_STATE_DIR")  # as a user runs it: .hub/ beside hub.toml
    for _ in range(12):  # a schedule, `hub check`, retries
        adapter = adapter_in(tmp_path, settings)
        try:
            assert adapter.check().ok
        finally:
            adapter.close()
    assert fake.stats.mints == 1 and fake.stats.token_throttled == 0
    (cached,) = (tmp_path / ".hub" / "tokens").iterdir()
    assert cached.stat().st_mode & 0o077 == 0
    assert settings["refresh_token"] not in cached.read_text()


def test_a_cached_token_zoho_no_longer_accepts_is_replaced(
    fake: FakeZoho, settings: dict[str, Any], tmp_path: Path
) -> None:
    first = adapter_in(tmp_path, settings)
    first.client.get(f"{API}/users", {"type": "CurrentUser"})
    first.close()
    fake.expire_tokens()  # an hour later, or revoked by a newer login
    second = adapter_in(tmp_path, settings)
    assert second.client.get(f"{API}/users", {"type": "CurrentUser"}).body
    assert (second.client.auth.reused, second.client.auth.minted, fake.stats.mints) == (1, 1, 2)
    second.close()
    third = adapter_in(tmp_path, settings)
    assert third.client.get(f"{API}/users", {"type": "CurrentUser"}).body
    assert fake.stats.mints == 2  # the replacement was kept for the next run


def test_a_reused_token_brings_its_api_domain(org: FakeOrg, tmp_path: Path) -> None:
    fake = FakeZoho(org, dc="eu")
    with mount(fake):
        settings = zoho_settings(fake)
        adapter_in(tmp_path, settings).client.get(f"{API}/users", {"type": "CurrentUser"})
        again = adapter_in(tmp_path, settings)
        assert again.client.api_domain == "https://www.zohoapis.eu"
        assert again.client.get(f"{API}/users", {"type": "CurrentUser"}).body
    assert fake.stats.mints == 1


def test_token_reuse_can_be_turned_off(
    fake: FakeZoho, settings: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TOKEN_CACHE", "off")
    for _ in range(2):
        adapter_in(tmp_path, settings).client.auth.token()
    assert fake.stats.mints == 2


def test_a_throttled_token_endpoint_is_asked_once_and_the_run_stops_with_exit_6(
    fake: FakeZoho, settings: dict[str, Any], tmp_path: Path
) -> None:
    use_up_the_mints(fake)
    adapter = adapter_in(tmp_path, settings)
    for _ in range(3):  # every thread of the run asks; only the first request is sent
        with pytest.raises(TokenThrottled) as caught:
            adapter.client.auth.token()
    assert fake.stats.token_requests == 1 and fake.stats.token_throttled == 1
    error = caught.value
    assert isinstance(error, QuotaExhausted) and error.exit_code == ExitCode.QUOTA
    assert "400 Access Denied" in str(error) and "wait ten minutes" in str(error)
    result = adapter.check()
    assert not result.ok and result.exit_code == ExitCode.QUOTA
    assert fake.stats.token_requests == 1


def test_each_request_while_throttled_extends_the_block(fake: FakeZoho) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    use_up_the_mints(fake)
    form = {k: v for k, v in fake.settings().items() if k != "dc"}

    def ask() -> int:
        data = {"grant_type": "refresh_token", **form}
        return httpx.post("https://accounts.zoho.com/oauth/v2/token", data=data).status_code

    assert ask() == 400
    now[0] += 599  # the mints age out, but the throttled request restarted the block
    assert ask() == 400
    now[0] += 599
    assert ask() == 400  # still: each ask extends it
    now[0] += 601
    assert ask() == 200


def test_a_sync_throttled_at_the_token_endpoint_exits_6_with_the_cause(
    tmp_path: Path, fake: FakeZoho
) -> None:
    use_up_the_mints(fake)
    project = Project(tmp_path / "p")
    project.configure({"zoho": {"adapter": "zoho", **zoho_settings(fake)}})
    report = project.sync()
    assert report.exit_code == ExitCode.QUOTA
    assert fake.stats.token_requests == 1  # five streams, one request
    assert any("400 Access Denied" in (r.error or "") for r in report.results)
    assert hub_cli(["-C", str(project.config_path), "sync"]) == ExitCode.QUOTA
    assert fake.stats.token_requests == 2  # one per run, never retried


def test_tokens_refused_by_the_api_then_a_throttle_name_the_refusals(
    fake: FakeZoho, settings: dict[str, Any], tmp_path: Path
) -> None:
    """Expiries racing each other made the run mint until the endpoint throttled: the
    message says what made it ask, and the credentials were fine (exit 6)."""
    adapter = adapter_in(tmp_path, settings)
    client = adapter.client
    client.get(f"{API}/users", {"type": "CurrentUser"})  # a token that worked
    fake.inject("expire_token", times=100)
    with pytest.raises(TokenThrottled) as caught:
        for _ in range(20):
            client.get(f"{API}/users", {"type": "CurrentUser"})
    assert "refused" in str(caught.value) and "GET /crm/v8/users: INVALID_TOKEN" in str(
        caught.value
    )
    assert fake.stats.token_throttled == 1  # stopped at the first throttle


def test_a_wrong_api_domain_that_leads_to_the_throttle_is_named_as_the_cause(
    org: FakeOrg, tmp_path: Path
) -> None:
    fake = FakeZoho(org, dc="eu")
    with mount(fake):
        settings = zoho_settings(fake, api_domain="https://www.zohoapis.com")  # the US host
        fake._mint_times[settings["refresh_token"]] = [fake.clock()] * 9  # one mint left
        client = adapter_in(tmp_path, settings).client
        with pytest.raises(AuthError) as caught:
            client.get(f"{API}/users", {"type": "CurrentUser"})
    message = str(caught.value)
    assert "https://www.zohoapis.com refused 1 access token(s)" in message
    assert "another data centre" in message
    assert caught.value.exit_code == ExitCode.SOURCE  # the fix is not waiting
    assert fake.stats.token_throttled == 1


# -- point 4: concurrency ------------------------------------------------------------------------


def learned_limits() -> dict[str, Any]:
    folder = Path(os.environ["HUB_STATE_DIR"]) / "limits"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def test_an_edition_allowing_two_calls_settles_near_two_and_the_next_run_starts_there(
    tmp_path: Path, medium_org: FakeOrg
) -> None:
    fake = FakeZoho(medium_org, concurrency_limit=2, latency=0.003)
    with mount(fake):
        retry = {"attempts": 12, "initial_wait": 0.002, "max_wait": 0.05}
        project = Project(tmp_path / "p")
        project.configure({"zoho": {"adapter": "zoho", **zoho_settings(fake, retry=retry)}})
        assert project.sync().exit_code == ExitCode.OK
        throttled = fake.stats.statuses[429]
        requests = sum(fake.stats.requests.values())
        # the default 5 in flight against 2 allowed: cut at once, not hit again and again
        assert 0 < throttled <= 12, (throttled, requests)
        (learned,) = learned_limits().values()
        assert 1 <= learned["limit"] < 4 and learned["throttled_at"] >= 3
        fake.stats = type(fake.stats)()
        for _ in range(3):
            assert project.sync(full_refresh=True).exit_code == ExitCode.OK
            (learned,) = learned_limits().values()
        # each run started from what the one before learned, and the limit settled at 2
        assert fake.stats.statuses[429] <= 3
        assert int(learned["limit"]) == 2


# -- point 5: a fast `hub check` ---------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_against_a_closed_port_gives_up_after_a_short_wait(tmp_path: Path) -> None:
    port = closed_port()
    settings = {
        "accounts_url": f"http://127.0.0.1:{port}",
        "client_id": "1000.X",
        "client_secret": "s",
        "refresh_token": "r",
    }  # the production backoff: a sync would wait over a minute before giving up
    adapter = adapter_in(tmp_path, settings)
    waits: list[float] = []
    adapter.client.use_retry(dataclasses.replace(adapter.client.retry, sleep=waits.append))
    result = adapter.check()
    assert not result.ok and result.exit_code == ExitCode.SOURCE
    assert "cannot connect" in result.message and f"127.0.0.1:{port}" in result.message
    assert len(waits) <= 2 and sum(waits) <= 3, waits


def test_hub_check_against_a_closed_port_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    project = Project(tmp_path / "p")
    project.configure(
        {
            "zoho": {
                "adapter": "zoho",
                "accounts_url": f"http://127.0.0.1:{port}",
                "client_id": "1000.X",
                "client_secret": "s",
                "refresh_token": "r",
            }
        }
    )
    code = hub_cli(["-C", str(project.config_path), "check"])
    out = capsys.readouterr().out
    assert code == ExitCode.SOURCE
    (line,) = [line for line in out.splitlines() if "FAIL" in line]
    assert "cannot connect" in line and f"127.0.0.1:{port}" in line
