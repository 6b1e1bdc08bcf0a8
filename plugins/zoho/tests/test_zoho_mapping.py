"""Mapping Zoho records, as Zoho really sends them, onto the canonical model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hub_zoho.mapping import Mapper
from hub_zoho.references import CustomerResolver
from hub_zoho.settings import ZohoSettings

from hub.adapters.contract import Tombstone
from hub.model import Activity, ActivityKind, Customer, CustomerKind, Goal, Manager
from hub.periods import quarter_period

SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER = {"name": "Nango Developer", "id": "7328395000000605001", "email": "api@nango.dev"}

# A call as recorded from Zoho's API (trimmed), API user in Africa/Nairobi (+03:00).
RECORDED_CALL = {
    "id": "7328395000000680317",
    "Subject": "Call Customer on Potential",
    "Call_Type": "Inbound",
    "Call_Status": "Received",
    "Call_Start_Time": "2026-05-14T09:36:15+03:00",
    "Call_Duration": "00:15",
    "Call_Duration_in_seconds": 15,
    "Call_Purpose": "Negotiation",
    "Call_Result": "Interested",
    "What_Id": {"name": "King", "id": "7328395000000680197"},
    "$se_module": "Deals",
    "Who_Id": {"name": "Sage Wieser (Sample)", "id": "7328395000000680155"},
    "Owner": OWNER,
    "Created_Time": "2026-05-14T11:36:15+03:00",
    "Modified_Time": "2026-05-14T11:36:15+03:00",
    "Tag": [],
    "$approval_state": "approved",
}


def mapper(customers: str = "Accounts", **settings: Any) -> Mapper:
    config = ZohoSettings.model_validate(
        {
            "client_id": "1000.X",
            "client_secret": "s3cret",
            "refresh_token": "r3fresh",
            "customers": customers,
            **settings,
        }
    )
    return Mapper("zoho", SHANGHAI, config, CustomerResolver(customers))


def one(result: Any) -> Any:
    assert not result.rejects, [r.reason for r in result.rejects]
    items = [*result.records, *result.deletes]
    assert len(items) == 1
    return items[0]


# -- activities --------------------------------------------------------------------------------


def test_recorded_call_maps_times_to_utc_duration_owner_and_deal_account() -> None:
    m = mapper()
    m.resolver.learn(
        "Deals",
        [{"id": "7328395000000680197", "Account_Name": {"name": "King Ltd", "id": "4001"}}],
    )
    call = one(m.page("Calls", [RECORDED_CALL]))
    assert isinstance(call, Activity)
    assert call.kind == ActivityKind.call
    assert call.occurred_at == dt.datetime(2026, 5, 14, 6, 36, 15, tzinfo=dt.UTC)
    assert call.updated_at == dt.datetime(2026, 5, 14, 8, 36, 15, tzinfo=dt.UTC)
    assert call.duration_seconds == 15
    assert call.manager_source_id == OWNER["id"]
    assert call.customer_source_id == "4001"  # the deal's account, not the deal
    assert call.extra["Call_Purpose"] == "Negotiation"  # unmapped fields are kept
    assert call.extra["$se_module"] == "Deals"
    assert "Owner" not in call.extra


@pytest.mark.parametrize(
    ("text", "seconds"), [("10:00", 600), ("00:15", 15), ("65:05", 3905), ("1:02:03", 3723)]
)
def test_call_duration_text_is_minutes_and_seconds(text: str, seconds: int) -> None:
    raw = {**RECORDED_CALL, "Call_Duration": text, "Call_Duration_in_seconds": None}
    assert one(mapper().page("Calls", [raw])).duration_seconds == seconds


def test_a_call_on_a_lead_has_no_customer_but_keeps_the_link() -> None:
    raw = {
        **RECORDED_CALL,
        "What_Id": {"name": "Lead", "id": "9"},
        "$se_module": "Leads",
        "Who_Id": None,
    }
    call = one(mapper().page("Calls", [raw]))
    assert call.customer_source_id is None
    assert call.extra["What_Id"] == {"name": "Lead", "id": "9"}


def test_b2c_prefers_the_contact_spoken_to() -> None:
    m = mapper("Contacts")
    raw = {**RECORDED_CALL, "$se_module": "Accounts", "What_Id": {"name": "A", "id": "1"}}
    assert one(m.page("Calls", [raw])).customer_source_id == RECORDED_CALL["Who_Id"]["id"]


def test_b2b_call_on_an_account_belongs_to_the_account() -> None:
    raw = {**RECORDED_CALL, "$se_module": "Accounts", "What_Id": {"name": "A", "id": "1"}}
    assert one(mapper().page("Calls", [raw])).customer_source_id == "1"


def test_task_due_date_is_the_end_of_that_day_in_the_company_zone() -> None:
    raw = {
        "id": "11",
        "Subject": "Send quote",
        "Status": "Completed",
        "Due_Date": "2026-06-30",
        "Closed_Time": "2026-06-29T18:00:00-07:00",
        "What_Id": {"name": "A", "id": "1"},
        "$se_module": "Accounts",
        "Owner": OWNER,
        "Created_Time": "2026-06-01T09:00:00-07:00",
        "Modified_Time": "2026-06-29T18:00:00-07:00",
    }
    task = one(mapper().page("Tasks", [raw]))
    assert task.kind == ActivityKind.task
    assert task.due_at == dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)
    assert task.completed_at == task.occurred_at == dt.datetime(2026, 6, 30, 1, tzinfo=dt.UTC)
    assert task.status == "Completed"


def test_event_with_check_in_is_a_visit_and_has_a_duration() -> None:
    raw = {
        "id": "12",
        "Event_Title": "Quarterly review",
        "Start_DateTime": "2026-03-02T10:00:00+08:00",
        "End_DateTime": "2026-03-02T11:30:00+08:00",
        "Check_In_Time": "2026-03-02T09:58:00+08:00",
        "$event_cancelled": False,
        "Owner": OWNER,
        "Created_Time": "2026-02-20T10:00:00+08:00",
        "Modified_Time": "2026-03-02T12:00:00+08:00",
    }
    visit = one(mapper().page("Events", [raw]))
    assert visit.kind == ActivityKind.visit
    assert visit.duration_seconds == 5400
    plain = one(mapper().page("Events", [{**raw, "Check_In_Time": None}]))
    assert plain.kind == ActivityKind.meeting
    cancelled = one(mapper().page("Events", [{**raw, "$event_cancelled": True}]))
    assert cancelled.status == "cancelled"


@pytest.mark.parametrize(
    "parent",
    [
        {"Parent_Id": {"module": {"api_name": "Accounts", "id": "5"}, "name": "A", "id": "77"}},
        {"Parent_Id": {"name": "A", "id": "77"}, "$se_module": "Accounts"},  # the v2 shape
    ],
)
def test_note_belongs_to_its_parent_account(parent: dict[str, Any]) -> None:
    raw = {
        "id": "13",
        "Note_Title": "Call back",
        "Note_Content": "Wants a discount",
        "Owner": OWNER,
        "Created_Time": "2026-03-02T12:00:00+08:00",
        "Modified_Time": "2026-03-02T12:00:00+08:00",
        **parent,
    }
    note = one(mapper().page("Notes", [raw]))
    assert note.kind == ActivityKind.note
    assert note.customer_source_id == "77"
    assert note.content == "Wants a discount"


# -- deals --------------------------------------------------------------------------------------


def deal(**values: Any) -> dict[str, Any]:
    return {
        "id": "21",
        "Deal_Name": "Big order",
        "Stage": "Closed Won",
        "Amount": Decimal("12345.67"),
        "Currency": "USD",
        "Closing_Date": "2026-09-30",
        "Account_Name": {"name": "King Ltd", "id": "4001"},
        "Contact_Name": {"name": "Sage", "id": "5001"},
        "Owner": OWNER,
        "Created_Time": "2026-09-01T10:00:00-07:00",
        "Modified_Time": "2026-09-30T08:30:00-07:00",
        **values,
    }


def test_won_deal_is_an_order_with_exact_amount_and_currency() -> None:
    order = one(mapper().page("Deals", [deal()]))
    assert order.kind == ActivityKind.order
    assert order.amount == Decimal("12345.67")
    assert order.currency == "USD"
    assert order.customer_source_id == "4001"
    assert order.subject == "Big order"


def test_an_amount_given_as_a_float_is_read_exactly_and_nan_is_refused() -> None:
    """The client reads JSON numbers as Decimal; a float (another reader, a test
    double) is taken by its shortest repr, and a non-number is a reject naming it."""
    assert one(mapper().page("Deals", [deal(Amount=116213.63)])).amount == Decimal("116213.63")
    result = mapper().page("Deals", [deal(Amount=float("nan"))])
    assert not result.records
    assert "Amount: not a number: nan" in result.rejects[0].reason


def test_single_currency_org_takes_the_configured_currency() -> None:
    raw = deal(Currency=None)
    assert one(mapper(currency="EUR").page("Deals", [raw])).currency == "EUR"


def test_deal_not_won_removes_an_earlier_order() -> None:
    gone = one(mapper().page("Deals", [deal(Stage="Negotiation")]))
    assert isinstance(gone, Tombstone)
    assert gone.source_id == "21"
    assert gone.deleted_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)


def test_won_stages_are_configurable() -> None:
    raw = deal(Stage="Signed")
    assert isinstance(one(mapper(won_stages=["Signed"]).page("Deals", [raw])), Activity)


def test_deal_closed_on_the_last_day_of_a_quarter_belongs_to_it() -> None:
    q3, q4 = quarter_period(2026, 3), quarter_period(2026, 4)
    start3, end3 = q3.bounds(SHANGHAI)
    # Closing_Date is a date: that day in the company's zone.
    on_date = one(mapper().page("Deals", [deal(Closing_Date="2026-09-30")]))
    assert start3 <= on_date.occurred_at < end3
    next_day = one(mapper().page("Deals", [deal(Closing_Date="2026-10-01")]))
    assert q4.bounds(SHANGHAI)[0] <= next_day.occurred_at
    # A date-time field, written in the API user's offset (Los Angeles).
    m = mapper(deal_closed_at="Won_Time")
    late = one(m.page("Deals", [deal(Won_Time="2026-09-30T08:30:00-07:00")]))  # 23:30 Shanghai
    assert late.occurred_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)
    assert start3 <= late.occurred_at < end3
    after = one(m.page("Deals", [deal(Won_Time="2026-09-30T09:30:00-07:00")]))  # 00:30 on 1 Oct
    assert after.occurred_at.date() == dt.date(2026, 9, 30)  # still September in UTC…
    assert not start3 <= after.occurred_at < end3  # …but Q4 in Shanghai


# -- customers -----------------------------------------------------------------------------------


ACCOUNT = {
    "id": "4150868000000224005",
    "Account_Name": "Shanghai Trading Co",
    "Phone": "+86 138 1234 5678",
    "Industry": "Retail",
    "Billing_State": "Shanghai",
    "Billing_Country": "China",
    "Customer_Tier": "A",
    "Segment": "Enterprise",
    "Credit_Code": "91310000MA1FL0000X",
    "Annual_Revenue": Decimal("1000000.50"),
    "Tag": [{"name": "VIP", "id": "1"}],
    "Owner": OWNER,
    "Created_Time": "2025-01-02T03:04:05+05:30",
    "Modified_Time": "2026-05-14T12:56:48+03:00",
}


def test_account_with_custom_fields_mapped_by_config_and_the_rest_in_extra() -> None:
    m = mapper(
        fields={
            "customers": {
                "Customer_Tier": "tier",
                "Segment": "segment",
                "Credit_Code": "credit_code",
            }
        }
    )
    customer = one(m.page("Accounts", [ACCOUNT]))
    assert isinstance(customer, Customer)
    assert customer.kind == CustomerKind.company
    assert (customer.tier, customer.segment) == ("A", "Enterprise")
    assert customer.credit_code == "91310000MA1FL0000X"
    assert customer.owner_source_id == OWNER["id"]
    assert customer.tags == ["VIP"]
    assert customer.updated_at == dt.datetime(2026, 5, 14, 9, 56, 48, tzinfo=dt.UTC)
    assert customer.extra["Annual_Revenue"] == Decimal("1000000.50")
    assert "Customer_Tier" not in customer.extra


def test_a_field_mapped_to_dash_is_left_out_entirely() -> None:
    customer = one(mapper(fields={"customers": {"Phone": "-"}}).page("Accounts", [ACCOUNT]))
    assert customer.phone is None
    assert "Phone" not in customer.extra


def test_mapping_onto_an_unknown_canonical_field_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"customers\.Customer_Tier: 'tierr' is not a field"):
        mapper(fields={"customers": {"Customer_Tier": "tierr"}})


def test_contact_is_a_person_customer() -> None:
    raw = {
        "id": "5001",
        "First_Name": "Sage",
        "Last_Name": "Wieser",
        "Full_Name": "Sage Wieser",
        "Email": "sage@example.com",
        "Mobile": "+1 415 555 0100",
        "Phone": None,
        "Email_Opt_Out": True,
        "Mailing_Country": "United States",
        "Account_Name": {"name": "King Ltd", "id": "4001"},
        "Owner": OWNER,
        "Created_Time": "2026-01-01T00:00:00+00:00",
        "Modified_Time": "2026-01-02T00:00:00+00:00",
    }
    person = one(mapper("Contacts").page("Contacts", [raw]))
    assert person.kind == CustomerKind.person
    assert person.name == "Sage Wieser"
    assert person.phone == "+1 415 555 0100"
    assert person.marketing_consent is False
    assert person.extra["Account_Name"] == {"name": "King Ltd", "id": "4001"}


def test_a_malformed_record_is_a_reject_naming_module_record_and_field() -> None:
    bad = {**ACCOUNT, "Modified_Time": "yesterday-ish"}
    missing = {**ACCOUNT, "id": "4150868000000224006", "Account_Name": None}
    result = mapper().page("Accounts", [ACCOUNT, bad, missing])
    assert [r.source_id for r in result.records] == ["4150868000000224005"]
    reasons = [r.reason for r in result.rejects]
    assert reasons[0].startswith("Accounts 4150868000000224005: Modified_Time: not a date")
    assert reasons[1] == "Accounts 4150868000000224006: Account_Name: missing"
    assert result.rejects[0].location == "Accounts/4150868000000224005"


# -- managers ----------------------------------------------------------------------------------


def user(**values: Any) -> dict[str, Any]:
    return {
        "id": "7328395000000605001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "status": "active",
        "role": {"name": "Sales Rep", "id": "1"},
        "profile": {"name": "Standard", "id": "2"},
        "Reporting_To": {"name": "Grace Hopper", "id": "7328395000000605000"},
        "time_zone": "Asia/Shanghai",
        "created_time": "2025-01-01T09:00:00+08:00",
        "Modified_Time": "2026-01-01T09:00:00+08:00",
        **values,
    }


def test_user_becomes_a_manager_with_a_supervisor() -> None:
    manager = one(mapper().users([user()]))
    assert isinstance(manager, Manager)
    assert manager.name == "Ada Lovelace"
    assert manager.supervisor_source_id == "7328395000000605000"
    assert manager.title == "Sales Rep"
    assert manager.active is True
    assert manager.deleted_at is None
    assert manager.extra["profile"] == {"name": "Standard", "id": "2"}


def test_deactivated_and_deleted_users_are_kept_as_owners() -> None:
    inactive = one(mapper().users([user(status="inactive")]))
    assert (inactive.active, inactive.deleted_at) == (False, None)
    deleted = one(mapper().users([user(status="deleted")]))
    assert deleted.active is False
    assert deleted.deleted_at == dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)


# -- goals ---------------------------------------------------------------------------------------


def target(**values: Any) -> dict[str, Any]:
    return {
        "id": "31",
        "Name": "Q3 sales",
        "Salesperson": {"name": "Ada Lovelace", "id": "7328395000000605001"},
        "Metric": "Sales Amount",
        "Period": "2026-Q3",
        "Target": Decimal("150000"),
        "Currency": "USD",
        "Weight": Decimal("0.5"),
        "Owner": OWNER,
        "Created_Time": "2026-06-01T00:00:00+00:00",
        "Modified_Time": "2026-06-01T00:00:00+00:00",
        **values,
    }


GOALS = {"module": "Sales_Targets", "currency": "Currency", "weight": "Weight"}


def test_goal_from_the_custom_module() -> None:
    goal = one(mapper(goals=GOALS).page("Sales_Targets", [target()]))
    assert isinstance(goal, Goal)
    assert goal.metric == "sales_amount"
    assert (goal.period_start, goal.period_end, goal.period_label) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        "2026-Q3",
    )
    assert (goal.target, goal.currency, goal.unit) == (Decimal("150000"), "USD", "USD")
    assert goal.weight == Decimal("0.5")
    assert goal.manager_source_id == "7328395000000605001"


def test_goal_metric_labels_and_period_dates_are_configurable() -> None:
    m = mapper(
        goals={
            **GOALS,
            "period": None,
            "period_start": "Starts",
            "period_end": "Ends",
            "metrics": {"Neukunden": "new_customers"},
        }
    )
    goal = one(
        m.page(
            "Sales_Targets",
            [target(Metric="Neukunden", Starts="2026-07-01", Ends="2026-07-31", Currency=None)],
        )
    )
    assert (goal.metric, goal.period_label) == ("new_customers", "2026-07")
    odd = one(m.page("Sales_Targets", [target(Metric="X", Starts="2026-07-03", Ends="2026-07-09")]))
    assert odd.period_label == "2026-07-03..2026-07-09"


def test_goal_with_a_bad_period_is_rejected_naming_the_field() -> None:
    result = mapper(goals=GOALS).page("Sales_Targets", [target(Period="Q3 maybe")])
    assert result.rejects[0].reason.startswith("Sales_Targets 31: Period: not a period")


def test_an_activity_field_mapping_applies_only_where_the_module_has_the_field() -> None:
    m = mapper(fields={"activities": {"Call_Quality": "status"}})
    call = one(m.page("Calls", [{**RECORDED_CALL, "Call_Quality": "Clear"}]))
    assert call.status == "Clear"
    task = {
        "id": "11",
        "Subject": "Send quote",
        "Status": "In Progress",
        "Owner": OWNER,
        "Created_Time": "2026-06-01T09:00:00-07:00",
        "Modified_Time": "2026-06-01T09:00:00-07:00",
    }
    assert one(m.page("Tasks", [task])).status == "In Progress"
