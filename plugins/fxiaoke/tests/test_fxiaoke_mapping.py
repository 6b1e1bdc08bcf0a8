"""Vendor records → canonical records, and the settings that steer it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hub_fxiaoke.mapping import (
    ActivityMapper,
    ContactMapper,
    CustomerMapper,
    GoalMapper,
    MappingError,
    PersonnelMapper,
    manager_from_user,
)
from hub_fxiaoke.settings import (
    BUILTIN_ACTIVITIES,
    ActivityObject,
    ContactObject,
    CustomerObject,
    FxiaokeSettings,
    GoalObject,
)
from pydantic import ValidationError

from hub.adapters.contract import Tombstone
from hub.model import Activity, Contact, Customer, Goal
from hub.periods import period_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = {
    "app_id": "FSAID_1",
    "app_secret": "s" * 32,
    "permanent_code": "P" * 32,
    "operator_user_id": "FSUID_ABC",
}


def ms(*args: int, tz: ZoneInfo = SHANGHAI) -> int:
    return int(dt.datetime(*args, tzinfo=tz).timestamp() * 1000)


def account(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "65f000000000000000000001",
        "name": "上海甲贸易有限公司",
        "owner": ["FSUID_OWNER1"],
        "owner__r": {"id": "FSUID_OWNER1", "name": "张伟", "phone": "13812345678"},
        "tel": "021-12345678",
        "account_level": "1",
        "life_status": "normal",
        "is_deleted": False,
        "create_time": ms(2026, 3, 5, 9, 30),
        "last_modified_time": ms(2026, 3, 6, 10, 0),
        "UDSText1__c": "重点",
        "tenant_id": "590163",
        "version": 3,
        **fields,
    }


def activity_mapper(api: str, **overrides: Any) -> ActivityMapper:
    obj = ActivityObject.model_validate({"api_name": api, **BUILTIN_ACTIVITIES[api], **overrides})
    return ActivityMapper("fx", obj, "CNY")


# -- contacts ---------------------------------------------------------------------


def contact(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "66a000000000000000000001",
        "name": "王采购",
        "account_id": "65f000000000000000000001",
        "owner": ["FSUID_OWNER1"],
        "job_title": "采购经理",
        "mobile1": "13812345678",
        "tel1": "021-62345678",
        "email": "wang@example.cn",
        "primary_contact": "1",
        "create_time": ms(2026, 3, 5, 9, 30),
        "last_modified_time": ms(2026, 3, 6, 10, 0),
        "UDSText2__c": "爱喝茶",
        **fields,
    }


def test_contact_links_to_its_account_and_owner() -> None:
    (got,) = ContactMapper("fx", ContactObject()).map(contact())
    assert isinstance(got, Contact)
    assert (got.source_id, got.customer_source_id, got.owner_source_id) == (
        "66a000000000000000000001",
        "65f000000000000000000001",
        "FSUID_OWNER1",
    )
    assert (got.name, got.title, got.mobile, got.phone, got.email) == (
        "王采购",
        "采购经理",
        "13812345678",
        "021-62345678",
        "wang@example.cn",
    )
    assert got.is_primary is True and got.marketing_consent is None
    assert got.extra == {"UDSText2__c": "爱喝茶"}


def test_contact_fields_are_configurable_and_bad_flags_name_the_field() -> None:
    settings = ContactObject(fields={"mobile": "mobile2", "marketing_consent": "allow_sms__c"})
    (got,) = ContactMapper("fx", settings).map(
        contact(mobile2="13900001111", allow_sms__c=False, primary_contact="0")
    )
    assert (got.mobile, got.marketing_consent, got.is_primary) == ("13900001111", False, False)
    with pytest.raises(MappingError, match="primary_contact"):
        ContactMapper("fx", ContactObject()).map(contact(primary_contact="maybe"))
    with pytest.raises(MappingError, match="name"):
        ContactMapper("fx", ContactObject()).map(contact(name=""))
    with pytest.raises(ValidationError, match="not a contact field"):
        ContactObject(fields={"wechat": "wx__c"})


def test_invalidated_contact_is_a_tombstone() -> None:
    (got,) = ContactMapper("fx", ContactObject()).map(contact(is_deleted=True))
    assert isinstance(got, Tombstone) and got.source_id == "66a000000000000000000001"


# -- customers --------------------------------------------------------------------


def test_account_becomes_a_customer_with_owner_and_custom_fields() -> None:
    (customer,) = CustomerMapper("fx", CustomerObject()).map(account())
    assert isinstance(customer, Customer)
    assert customer.source_id == "65f000000000000000000001"
    assert customer.owner_source_id == "FSUID_OWNER1"
    assert customer.phone == "021-12345678"
    assert customer.tier == "1"
    assert customer.created_at == dt.datetime(2026, 3, 5, 1, 30, tzinfo=dt.UTC)
    assert customer.extra["UDSText1__c"] == "重点"
    assert customer.extra["life_status"] == "normal"
    for internal in ("tenant_id", "version", "owner__r", "_id", "tel"):
        assert internal not in customer.extra


def test_tier_and_segment_mapping_is_configurable() -> None:
    settings = CustomerObject(
        fields={"segment": "UDSText1__c", "industry": ""},
        values={"tier": {"1": "A", "2": "B"}, "segment": {"重点": "key"}},
    )
    (customer,) = CustomerMapper("fx", settings).map(account(industry_level1="贸易"))
    assert (customer.tier, customer.segment, customer.industry) == ("A", "key", None)
    assert "UDSText1__c" not in customer.extra  # mapped, so not repeated in extra
    assert customer.extra["industry_level1"] == "贸易"


def test_public_pool_account_has_no_owner() -> None:
    (customer,) = CustomerMapper("fx", CustomerObject()).map(account(owner=[]))
    assert customer.owner_source_id is None


@pytest.mark.parametrize(
    "gone", [{"life_status": "invalid"}, {"is_deleted": True, "life_status": "normal"}]
)
def test_invalidated_or_deleted_account_is_a_tombstone(gone: dict[str, Any]) -> None:
    (item,) = CustomerMapper("fx", CustomerObject()).map(account(**gone))
    assert item == Tombstone(
        "65f000000000000000000001", dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC)
    )


def test_a_bad_account_names_the_field() -> None:
    mapper = CustomerMapper("fx", CustomerObject())
    with pytest.raises(MappingError, match=r"^name: empty"):
        mapper.map(account(name=""))
    with pytest.raises(MappingError, match=r"^create_time: not an epoch-millisecond"):
        mapper.map(account(create_time="yesterday"))


def test_unknown_customer_field_in_settings_is_refused() -> None:
    with pytest.raises(ValidationError, match="'vip' is not a customer field"):
        CustomerObject(fields={"vip": "UD1__c"})


# -- activities -------------------------------------------------------------------------------


def test_order_amount_string_becomes_an_exact_decimal() -> None:
    raw = {
        "_id": "o1",
        "name": "SO-1",
        "account_id": "acc1",
        "owner": ["1001"],
        "order_amount": "1234.50",
        "order_time": ms(2026, 9, 30, 23, 30),
        "create_time": ms(2026, 10, 2, 9, 0),
        "last_modified_time": ms(2026, 10, 2, 9, 0),
    }
    (order,) = activity_mapper("SalesOrderObj").map(raw)
    assert isinstance(order, Activity)
    assert order.source_id == "SalesOrderObj:o1"
    assert order.kind == "order"
    assert order.amount == Decimal("1234.50") and order.currency == "CNY"
    assert str(order.amount) == "1234.50"
    assert (order.customer_source_id, order.manager_source_id) == ("acc1", "1001")
    # 23:30 on 30 September in Shanghai is 15:30 UTC, and it belongs to Q3.
    assert order.occurred_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)
    local_day = order.occurred_at.astimezone(SHANGHAI).date()
    assert period_of(local_day, "quarter").label == "2026-Q3"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(116213.63, "116213.63"), (5, "5"), (20000000.0, "20000000.0")],
)
def test_amounts_sent_as_json_numbers_are_exact(amount: Any, expected: str) -> None:
    raw = {"_id": "o3", "owner": ["1"], "order_amount": amount, "create_time": ms(2026, 1, 1)}
    (order,) = activity_mapper("SalesOrderObj").map(raw)
    assert order.amount == Decimal(expected)


def test_a_json_number_printed_with_an_exponent_is_read_as_a_number() -> None:
    """Python prints 1e16 as `1e+16`, which the strict text parser refuses as
    "not a number"; read as the number it is, it meets the amount's own limit."""
    raw = {"_id": "o5", "owner": ["1"], "order_amount": 1e16, "create_time": ms(2026, 1, 1)}
    with pytest.raises(MappingError, match=r"amount: .*14 digits before the decimal point"):
        activity_mapper("SalesOrderObj").map(raw)


