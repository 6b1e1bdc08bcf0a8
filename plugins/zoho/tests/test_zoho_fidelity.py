"""What an independent check of the adapter found (issue 16): deleted users, won deals
without a date or an amount, credit codes, select labels, masked rejects, cursors on
Zoho's clock, error messages. Each against the fake Zoho, both stores where stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hub_zoho.client import API
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import mount, zoho_settings
from sqlalchemy import select

from hub import secrets
from hub.cli import run as hub_cli
from hub.errors import ExitCode
from hub.store.tables import rejects, sync_state
from hub.testing import Project


def project_for(root: Path, fake: FakeZoho, store_url: str | None = None, **settings: Any):
    project = Project(root, store_url=store_url)
    project.configure(
        {"zoho": {"adapter": "zoho", **zoho_settings(fake, **settings)}},
        timezone="Asia/Shanghai",
        base_currency="CNY",
    )
    return project


# -- point 1: deleted users ----------------------------------------------------------------------


def test_the_fake_lists_deleted_users_only_under_deleted_users(fake: FakeZoho, org: FakeOrg):
    token = fake.handle(
        httpx.Request(
            "POST",
            "https://accounts.zoho.com/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                **{k: v for k, v in fake.settings().items() if k != "dc"},
            },
        )
    ).json()["access_token"]

    def users(kind: str) -> set[str]:
        answer = fake.handle(
            httpx.Request(
                "GET",
                f"https://www.zohoapis.com{API}/users",
                params={"type": kind},
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
            )
        )
        return {u["status"] for u in answer.json()["users"]} if answer.status_code == 200 else set()

    assert "deleted" not in users("AllUsers")
    assert users("DeletedUsers") == {"deleted"}


def test_deleted_users_are_read_and_every_owner_links(
    tmp_path: Path, fake: FakeZoho, org: FakeOrg, store_url: str
) -> None:
    (gone,) = [uid for uid, u in org.users.items() if u["status"] == "deleted"]
    owned = [rid for rid, r in org.modules["Accounts"].records.items() if r["Owner"]["id"] == gone]
    if not owned:  # make sure the deleted user still owns an account, a call and a won deal
        org.update("Accounts", org.ids("Accounts")[0], Owner=org.owner(gone))
    org.update("Calls", org.ids("Calls")[0], Owner=org.owner(gone))
    project = project_for(tmp_path / "p", fake, store_url)
    report = project.sync()
    assert report.exit_code == ExitCode.OK, [r.error for r in report.results]
    assert any(r.status == "ok" for r in report.results)
    managers = {m["source_id"]: m for m in project.rows("managers", include_bookkeeping=True)}
    assert managers[gone]["active"] is False and managers[gone]["deleted_at"] is not None
    assert set(managers) == set(org.users)
    for result in report.results:
        assert result.unresolved == 0, result.stream  # every owner links to a manager
    for entity in ("customers", "activities"):
        for row in project.rows(entity):
            if row.get("owner_source_id") or row.get("manager_source_id"):
                assert row.get("owner_id") or row.get("manager_id"), row["source_id"]


def test_a_user_deleted_after_the_first_sync_is_marked_deleted(
    tmp_path: Path, fake: FakeZoho, org: FakeOrg
) -> None:
    project = project_for(tmp_path / "p", fake)
    assert project.sync().exit_code == ExitCode.OK
    victim = next(
        uid
        for uid, u in org.users.items()
        if u["status"] == "active" and uid != next(iter(org.users))
    )
    with org.lock:
        org.users[victim]["status"] = "deleted"  # Zoho need not touch Modified_Time
    assert project.sync().exit_code == ExitCode.OK
    managers = {m["source_id"]: m for m in project.rows("managers")}
    assert managers[victim]["deleted_at"] is True and managers[victim]["active"] is False


# -- point 14: cursors on Zoho's clock --------------------------------------------------------------


@pytest.mark.parametrize("skew_hours", [-1, 1])
def test_changes_are_read_when_the_clocks_of_hub_and_zoho_disagree(
    tmp_path: Path, skew_hours: int, store_url: str
) -> None:
    """Zoho's clock an hour behind the hub's (or ahead): every change is still read."""
    skew = dt.timedelta(hours=skew_hours)
    org = FakeOrg(clock=lambda: dt.datetime.now(dt.UTC) + skew)
    org.populate({"Accounts": 30, "Calls": 40, "Deals": 10}, seed=4)
    fake = FakeZoho(org)
    with mount(fake):
        project = project_for(tmp_path / "p", fake, store_url, goals=None)
        assert project.sync().exit_code == ExitCode.OK
        changed, gone = org.ids("Accounts")[:2]
        org.update("Accounts", changed, Industry="Shipping")
        org.delete("Accounts", gone)
        new_call = org.create("Calls", Subject="after the first sync", Call_Type="Outbound")
        victim = next(u for u, v in org.users.items() if v["status"] == "active")
        org.update_user(victim, email="moved@example.com")
        assert project.sync().exit_code == ExitCode.OK
    customers = {c["source_id"]: c for c in project.rows("customers")}
    assert customers[changed]["industry"] == "Shipping"
    assert customers[gone]["deleted_at"] is True
    assert new_call in {a["source_id"] for a in project.rows("activities")}
    managers = {m["source_id"]: m for m in project.rows("managers")}
    assert managers[victim]["email"] == "moved@example.com"


def test_cursors_stay_below_zohos_clock(tmp_path: Path) -> None:
    """The saved cursors are the newest Zoho timestamps read, never the hub's clock."""
    behind = dt.timedelta(hours=-1)
    org = FakeOrg(clock=lambda: dt.datetime.now(dt.UTC) + behind)
    org.populate({"Accounts": 5, "Calls": 5}, seed=4)
    fake = FakeZoho(org)
    with mount(fake):
        project = project_for(tmp_path / "p", fake, goals=None, activities=["Calls", "Notes"])
        assert project.sync().exit_code == ExitCode.OK
    zoho_now = org.now()
    with project.store.read() as conn:
        states = {r.stream: r.state for r in conn.execute(select(sync_state))}
    moments = [states["managers"]["cursor"]]
    for stream in ("customers", "activities"):
        for module in states[stream]["modules"].values():
            moments += [module["cursor"], module["deleted_cursor"]]
    for moment in filter(None, moments):
        assert dt.datetime.fromisoformat(moment) <= zoho_now - dt.timedelta(minutes=4), moment


