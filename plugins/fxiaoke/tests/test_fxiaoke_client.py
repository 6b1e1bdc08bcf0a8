"""The client: both token flows, token reuse, pacing, and every errorCode class."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import httpx
import pytest
import respx
from hub_fxiaoke.client import LEGACY_TOKEN_PATH, FxiaokeClient
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.errors import Action, classify
from hub_fxiaoke.fake import FakeFxiaoke
from hub_fxiaoke.paging import CUSTOM_QUERY, PRESET_QUERY, query_body
from hub_fxiaoke.ratelimit import Windows
from hub_fxiaoke.settings import FxiaokeSettings
from hub_fxiaoke.testing import assert_paced

from hub.adapters.tokens import MemoryTokenStore, Token
from hub.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    QuotaExhausted,
    SourceDataError,
    SourceError,
    SourceUnreachable,
)

QUERY = query_body("AccountObj", None, None, count=False, limit=1)


def client_for(settings: dict[str, Any], **overrides: Any) -> FxiaokeClient:
    return FxiaokeClient(FxiaokeSettings.model_validate({**settings, **overrides}))


# -- the two auth flows ---------------------------------------------------------------


def test_corp_access_token_flow_puts_credentials_in_the_body(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    token_call, query_call = fake.counters.recent
    assert token_call.url.path == "/cgi/corpAccessToken/get/V2"
    assert json.loads(token_call.content) == {
        "appId": fake.app_id,
        "appSecret": fake.app_secret,
        "permanentCode": fake.permanent_code,
    }
    body = json.loads(query_call.content)
    assert body["corpId"] == fake.corp_id
    assert body["currentOpenUserId"] == settings["operator_user_id"]
    assert body["corpAccessToken"]
    assert "authorization" not in query_call.headers


def test_oauth_flow_sends_bearer_and_fs_headers(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(fake.settings(settings["host"], "oauth"))
    answer = client.post(PRESET_QUERY, QUERY)
    token_call, query_call = fake.counters.recent
    assert token_call.url.path == "/oauth2.0/token"
    assert json.loads(token_call.content)["grantType"] == "app_secret"
    headers = query_call.headers
    assert headers["authorization"].startswith("Bearer ")
    assert headers["x-fs-ea"] == fake.ea
    assert headers["x-fs-userid"] == "1000"
    assert "corpAccessToken" not in json.loads(query_call.content)
    assert answer["data"]["dataList"][0]["owner"][0].isdigit()  # numeric ids with oauth


def test_every_request_carries_a_fresh_third_trace_id(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    fake.fail(-1, times=2)  # retries are new requests and get new ids too
    for _ in range(5):
        client.post(PRESET_QUERY, QUERY)
    ids = fake.counters.trace_ids
    assert fake.counters.missing_trace_ids == 0
    assert len(ids) == 8  # 1 token + 2 refused + 5 answered
    assert len(set(ids)) == len(ids)


# -- token lifetime ---------------------------------------------------------------------


def test_token_is_reused_until_shortly_before_expiry(
    fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    client = client_for(settings)
    for _ in range(20):
        client.post(PRESET_QUERY, QUERY)
    assert fake.counters.token_calls == 1
    first = client.tokens.get().value
    vclock.advance(6500)
    assert client.tokens.get().value == first  # still well inside its 7200 s
    vclock.advance(200)  # 6700 s: inside the documented re-issue window
    client.post(PRESET_QUERY, QUERY)
    assert fake.counters.token_calls == 2
    assert client.tokens.get().value != first


def test_expired_token_mid_run_is_refreshed_once_and_the_call_succeeds(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    fake.expire_tokens()
    answer = client.post(PRESET_QUERY, QUERY)
    assert answer["errorCode"] == 0
    assert fake.counters.token_calls == 2
    assert fake.counters.answered[20016] == 1


def test_a_token_refused_twice_is_an_auth_error(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    fake.fail(20016, times=2)
    with pytest.raises(AuthError, match="20016") as caught:
        client.post(PRESET_QUERY, QUERY)
    assert caught.value.exit_code == ExitCode.SOURCE
    assert fake.counters.token_calls == 2  # refreshed exactly once


def test_a_replacement_that_expired_before_this_call_used_it_is_replaced_again(
    tenant: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    """The race that made a sync exit 4: thread M is refused its token reused from an
    earlier run; meanwhile thread A minted a new one, which then expired before M
    used it. M's second refusal is an expiry, not bad credentials: M mints again."""
    store = MemoryTokenStore()
    stale = Token("0" * 32, tenant.clock.time() + 7000, {"tenant": tenant.corp_id})
    client = FxiaokeClient(FxiaokeSettings.model_validate(settings), tokens=store)
    store.save(client.tokens._key, stale)  # minted against another tenant's fake
    m_sent, a_done = threading.Event(), threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        response = tenant.handle(request)
        if threading.current_thread().name == "M" and not m_sent.is_set():
            m_sent.set()  # M's first call was refused with the stale token...
            a_done.wait(10)  # ...and answers only after A's token expired
        return response

    def a_then_expire() -> None:
        m_sent.wait(10)
        client.post(PRESET_QUERY, QUERY)  # A: stale token refused, mints T1, answered
        tenant.expire_tokens()  # T1 stops working before M uses it
        a_done.set()

    results: list[Any] = []
    with respx.mock() as router:
        router.route().mock(side_effect=answer)
        m = threading.Thread(
            target=lambda: results.append(client.post(PRESET_QUERY, QUERY)), name="M"
        )
        a = threading.Thread(target=a_then_expire, name="A")
        m.start(), a.start()
        m.join(20), a.join(20)
    assert results and results[0]["errorCode"] == 0
    assert tenant.counters.answered[20016] == 3  # stale (M, A), then T1 (M)
    assert tenant.counters.token_calls == 2  # T1 by A, T2 by M