def test_a_json_number_that_is_not_finite_is_rejected_naming_the_field() -> None:
    raw = {"_id": "o4", "owner": ["1"], "order_amount": float("nan"), "create_time": ms(2026, 1, 1)}
    with pytest.raises(MappingError, match="order_amount: not a number: nan"):
        activity_mapper("SalesOrderObj").map(raw)


def test_a_payment_just_after_local_midnight_is_in_the_next_quarter() -> None:
    raw = {
        "_id": "p1",
        "account_id": "acc1",
        "owner": ["1001"],
        "payment_amount": "0.10",
        "payment_time": ms(2026, 10, 1, 0, 30),  # 16:30 UTC on 30 September
        "create_time": ms(2026, 10, 1, 0, 31),
    }
    (payment,) = activity_mapper("PaymentObj").map(raw)
    assert payment.occurred_at.date() == dt.date(2026, 9, 30)  # the UTC day...
    assert period_of(payment.occurred_at.astimezone(SHANGHAI).date(), "quarter").label == (
        "2026-Q4"  # ...but the business day is 1 October
    )
    assert payment.amount == Decimal("0.10")


@pytest.mark.parametrize(
    ("amount", "words"),
    [("12,5x", "order_amount: not a number"), ("1.23456", "amount"), (True, "order_amount")],
)
def test_bad_amounts_are_rejected_with_the_field(amount: Any, words: str) -> None:
    raw = {"_id": "o2", "owner": ["1"], "order_amount": amount, "create_time": ms(2026, 1, 1)}
    with pytest.raises(MappingError, match=words):
        activity_mapper("SalesOrderObj").map(raw)


