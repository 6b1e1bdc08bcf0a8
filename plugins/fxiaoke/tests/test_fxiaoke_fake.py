"""The fake Fxiaoke enforces what the reference documents, over respx and loopback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.fake import SHANGHAI, DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.server import FakeServer
from hub_fxiaoke.testing import HOST


class Raw:
    """Plain requests to the fake, as any HTTP client would send them."""

    def __init__(self, fake: FakeFxiaoke, oauth: bool = False) -> None:
        self.fake = fake
        self.oauth = oauth
        self.http = httpx.Client(base_url=HOST)
        path = "/oauth2.0/token" if oauth else "/cgi/corpAccessToken/get/V2"
        body = {
            "appId": fake.app_id,
            "appSecret": fake.app_secret,
            "permanentCode": fake.permanent_code,
            "grantType": "app_secret",
        }
        self.token = self.http.post(path, json=body).json()

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.oauth:
            headers = {
                "authorization": f"Bearer {self.token['accessToken']}",
                "x-fs-ea": self.fake.ea,
                "x-fs-userid": "1000",
            }
            return self.http.post(path, json=payload, headers=headers).json()
        body = {
            "corpAccessToken": self.token["corpAccessToken"],
            "corpId": self.token["corpId"],
            "currentOpenUserId": self.fake.operator(),
            **payload,
        }
        return self.http.post(path, json=body).json()

    def query(self, api: str = "AccountObj", **info: Any) -> dict[str, Any]:
        path = "/cgi/crm/custom/v2/data/query" if api.endswith("__c") else "/cgi/crm/v2/data/query"
        search = {"limit": 100, "offset": 0, **info}
        return self.post(path, {"data": {"dataObjectApiName": api, "search_query_info": search}})


@pytest.fixture
def raw(fake: FakeFxiaoke) -> Raw:
    return Raw(fake)


def code(answer: dict[str, Any]) -> int:
    return answer["errorCode"]


def test_every_answer_is_http_200_with_an_error_code_and_a_trace_id(fake: FakeFxiaoke) -> None:
    http = httpx.Client(base_url=HOST)
    response = http.post("/cgi/crm/v2/data/query", json={"data": {}})
    assert response.status_code == 200
    body = response.json()
    assert body["errorCode"] == 20017  # no credentials at all
    assert body["traceId"].startswith("E-O.")


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"limit": 101}, 32000),
        ({"limit": 0}, 32000),
        ({"limit": 100, "offset": 150}, 32000),
        ({"limit": 100, "offset": 10100}, 10013),
        ({"limit": 100, "offset": 10000}, 0),
        ({"filters": [{"field_name": "name", "operator": "NE", "field_values": ["x"]}]}, 32000),
    ],
)
def test_query_limits_and_operators(raw: Raw, info: dict[str, Any], expected: int) -> None:
    assert code(raw.query(**info)) == expected


def test_the_offset_wall_answers_10013_with_the_documented_message(raw: Raw) -> None:
    answer = raw.query(limit=100, offset=10100)
    assert answer["errorMessage"] == "offset out of range 10000"


def test_filters_orders_projection_and_total(raw: Raw, fake: FakeFxiaoke) -> None:
    owner = fake.employees["1001"].open_user_id
    answer = raw.query(
        filters=[{"field_name": "owner", "operator": "IN", "field_values": [owner]}],
        orders=[{"fieldName": "create_time", "isAsc": False}],
        fieldProjection=["name", "create_time"],
    )
    rows = answer["data"]["dataList"]
    mine = [r for r in fake.objects["AccountObj"].values() if r["owner"] == ["1001"]]
    assert answer["data"]["total"] == len(mine) == len(rows)
    assert [r["create_time"] for r in rows] == sorted(
        (r["create_time"] for r in mine), reverse=True
    )
    assert set(rows[0]) == {"_id", "name", "create_time"}
    since = sorted(r["last_modified_time"] for r in fake.objects["AccountObj"].values())[-3]
    recent = raw.query(
        filters=[
            {"field_name": "last_modified_time", "operator": "GTE", "field_values": [str(since)]}
        ]
    )
    assert len(recent["data"]["dataList"]) == 3


def test_custom_objects_only_on_the_custom_endpoint(raw: Raw, fake: FakeFxiaoke) -> None:
    fake.add("object_Hk2p1__c", {"name": "自定义"})
    assert code(raw.query("object_Hk2p1__c")) == 0
    preset = raw.post(
        "/cgi/crm/v2/data/query",
        {"data": {"dataObjectApiName": "object_Hk2p1__c", "search_query_info": {"limit": 10}}},
    )
    assert code(preset) == 32000


def test_employee_ids_follow_the_auth_flow(fake: FakeFxiaoke) -> None:
    legacy = Raw(fake).query(limit=1)["data"]["dataList"][0]["owner"][0]
    oauth = Raw(fake, oauth=True).query(limit=1)["data"]["dataList"][0]["owner"][0]
    assert legacy.startswith("FSUID_") and oauth.isdigit()
    assert fake.employees[oauth].open_user_id == legacy


def test_personnel_is_empty_until_the_tenant_allows_it(raw: Raw, fake: FakeFxiaoke) -> None:
    assert raw.query("PersonnelObj")["data"]["dataList"]
    fake.personnel_readable = False
    assert raw.query("PersonnelObj")["data"]["dataList"] == []


def test_token_rules(fake: FakeFxiaoke, vclock: VirtualClock) -> None:
    first = Raw(fake).token
    assert first["expiresIn"] == 7200
    vclock.advance(100)
    again = Raw(fake).token
    assert again["corpAccessToken"] == first["corpAccessToken"]  # same token in the first 6600 s
    assert again["expiresIn"] == 7100
    vclock.advance(6600)
    renewed = Raw(fake)
    assert renewed.token["corpAccessToken"] != first["corpAccessToken"]
    old = Raw.__new__(Raw)
    old.fake, old.oauth, old.http, old.token = fake, False, renewed.http, first
    assert code(old.query(limit=1)) == 0  # the old one works until its 7200 s are up
    vclock.advance(500)
    assert code(old.query(limit=1)) == 20016
    for _ in range(10):
        Raw(fake)
    assert Raw(fake).token["errorCode"] == 30004  # more than 10 token calls a minute


def test_per_interface_rate_limit_and_daily_quota(
    raw: Raw, fake: FakeFxiaoke, vclock: VirtualClock
) -> None:
    answers = [code(raw.query(limit=1)) for _ in range(101)]
    assert answers[:100] == [0] * 100 and answers[100] == 30004
    assert fake.used_today() == 101  # the refused call counts against the day's quota too
    assert code(raw.post("/cgi/department/list", {})) == 0  # another interface, another count
    vclock.advance(20)
    assert code(raw.query(limit=1)) == 0
    fake.daily_quota = fake.used_today()
    assert code(raw.query(limit=1)) == 30002
    now = dt.datetime.fromtimestamp(vclock.time(), SHANGHAI)
    next_midnight = dt.datetime.combine(now.date() + dt.timedelta(1), dt.time(), SHANGHAI)
    vclock.advance(next_midnight.timestamp() - vclock.time() + 1)  # quota resets at 00:00
    raw = Raw(fake)  # (the old token expired overnight)
    assert code(raw.query(limit=1)) == 0
    fake.quota_bought = False
    assert code(raw.query(limit=1)) == 30003


def test_a_tenant_can_count_its_calls_over_a_longer_window(
    raw: Raw, fake: FakeFxiaoke, vclock: VirtualClock
) -> None:
    fake.calls_per_20s, fake.window_seconds = 50, 60
    assert [code(raw.query(limit=1)) for _ in range(51)][-2:] == [0, 30004]
    vclock.advance(30)
    assert code(raw.query(limit=1)) == 30004  # 20 s would have passed; 60 s have not
    vclock.advance(30)
    assert code(raw.query(limit=1)) == 0


def test_offset_paging_skips_a_row_when_a_record_is_deleted_between_pages(
    raw: Raw, fake: FakeFxiaoke
) -> None:
    """Why the adapter pages by `_id` keyset from the first page on."""
    order = [{"fieldName": "_id", "isAsc": True}]
    everyone = sorted(fake.objects["AccountObj"])
    first = raw.query(limit=10, orders=order)["data"]["dataList"]
    fake.invalidate("AccountObj", first[0]["_id"])
    fake.delete("AccountObj", first[0]["_id"])
    by_offset = raw.query(limit=10, offset=10, orders=order)["data"]["dataList"]
    keyset = raw.query(
        limit=10,
        orders=order,
        filters=[{"field_name": "_id", "operator": "GT", "field_values": [first[-1]["_id"]]}],
    )["data"]["dataList"]
    assert by_offset[0]["_id"] == everyone[11]  # everyone[10] was never read
    assert keyset[0]["_id"] == everyone[10]


def test_the_same_fake_serves_on_loopback(vclock: VirtualClock) -> None:
    fake = populate(FakeFxiaoke(), DemoSizes(accounts=5, managers=6))
    with FakeServer(fake) as server:
        http = httpx.Client(base_url=server.url)
        token = http.post(
            "/cgi/corpAccessToken/get/V2?thirdTraceId=abc",
            json={
                "appId": fake.app_id,
                "appSecret": fake.app_secret,
                "permanentCode": fake.permanent_code,
            },
        ).json()
        assert token["errorCode"] == 0 and token["corpId"] == fake.corp_id
        wrong = http.post("/cgi/corpAccessToken/get/V2", json={"appId": fake.app_id}).json()
        assert wrong["errorCode"] == 10006
    assert fake.counters.trace_ids == ["abc"] and fake.counters.missing_trace_ids == 1


def test_the_printed_connection_table_is_valid_hub_toml(tenant: FakeFxiaoke) -> None:
    import tomllib

    from hub_fxiaoke.server import connection_toml
    from hub_fxiaoke.settings import FxiaokeSettings

    for flow in ("legacy", "oauth"):
        text = connection_toml("fxiaoke", tenant.settings("http://127.0.0.1:8766", flow))
        table = tomllib.loads(text)["connections"]["fxiaoke"]
        assert table.pop("adapter") == "fxiaoke"
        assert FxiaokeSettings.model_validate(table).base_url == "http://127.0.0.1:8766"


def test_invalidated_records_are_hidden_unless_a_filter_names_them(
    raw: Raw, fake: FakeFxiaoke
) -> None:
    gone = sorted(fake.objects["AccountObj"])[0]
    fake.invalidate("AccountObj", gone)

    def listed(filters: list[dict[str, Any]]) -> set[str]:
        return {r["_id"] for r in raw.query(filters=filters)["data"]["dataList"]}

    assert gone not in listed([])
    deleted = [{"field_name": "is_deleted", "operator": "EQ", "field_values": ["true"]}]
    assert listed(deleted) == {gone}
    status = [{"field_name": "life_status", "operator": "EQ", "field_values": ["invalid"]}]
    assert listed(status) == {gone}
    fake.list_invalid = True  # a tenant that lists them anyway (the adapter copes with both)
    assert gone in listed([])


def test_the_tenant_clock_can_run_behind_the_hub(fake: FakeFxiaoke, vclock: VirtualClock) -> None:
    fake.skew_ms = -3_600_000
    rid = fake.add("AccountObj", {"name": "新客户"})
    stamped = fake.objects["AccountObj"][rid]["last_modified_time"]
    assert abs(stamped - (vclock.time() * 1000 - 3_600_000)) < 1000