def test_tokens_are_never_minted_concurrently(fake: FakeFxiaoke, settings: dict[str, Any]) -> None:
    client = client_for(settings)
    tokens = []
    threads = [
        threading.Thread(target=lambda: tokens.append(client.tokens.get().value)) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.counters.token_calls == 1
    assert len(set(tokens)) == 1


def test_token_calls_stay_within_ten_a_minute(
    fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    client = client_for(settings)
    start = vclock.time()
    for _ in range(25):  # a token refused again and again: each refresh mints
        client.tokens.invalidate(client.tokens.get().value)
    assert fake.counters.token_calls == 25
    assert fake.counters.answered.get(30004, 0) == 0
    assert vclock.time() - start >= 120  # 25 mints need at least two full minutes


# -- pacing -------------------------------------------------------------------------------------


def test_pacing_never_trips_the_documented_rate_limit(
    fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    client = client_for(settings)
    start = vclock.time()
    for _ in range(250):
        client.post(PRESET_QUERY, QUERY)
    assert fake.counters.answered.get(30004, 0) == 0
    assert 40 <= vclock.time() - start < 45  # bursts of 100, then one window per 100


def test_a_lower_purchased_limit_is_honoured(
    fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    fake.calls_per_20s = 30
    client = client_for(settings, calls_per_20s=30)
    for _ in range(100):
        client.post(PRESET_QUERY, QUERY)
    assert fake.counters.answered.get(30004, 0) == 0


def test_rate_limit_answers_from_other_programs_are_retried(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    other = FxiaokeClient(  # another program using the same tenant: windows of its own
        FxiaokeSettings.model_validate(settings), windows=Windows()
    )
    for _ in range(99):
        other.post(PRESET_QUERY, QUERY)
    for _ in range(5):
        assert client.post(PRESET_QUERY, QUERY)["errorCode"] == 0
    assert fake.counters.answered[30004] >= 1


# -- errorCodes → classes ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [-2, -1, 14001, 30004, 50009])
def test_transient_codes_are_retried_with_backoff(
    code: int, fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    fake.fail(code, times=3)
    before = vclock.slept
    assert client.post(PRESET_QUERY, QUERY)["errorCode"] == 0
    assert vclock.slept - before >= 1.0 + 2.0  # exponential: at least 1 s, then 2 s


def test_transient_codes_give_up_as_unreachable(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    fake.fail(-1, times=100)
    with pytest.raises(SourceUnreachable, match="system busy"):
        client.post(PRESET_QUERY, QUERY)


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        (30002, QuotaExhausted, "daily OpenAPI quota exhausted"),
        (30003, SourceError, "bought no OpenAPI call quota"),
        (20022, AuthError, "not authorised the app"),
        (20021, AuthError, "disabled"),
        (15003, AuthError, "no access permission"),
        (20014, AuthError, "denied permission"),
        (20012, ConfigError, "operator_user_id"),
        (32000, SourceDataError, "refused the request"),
        (10013, SourceDataError, "offset out of range"),
    ],
)
def test_business_error_codes_map_to_classes(
    code: int, error: type[Exception], words: str, fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    fake.fail(code)
    with pytest.raises(error, match=words) as caught:
        client.post(PRESET_QUERY, QUERY)
    assert f"errorCode {code}" in str(caught.value)
    assert fake.counters.answered[code] == 1  # failed fast: no retry


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"app_secret": "0" * 32}, "appSecret is missing or illegal"),
        ({"permanent_code": "F" * 32}, "permanentCode is wrong"),
        ({"app_id": "FSAID_other"}, "appId or appSecret is wrong"),
    ],
)
@pytest.mark.parametrize("flow", ["legacy", "oauth"])
def test_wrong_credentials_fail_fast_on_both_token_endpoints(
    change: dict[str, str], words: str, flow: str, fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = client_for({**fake.settings(settings["host"], flow), **change})
    with pytest.raises(AuthError, match=words) as caught:
        client.tokens.get()
    assert caught.value.exit_code == ExitCode.SOURCE
    assert fake.counters.token_calls == 1
    for secret in change.values():
        assert secret not in str(caught.value)


def test_decisions_never_depend_on_the_message_text() -> None:
    assert classify(30002)[0] is Action.QUOTA
    assert classify(10006, token_endpoint=True)[0] is Action.CREDENTIALS
    assert classify(10006)[0] is Action.REQUEST
    assert classify(987654)[0] is Action.REQUEST


@pytest.mark.parametrize("said", ["daily quota exhausted", "system busy", "", "成功"])
def test_same_code_same_outcome_whatever_the_message(said: str, settings: dict[str, Any]) -> None:
    answers = iter(
        [
            {"errorCode": 0, "corpAccessToken": "T" * 32, "corpId": "FSCID_X", "expiresIn": 7200},
            {"errorCode": 30002, "errorMessage": said},
        ]
    )
    client = client_for(settings)
    with respx.mock() as router:
        router.route().mock(side_effect=lambda request: httpx.Response(200, json=next(answers)))
        with pytest.raises(QuotaExhausted):
            client.post(PRESET_QUERY, QUERY)


# -- HTTP-level trouble ---------------------------------------------------------------------------


def test_a_web_host_that_redirects_is_named_precisely(settings: dict[str, Any]) -> None:
    client = client_for(settings, host="https://www.fxiaoke.com")
    with respx.mock() as router:
        router.route().mock(return_value=httpx.Response(302, headers={"Location": "/"}))
        with pytest.raises(ConfigError, match="not an OpenAPI gateway") as caught:
            client.tokens.get()
    assert caught.value.exit_code == ExitCode.CONFIG  # the fix is `host` in hub.toml


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, html="<html><body>纷享销客 官网</body></html>"),
        httpx.Response(404, html="<html>Not Found</html>"),
        httpx.Response(501, text="Not Implemented"),
    ],
    ids=["html-200", "html-404", "501"],
)
def test_a_host_that_is_not_the_gateway_is_named_at_once_and_not_retried(
    settings: dict[str, Any], vclock: VirtualClock, answer: httpx.Response
) -> None:
    client = client_for(settings, host="https://crm.example.com")
    with respx.mock() as router:
        route = router.route().mock(return_value=answer)
        before = vclock.slept
        with pytest.raises(ConfigError, match="not the Fxiaoke OpenAPI gateway") as caught:
            client.tokens.get()
    assert route.call_count == 1 and vclock.slept == before  # not retried for 105 s
    assert "https://crm.example.com" in str(caught.value)  # the host is named, not masked
    assert caught.value.exit_code == ExitCode.CONFIG