def test_currency_can_come_from_a_field() -> None:
    mapper = activity_mapper("SalesOrderObj", currency_field="mc_currency")
    raw = {"_id": "o3", "order_amount": "10", "mc_currency": "usd", "create_time": ms(2026, 1, 1)}
    (order,) = mapper.map(raw)
    assert order.currency == "USD"
    with pytest.raises(MappingError, match="mc_currency: not an ISO currency"):
        mapper.map({**raw, "mc_currency": "美元"})


def test_follow_up_finds_its_customer_in_related_object_data_and_maps_kinds() -> None:
    mapper = activity_mapper("ActiveRecordObj", kinds={"phone": "call"})
    raw = {
        "_id": "f1",
        "owner": ["1001"],
        "active_record_content": "电话沟通报价",
        "active_record_type": "phone",
        "related_object_data": [
            {"describe_api_name": "ContactObj", "id": "c9"},
            {"describe_api_name": "AccountObj", "id": "acc7"},
        ],
        "create_time": ms(2026, 5, 1, 10, 0),
    }
    (follow_up,) = mapper.map(raw)
    assert (follow_up.kind, follow_up.customer_source_id) == ("call", "acc7")
    assert follow_up.content == "电话沟通报价"
    (other,) = mapper.map({**raw, "active_record_type": "wechat"})
    assert other.kind == "note"  # not listed: the object's default kind


def test_activity_without_any_time_is_rejected() -> None:
    with pytest.raises(MappingError, match="payment_time: empty, and so is create_time"):
        activity_mapper("PaymentObj").map({"_id": "p9", "payment_amount": "1"})


def test_invalidated_activity_is_a_tombstone_with_the_prefixed_id() -> None:
    raw = {"_id": "x", "life_status": "invalid", "last_modified_time": ms(2026, 1, 2)}
    (item,) = activity_mapper("CheckinsObj").map(raw)
    assert isinstance(item, Tombstone) and item.source_id == "CheckinsObj:x"


# -- goals ---------------------------------------------------------------------------------


def goal(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "g1",
        "goal_type": "2",
        "check_object_id": "1001",
        "goal_rule_id": "rule_sales",
        "fiscal_year": "2026",
        "january_value": "100000.00",
        "february_value": "120000.50",
        "march_value": "130000",
        "create_time": ms(2026, 1, 1),
        "last_modified_time": ms(2026, 1, 2),
        **fields,
    }


def goal_mapper(**settings: Any) -> GoalMapper:
    return GoalMapper("fx", GoalObject(**settings), "CNY", lambda: {"1003": "外贸部"})


def test_monthly_goal_values_become_monthly_goals() -> None:
    out = goal_mapper().map(goal())
    goals = [g for g in out if isinstance(g, Goal)]
    assert [g.period_label for g in goals] == ["2026-01", "2026-02", "2026-03"]
    february = goals[1]
    assert february.source_id == "g1:2026-02"
    assert february.target == Decimal("120000.50")
    assert (february.period_start, february.period_end) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert (february.manager_source_id, february.metric, february.currency) == (
        "1001",
        "sales_amount",
        "CNY",
    )
    cleared = {t.source_id for t in out if isinstance(t, Tombstone)}
    assert "g1:2026-04" in cleared and len(cleared) == 9  # months without a value


def test_quarters_and_years_are_derived_where_configured() -> None:
    out = goal_mapper(derive=["quarter", "year"]).map(goal(annual_value="2000000"))
    by_label = {g.period_label: g for g in out if isinstance(g, Goal)}
    assert by_label["2026-Q1"].target == Decimal("350000.50")
    assert by_label["2026"].target == Decimal("2000000")  # annual_value wins over the sum
    assert "2026-Q2" not in by_label


