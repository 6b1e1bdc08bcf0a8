"""Contacts (issue 16.10): with customers = "Accounts", Zoho's Contacts module is the
contacts stream, the people at each account, read incrementally with its deletions.
With customers = "Contacts" the contacts are the customers and there is no such stream."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hub_zoho.adapter import ZohoAdapter
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.mapping import Mapper
from hub_zoho.references import CustomerResolver
from hub_zoho.settings import ZohoSettings
from hub_zoho.testing import zoho_settings
from pydantic import ValidationError

from hub.adapters.contract import ConnectionContext
from hub.errors import ExitCode
from hub.model import Contact, Customer, CustomerKind
from hub.testing import Project

SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER = {"name": "Nango Developer", "id": "7328395000000605001", "email": "api@nango.dev"}

# A contact as Zoho lists it (fields as in a recorded get-contact answer), API user at +03:00.
RECORDED_CONTACT = {
    "id": "7328395000000680155",
    "Salutation": "Mr.",
    "First_Name": "Sage",
    "Last_Name": "Wieser",
    "Full_Name": "Sage Wieser",
    "Title": "Purchasing Manager",
    "Department": "Purchasing",
    "Email": "sage@king.example",
    "Secondary_Email": None,
    "Phone": "+1 555 555 5555",
    "Mobile": "+1 555 555 1234",
    "Home_Phone": None,
    "Account_Name": {"name": "King (Sample)", "id": "7328395000000680197"},
    "Reporting_To": None,
    "Lead_Source": "Cold Call",
    "Email_Opt_Out": False,
    "Mailing_City": "Chicago",
    "Owner": OWNER,
    "Created_Time": "2026-05-14T12:51:02+03:00",
    "Modified_Time": "2026-05-14T12:56:48+03:00",
    "Tag": [],
    "$approval_state": "approved",
}


def mapper(**settings: Any) -> Mapper:
    config = ZohoSettings.model_validate(
        {"client_id": "1000.X", "client_secret": "s3cret", "refresh_token": "r3fresh", **settings}
    )
    return Mapper("zoho", SHANGHAI, config, CustomerResolver(config.customers))


def adapter_for(settings: dict[str, Any], tmp_path: Path) -> ZohoAdapter:
    context = ConnectionContext(
        "zoho", SHANGHAI, "CNY", tmp_path, logging.getLogger("hub.test.zoho")
    )
    return ZohoAdapter(ZohoSettings.model_validate(settings), context)


def project_for(root: Path, fake: FakeZoho, store_url: str | None = None, **settings: Any):
    project = Project(root, store_url=store_url)
    project.configure(
        {"zoho": {"adapter": "zoho", **zoho_settings(fake, **settings)}},
        timezone="Asia/Shanghai",
        base_currency="CNY",
    )
    return project


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["source_id"]: r for r in rows}


# -- mapping -------------------------------------------------------------------------------------


def test_a_recorded_contact_is_a_contact_of_its_account() -> None:
    result = mapper().page("Contacts", [RECORDED_CONTACT])
    assert not result.rejects
    (contact,) = result.records
    assert isinstance(contact, Contact)
    assert (contact.source_id, contact.customer_source_id, contact.owner_source_id) == (
        "7328395000000680155",
        "7328395000000680197",
        OWNER["id"],
    )
    assert (contact.name, contact.title, contact.department) == (
        "Sage Wieser",
        "Purchasing Manager",
        "Purchasing",
    )
    assert (contact.mobile, contact.phone, contact.email) == (
        "+1 555 555 1234",
        "+1 555 555 5555",
        "sage@king.example",
    )
    assert contact.marketing_consent is True  # Email_Opt_Out false
    assert contact.is_primary is None  # Zoho has no primary-contact field
    assert contact.updated_at == dt.datetime(2026, 5, 14, 9, 56, 48, tzinfo=dt.UTC)
    # What the mapping does not use is kept under its API name; what it uses is not.
    assert contact.extra["Salutation"] == "Mr." and contact.extra["Lead_Source"] == "Cold Call"
    assert not {"Account_Name", "Owner", "Mobile", "Title", "Full_Name"} & set(contact.extra)


def test_contact_names_consent_and_rejects() -> None:
    m = mapper()
    no_full = {**RECORDED_CONTACT, "Full_Name": None, "First_Name": None}
    opted_out = {**RECORDED_CONTACT, "id": "2", "Email_Opt_Out": True, "Account_Name": None}
    nameless = {**RECORDED_CONTACT, "id": "3", "Full_Name": None, "First_Name": None}
    nameless["Last_Name"] = None
    bad_flag = {**RECORDED_CONTACT, "id": "4", "Email_Opt_Out": "sometimes"}
    result = m.page("Contacts", [no_full, opted_out, nameless, bad_flag])
    first, second = result.records
    assert first.name == "Wieser"
    assert second.marketing_consent is False and second.customer_source_id is None
    assert [r.reason for r in result.rejects] == [
        "Contacts 3: Last_Name: missing",
        "Contacts 4: Email_Opt_Out: " + result.rejects[1].reason.split(": ", 2)[2],
    ]
    assert result.rejects[1].location == "Contacts/4"


def test_contact_fields_map_onto_contact_fields_and_dash_leaves_one_out() -> None:
    raw = {**RECORDED_CONTACT, "Primary_Contact": True, "WeChat_ID": "sage_w"}
    m = mapper(fields={"contacts": {"Primary_Contact": "is_primary", "Home_Phone": "-"}})
    (contact,) = m.page("Contacts", [{**raw, "Home_Phone": "+1 555 000 0000"}]).records
    assert contact.is_primary is True
    assert "Home_Phone" not in contact.extra and contact.extra["WeChat_ID"] == "sage_w"
    with pytest.raises(ValidationError, match="'tier' is not a field of contacts"):
        mapper(fields={"contacts": {"Customer_Tier": "tier"}})


def test_with_contacts_as_customers_a_contact_stays_a_person_customer() -> None:
    (person,) = mapper(customers="Contacts").page("Contacts", [RECORDED_CONTACT]).records
    assert isinstance(person, Customer) and person.kind == CustomerKind.person
    assert person.name == "Sage Wieser"


# -- streams -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ["managers", "customers", "contacts", "activities", "goals"]),
        ({"contacts": False}, ["managers", "customers", "activities", "goals"]),
        ({"customers": "Contacts"}, ["managers", "customers", "activities", "goals"]),
    ],
    ids=["accounts", "contacts-off", "contacts-are-customers"],
)
def test_the_contacts_stream_is_offered_only_when_customers_are_accounts(
    fake: FakeZoho, tmp_path: Path, settings: dict[str, Any], expected: list[str]
) -> None:
    adapter = adapter_for(zoho_settings(fake, **settings), tmp_path)
    try:
        assert [s.name for s in adapter.streams()] == expected
        modules = {s.name: adapter.modules(s) for s in adapter.streams()}
        assert modules["customers"] == [settings.get("customers", "Accounts")]
        if "contacts" in modules:
            assert modules["contacts"] == ["Contacts"]
            assert next(s for s in adapter.streams() if s.name == "contacts").deletes
        result = adapter.check()
        assert result.ok, result.message
        read = "contacts from Contacts" in result.message
        assert read == ("contacts" in expected)
    finally:
        adapter.close()


# -- end to end ----------------------------------------------------------------------------------


def test_contacts_sync_linked_to_accounts_and_owners_then_follow_changes_and_deletes(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_for(tmp_path / "p", fake, store_url)
    assert project.sync().exit_code == ExitCode.OK
    contacts = by_id(project.rows("contacts"))
    assert set(contacts) == set(org.ids("Contacts"))
    customers = by_id(project.rows("customers"))
    managers = by_id(project.rows("managers"))
    assert {r["kind"] for r in customers.values()} == {"company"}  # Contacts are not customers
    for rid in org.ids("Contacts"):
        record, row = org.get("Contacts", rid), contacts[rid]
        account = (record.get("Account_Name") or {}).get("id")
        assert row["customer_source_id"] == account
        assert row["customer_id"] == (customers[account]["id"] if account else None)
        assert row["owner_id"] == managers[record["Owner"]["id"]]["id"]
        assert (row["mobile"], row["phone"], row["email"]) == (
            record["Mobile"],
            record["Phone"],
            record["Email"],
        )
        assert row["title"] == record["Title"]
        assert row["marketing_consent"] is (not record["Email_Opt_Out"])

    changed, recycled, purged = org.ids("Contacts")[:3]
    account = org.ids("Accounts")[0]
    org.update("Contacts", changed, Title="CFO", Mobile="+86 139 0000 1111")
    org.delete("Contacts", recycled)
    org.delete("Contacts", purged, permanent=True)
    new = org.create(
        "Contacts",
        First_Name="Wen",
        Last_Name="Li",
        Full_Name="Wen Li",
        Account_Name={"name": "x", "id": account},
        Email_Opt_Out=True,
    )
    asked: list[tuple[str, dict[str, str], httpx.Headers]] = []
    route = fake._route

    def watched(path: str, params: dict[str, str], headers: httpx.Headers, access: Any) -> Any:
        if "/Contacts" in path:
            asked.append((path, params, headers))
        return route(path, params, headers, access)

    monkeypatch.setattr(fake, "_route", watched)
    second = project.sync()
    assert second.exit_code == ExitCode.OK
    got = {r.stream: r for r in second.results}["contacts"]
    assert (got.inserted, got.updated, got.deleted) == (1, 1, 2)
    # Incremental: the listing and the deleted listing since the last sync, nothing in full.
    listings = [h for p, q, h in asked if p.endswith("/Contacts") and "ids" not in q]
    assert listings and all(h.get("If-Modified-Since") for h in listings)
    deleted = [h for p, _, h in asked if p.endswith("/Contacts/deleted")]
    assert len(deleted) == 1 and deleted[0].get("If-Modified-Since")

    rows = by_id(project.rows("contacts", include_bookkeeping=True))
    assert (rows[changed]["title"], rows[changed]["mobile"]) == ("CFO", "+86 139 0000 1111")
    deleted_time = {d["id"]: d["deleted_time"] for d in org.modules["Contacts"].deleted}
    for rid in (recycled, purged):
        assert rows[rid]["deleted_at"] == deleted_time[rid]  # Zoho's deletion time
    assert rows[new]["customer_id"] == customers[account]["id"]
    assert rows[new]["deleted_at"] is None and rows[new]["marketing_consent"] is False

    third = project.sync()
    got = {r.stream: r for r in third.results}["contacts"]
    assert (got.inserted, got.updated, got.deleted) == (0, 0, 0)


def test_a_full_refresh_tombstones_contacts_gone_past_the_deleted_listing(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho
) -> None:
    """Zoho keeps deleted records for 60 to 120 days: a contact removed longer ago than
    that is found gone by the complete read of a full refresh."""
    project = project_for(tmp_path / "p", fake)
    assert project.sync().exit_code == ExitCode.OK
    gone = org.ids("Contacts")[0]
    org.delete("Contacts", gone)
    org.modules["Contacts"].deleted.clear()  # past Zoho's retention
    assert project.sync().exit_code == ExitCode.OK
    assert by_id(project.rows("contacts"))[gone]["deleted_at"] is False
    report = project.sync(full_refresh=True)
    assert report.exit_code == ExitCode.OK
    assert by_id(project.rows("contacts"))[gone]["deleted_at"] is True