def test_gateway_5xx_and_network_errors_are_retried(
    tenant: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    client = client_for(settings)
    trouble = iter(
        [
            httpx.Response(503, headers={"Retry-After": "7"}),
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
        ]
    )

    def flaky(request: httpx.Request) -> httpx.Response:
        if "token" in request.url.path.lower():
            return tenant.handle(request)
        item = next(trouble, None)
        if item is None:
            return tenant.handle(request)
        if isinstance(item, Exception):
            raise item
        return item

    with respx.mock() as router:
        router.route().mock(side_effect=flaky)
        before = vclock.slept
        assert client.post(PRESET_QUERY, QUERY)["errorCode"] == 0
    assert vclock.slept - before >= 7  # Retry-After honoured


def test_an_unreachable_host_is_source_unreachable(settings: dict[str, Any]) -> None:
    client = client_for(settings)
    with respx.mock() as router:
        router.route().mock(side_effect=httpx.ConnectError("connection refused"))
        with pytest.raises(SourceUnreachable, match="cannot connect") as caught:
            client.tokens.get()
    assert "open.fxiaoke.test" in str(caught.value)


def test_secrets_and_tokens_never_reach_logs_or_errors(
    fake: FakeFxiaoke, settings: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(settings)
    client.post(PRESET_QUERY, QUERY)
    token = client.tokens.get().value
    fake.fail(-1)
    fake.expire_tokens()
    client.post(PRESET_QUERY, QUERY)
    fake.fail(20022)
    with pytest.raises(AuthError) as caught:
        client.post(PRESET_QUERY, QUERY)
    text = caplog.text + str(caught.value)
    for secret in (fake.app_secret, fake.permanent_code, token, client.tokens.get().value):
        assert secret not in text


# -- one client, many threads (streams read side by side) ----------------------------------


def test_threads_sharing_a_client_share_one_rate_limit_and_one_token(
    fake: FakeFxiaoke,
    settings: dict[str, Any],
    vclock: VirtualClock,
    sends: dict[str, list[float]],
) -> None:
    client = client_for(settings)
    failures: list[BaseException] = []

    def stream() -> None:  # each thread alone would stay under the limit
        try:
            for _ in range(75):
                client.post(PRESET_QUERY, QUERY)
        except BaseException as exc:
            failures.append(exc)

    start = vclock.monotonic()
    threads = [threading.Thread(target=stream) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert fake.counters.queries["AccountObj"] == 300
    assert fake.counters.token_calls == 1
    assert len(sends[PRESET_QUERY]) >= 300
    assert_paced(sends[PRESET_QUERY], 100, 20.0)  # across all four threads together
    assert vclock.monotonic() - start >= 40  # 300 calls need two more windows


def test_token_calls_from_many_threads_stay_within_ten_a_minute(
    fake: FakeFxiaoke,
    settings: dict[str, Any],
    vclock: VirtualClock,
    sends: dict[str, list[float]],
) -> None:
    client = client_for(settings)

    def refused_again_and_again() -> None:
        for _ in range(8):
            client.tokens.invalidate(client.tokens.get().value)

    threads = [threading.Thread(target=refused_again_and_again) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.counters.token_calls > 10  # more than one minute's worth
    assert_paced(sends[LEGACY_TOKEN_PATH], 10, 60.0)
    assert fake.counters.answered.get(30004, 0) == 0  # never over the limit...
    assert fake.counters.answered.get(-1, 0) == 0  # ...and never two token calls at once


def test_each_interface_has_its_own_budget(
    fake: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    fake.add("object_Hk2p1__c", {"name": "季度回顾会", "owner": ["1001"]})
    custom = query_body("object_Hk2p1__c", None, None, count=False, limit=1)
    client = client_for(settings)
    start = vclock.monotonic()
    readers = [
        threading.Thread(target=lambda: [client.post(PRESET_QUERY, QUERY) for _ in range(100)]),
        threading.Thread(target=lambda: [client.post(CUSTOM_QUERY, custom) for _ in range(100)]),
    ]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    assert fake.counters.queries == {"AccountObj": 100, "object_Hk2p1__c": 100}
    assert vclock.monotonic() - start < 20  # 200 calls, no waiting: two budgets of 100