def test_fiscal_year_starting_in_april_puts_january_in_the_next_calendar_year() -> None:
    out = goal_mapper(fiscal_year_start_month=4, derive=["quarter"]).map(
        goal(april_value="5", january_value="7")
    )
    by_label = {g.period_label: g.target for g in out if isinstance(g, Goal)}
    assert by_label["2026-04"] == Decimal("5")
    assert by_label["2027-01"] == Decimal("7")
    assert by_label["2027-Q1"] == Decimal("7") + Decimal("120000.50") + Decimal("130000")


def test_department_goals_belong_to_a_team_and_rules_pick_metrics() -> None:
    mapper = goal_mapper(metrics_by_rule={"rule_visits": "visit_count"}, unit="visits")
    (january, *_) = mapper.map(
        goal(goal_type="1", check_object_id="1003", goal_rule_id="rule_visits")
    )
    assert (january.team, january.manager_source_id) == ("外贸部", None)
    assert (january.metric, january.unit, january.currency) == ("visit_count", "visits", None)


def test_invalidated_goal_tombstones_every_period_it_gave() -> None:
    out = goal_mapper(derive=["quarter"]).map(goal(life_status="invalid"))
    assert all(isinstance(t, Tombstone) for t in out)
    assert len(out) == 16


def test_goal_without_a_year_names_the_field() -> None:
    with pytest.raises(MappingError, match="fiscal_year: not a year"):
        goal_mapper().map(goal(fiscal_year=None))


def test_year_derivation_needs_a_calendar_fiscal_year() -> None:
    with pytest.raises(ValidationError, match="fiscal_year_start_month = 1"):
        GoalObject(derive=["year"], fiscal_year_start_month=4)


# -- managers ---------------------------------------------------------------------------------


def test_directory_user_becomes_a_manager() -> None:
    user = {
        "openUserId": "FSUID_A",
        "name": "张伟",
        "mobile": "13812345678",
        "email": "zw@example.com",
        "isStop": True,
        "mainDepartmentId": 1001,
        "leaderId": "FSUID_B",
        "employeeNumber": "E1001",
        "position": "客户经理",
        "hireDate": "2019-03-15",
        "birthDate": "1990-01-01",
        "createTime": ms(2019, 3, 15),
    }
    manager = manager_from_user("fx", user, {"1001": "华东销售部"}, SHANGHAI)
    assert (manager.source_id, manager.department, manager.supervisor_source_id) == (
        "FSUID_A",
        "华东销售部",
        "FSUID_B",
    )
    assert manager.active is False and manager.hired_at == dt.date(2019, 3, 15)
    assert "birthDate" not in manager.extra  # personal data the hub has no use for


def test_personnel_record_becomes_a_manager_keyed_by_user_id() -> None:
    raw = {"_id": "p", "user_id": "1453", "full_name": "李娜", "status": "1", "leader": ["1000"]}
    (manager,) = PersonnelMapper("fx").map(raw)
    assert (manager.source_id, manager.active, manager.supervisor_source_id) == (
        "1453",
        False,
        "1000",
    )


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"operator_user_id": "1000"}, "openUserId starting with FSUID_"),
        ({"auth": "oauth"}, "CRM employee id"),
        ({"cloud": "huawei", "host": "https://x.example"}, "either cloud or host"),
        ({"host": "open.fxiaoke.com"}, "must be a URL"),
        ({"managers_from": "personnel"}, "needs auth = 'oauth'"),
        ({"activities": [{"api_name": "bad name"}]}, "not an object apiName"),
        ({"app_secret": None}, "app_secret"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(settings: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        FxiaokeSettings.model_validate({**BASE, **settings})


def test_clouds_and_hosts() -> None:
    assert FxiaokeSettings.model_validate(BASE).base_url == "https://open.fxiaoke.com"
    huawei = FxiaokeSettings.model_validate({**BASE, "cloud": "huawei"})
    assert huawei.base_url == "https://open-hwcloud.fxiaoke.com"
    private = FxiaokeSettings.model_validate({**BASE, "host": "https://crm.example.cn/"})
    assert private.base_url == "https://crm.example.cn"


def test_builtin_activity_objects_can_be_overridden_disabled_and_extended() -> None:
    settings = FxiaokeSettings.model_validate(
        {
            **BASE,
            "activities": [
                {"api_name": "SalesOrderObj", "occurred_at_field": "order_date__c"},
                {"api_name": "CheckinsObj", "enabled": False},
                {
                    "api_name": "TelesalesRecordObj",
                    "kind": "call",
                    "content_field": "record_content",
                },
            ],
        }
    )
    objects = {o.api_name: o for o in settings.activity_objects()}
    assert set(objects) == {"SalesOrderObj", "TelesalesRecordObj", "ActiveRecordObj", "PaymentObj"}
    assert objects["SalesOrderObj"].occurred_at_field == "order_date__c"
    assert objects["SalesOrderObj"].amount_field == "order_amount"  # other defaults kept
    assert objects["TelesalesRecordObj"].kind == "call"