# -- point 15: errors that show what to fix ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content", "kind"),
    [
        (501, b"<html><body>Not Implemented</body></html>", "text/html"),
        (200, b"<!doctype html><title>Welcome to nginx!</title>", "text/html"),
        (404, b"<html>Not Found</html>", "text/html; charset=utf-8"),
    ],
)
def test_a_host_that_is_not_zohos_gateway_is_named_at_once(
    org: FakeOrg, tmp_path: Path, status: int, content: bytes, kind: str
) -> None:
    fake = FakeZoho(org)
    asked: list[str] = []

    def web_server(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(status, content=content, headers={"Content-Type": kind})

    with respx.mock(assert_all_called=False) as router:
        router.route(host="intranet.example.com").mock(side_effect=web_server)
        router.route().mock(side_effect=fake.handle)
        project = project_for(
            tmp_path / "p", fake, api_domain="https://intranet.example.com", retry=None
        )
        result = project.sync()
    assert result.exit_code == ExitCode.CONFIG
    errors = {r.error for r in result.results if r.error and r.status != "stopped"}
    assert errors and all("intranet.example.com answered HTTP" in e for e in errors), errors
    assert all("not Zoho's API gateway" in e for e in errors)
    assert len(asked) == len(set(asked))  # each request sent once: none retried


def test_a_token_server_that_is_not_zohos_is_named(org: FakeOrg, tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(
            return_value=httpx.Response(
                501, content=b"<html>nope</html>", headers={"Content-Type": "text/html"}
            )
        )
        fake = FakeZoho(org)
        project = project_for(
            tmp_path / "p", fake, accounts_url="https://sso.example.com", retry=None
        )
        result = project.sync()
        assert len(router.calls) == 1
    assert result.exit_code == ExitCode.CONFIG
    assert any(
        "https://sso.example.com answered the token request with HTTP 501 text/html"
        in (r.error or "")
        for r in result.results
    )


def test_a_host_url_from_the_environment_is_shown_and_secrets_are_not(
    org: FakeOrg,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeZoho(org)
    monkeypatch.setenv("ZOHO_ACCOUNTS", "https://sso.example.com")
    monkeypatch.setenv("ZOHO_SECRET", "not-the-real-secret-42")
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(
            return_value=httpx.Response(
                501, content=b"<html/>", headers={"Content-Type": "text/html"}
            )
        )
        project = project_for(tmp_path / "p", fake, retry=None)
        text = project.config_path.read_text()
        text = text.replace(
            f'client_secret = "{fake.settings()["client_secret"]}"',
            'client_secret = "${ZOHO_SECRET}"',
        )
        text = text.replace('dc = "us"', 'accounts_url = "${ZOHO_ACCOUNTS}"')
        project.config_path.write_text(text)
        assert "${ZOHO_ACCOUNTS}" in text and "${ZOHO_SECRET}" in text
        code = hub_cli(["-C", str(project.config_path), "check"])
    out = capsys.readouterr()
    assert code == ExitCode.CONFIG
    assert "https://sso.example.com answered the token request" in out.out
    assert "not-the-real-secret-42" not in out.out + out.err
    assert secrets.redact("not-the-real-secret-42") == "***"


# -- point 12: credit codes and picklist labels --------------------------------------------------


def test_the_credit_code_field_is_found_by_its_label_and_select_labels_land_in_extra(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho, store_url: str
) -> None:
    org.add_field("Accounts", "USCC_1", label="统一社会信用代码")
    org.add_field(
        "Accounts", "Source_Code", "picklist", options={"1": "Trade show", "2": "Website"}
    )
    first, second = org.ids("Accounts")[:2]
    org.update("Accounts", first, USCC_1="91310000MA1FL8TQ3X", Source_Code="1")
    org.update("Accounts", second, Source_Code="9")  # not among the options: kept as it is
    project = project_for(tmp_path / "p", fake, store_url, credit_code_labels=["统一社会信用代码"])
    assert project.sync().exit_code == ExitCode.OK
    customers = {c["source_id"]: c for c in project.rows("customers")}
    assert customers[first]["credit_code"] == "91310000MA1FL8TQ3X"
    assert "USCC_1" not in customers[first]["extra"]
    assert customers[first]["extra"]["Source_Code"] == "1"
    assert customers[first]["extra"]["Source_Code__label"] == "Trade show"
    assert "Source_Code__label" not in customers[second]["extra"]
    # an incremental run maps the same way, from the facts kept in the state
    org.update("Accounts", second, Source_Code="2")
    assert project.sync().exit_code == ExitCode.OK
    customers = {c["source_id"]: c for c in project.rows("customers")}
    assert customers[second]["extra"]["Source_Code__label"] == "Website"
    assert customers[first]["credit_code"] == "91310000MA1FL8TQ3X"


def test_by_default_a_field_labelled_credit_code_is_used_and_a_mapping_wins(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho
) -> None:
    account = org.ids("Accounts")[0]
    org.update("Accounts", account, Credit_Code="91310000MA1FL0000X", Segment="91440300MA5F")
    found = project_for(tmp_path / "found", fake)
    assert found.sync().exit_code == ExitCode.OK
    (row,) = [c for c in found.rows("customers") if c["source_id"] == account]
    assert row["credit_code"] == "91310000MA1FL0000X"  # its label is "Credit Code"
    mapped = project_for(
        tmp_path / "mapped", fake, fields={"customers": {"Segment": "credit_code"}}
    )
    assert mapped.sync().exit_code == ExitCode.OK
    (row,) = [c for c in mapped.rows("customers") if c["source_id"] == account]
    assert row["credit_code"] == "91440300MA5F"
    assert row["extra"]["Credit_Code"] == "91310000MA1FL0000X"


# -- point 13: personal data in rejects -------------------------------------------------------------


@pytest.mark.parametrize("customers", ["Contacts", "Accounts"], ids=["b2c", "contacts-stream"])
def test_every_personal_field_of_a_rejected_record_is_masked(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho, customers: str
) -> None:
    """Walk every field of a rejected Contacts record: each personal one is masked,
    lookups included, custom phone and e-mail fields whose names say nothing too.
    The same whether Contacts are the customers (B2C) or the accounts' contacts."""
    org.add_field("Contacts", "Work_Line", "phone")
    org.add_field("Contacts", "Privat_Adresse", "email")
    org.add_field("Contacts", "Mailing_Street", "text")
    org.add_field("Contacts", "Mailing_Zip", "text")
    contact = org.ids("Contacts")[0]
    account = org.ids("Accounts")[0]
    personal = {
        "First_Name": "Meiling",
        "Last_Name": "Zhou",
        "Full_Name": "Meiling Zhou",
        "Email": "meiling.zhou@example.com",
        "Phone": "021-6234-5678",
        "Mobile": "13912345678",
        "Work_Line": "+86 139 8765 4321",
        "Privat_Adresse": "zhou.meiling@home.example",
        "Mailing_Street": "88 Century Avenue",
        "Mailing_Zip": "200120",
        "Date_of_Birth": "1990-04-01",
        "Account_Name": {"name": "Zhou Trading", "id": account},
    }
    org.update("Contacts", contact, **personal)
    org.modules["Contacts"].records[contact]["Created_Time"] = "31/02/2026 25:61"  # rejected
    project = project_for(tmp_path / "p", fake, customers=customers)
    assert project.sync().exit_code == ExitCode.REJECTS
    with project.store.read() as conn:
        (reject,) = [r for r in conn.execute(select(rejects)) if r.source_id == contact]
    raw = org.modules["Contacts"].records[contact]
    metadata = {f.api_name: f.data_type for f in org.modules["Contacts"].fields}
    leaks = []
    for name, original in raw.items():
        stored = reject.raw.get(name)
        if original in (None, "", [], True, False):
            continue
        is_personal = (
            metadata.get(name) in ("phone", "email", "lookup", "ownerlookup", "userlookup")
            or name in personal
        )
        if not is_personal:
            continue
        texts = [original["name"]] if isinstance(original, dict) else [str(original)]
        if isinstance(original, dict) and original.get("email"):
            texts.append(original["email"])
        if any(text in json.dumps(stored, ensure_ascii=False) for text in texts):
            leaks.append(name)
    assert leaks == [], leaks
    assert reject.raw["Owner"]["id"] == raw["Owner"]["id"]  # ids stay, to find the record


# -- point 2: won deals without a closing date or an amount ------------------------------------------


def test_a_won_deal_without_a_date_or_amount_is_kept_as_it_is_not_booked_elsewhere(
    tmp_path: Path, org: FakeOrg, fake: FakeZoho, store_url: str
) -> None:
    undated, no_amount = org.ids("Deals")[:2]
    org.update("Deals", undated, Stage="Closed Won", Closing_Date=None, Amount=5000)
    org.update("Deals", no_amount, Stage="Closed Won", Amount=None)
    project = project_for(tmp_path / "p", fake, store_url)
    report = project.sync()
    with project.store.read() as conn:
        found = [(r.source_id, r.reason) for r in conn.execute(select(rejects))]
    assert report.exit_code == ExitCode.OK, found
    orders = {a["source_id"]: a for a in project.rows("activities") if a["kind"] == "order"}
    assert orders[undated]["occurred_at"] is None and orders[undated]["completed_at"] is None
    assert orders[undated]["amount"] is not None  # the money is there, the date is not
    assert orders[no_amount]["amount"] is None and orders[no_amount]["occurred_at"] is not None
    with project.store.read() as conn:
        assert [r.source_id for r in conn.execute(select(rejects))] == []
