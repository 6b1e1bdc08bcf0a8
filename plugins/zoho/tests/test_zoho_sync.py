"""End-to-end syncs from the fake Zoho into a real store, through the hub's engine."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import mount, zoho_settings
from sqlalchemy import select, text

from hub import secrets
from hub.cli import run as hub_cli
from hub.errors import ExitCode
from hub.periods import quarter_period
from hub.store.tables import entity_tables, rejects, run_streams, runs, sync_state
from hub.testing import Project, snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACTIVITY_MODULES = ("Calls", "Tasks", "Events", "Notes")
MEDIUM = {
    "Accounts": 250,
    "Contacts": 120,
    "Calls": 450,
    "Tasks": 250,
    "Events": 120,
    "Notes": 80,
    "Deals": 250,
    "Sales_Targets": 12,
}
"""Several pages per module, so faults land in the middle of listings."""


def make_project(
    root: Path,
    fake: FakeZoho,
    store_url: str | None = None,
    batch_size: int = 5000,
    **overrides: Any,
) -> Project:
    project = Project(root, store_url=store_url)
    project.configure(
        {"zoho": {"adapter": "zoho", **zoho_settings(fake, **overrides)}},
        timezone="Asia/Shanghai",
        base_currency="CNY",
        sync={"batch_size": batch_size},
    )
    return project


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["source_id"]: r for r in rows}


def results(report: Any) -> dict[str, Any]:
    return {r.stream: r for r in report.results}


def won(org: FakeOrg) -> set[str]:
    return {rid for rid, r in org.modules["Deals"].records.items() if r["Stage"] == "Closed Won"}


def expected_activities(org: FakeOrg) -> set[str]:
    return {rid for m in ACTIVITY_MODULES for rid in org.ids(m)} | won(org)


def expected_customer(org: FakeOrg, module: str, record: dict[str, Any]) -> str | None:
    """The account an activity is about (B2B), worked out from the org itself."""
    deals, contacts = org.modules["Deals"].records, org.modules["Contacts"].records

    def account_of(linked_module: str, rid: str) -> str | None:
        if linked_module == "Accounts":
            return rid
        parent = {"Deals": deals, "Contacts": contacts}.get(linked_module, {}).get(rid)
        return (parent.get("Account_Name") or {}).get("id") if parent else None

    if module == "Deals":
        return (record.get("Account_Name") or {}).get("id")
    if module == "Notes":
        parent = record["Parent_Id"]
        return account_of(parent["module"]["api_name"], parent["id"])
    links = []
    if record.get("What_Id"):
        links.append((record["$se_module"], record["What_Id"]["id"]))
    if record.get("Who_Id"):
        links.append(("Contacts", record["Who_Id"]["id"]))
    for linked_module, rid in links:
        found = account_of(linked_module, rid)
        if found:
            return found
    return None


def assert_store_matches_org(project: Project, org: FakeOrg) -> None:
    """Every live record once, with its owner and customer as the org says."""
    managers = by_id(project.rows("managers"))
    assert set(managers) == set(org.users)
    customers = by_id(project.rows("customers"))  # activities may point at deleted ones
    assert {k for k, r in customers.items() if not r["deleted_at"]} == set(org.ids("Accounts"))
    for rid in org.ids("Accounts"):
        row = customers[rid]
        assert row["owner_source_id"] == org.get("Accounts", rid)["Owner"]["id"]
        assert row["owner_id"] == managers[row["owner_source_id"]]["id"]
    activities = by_id([r for r in project.rows("activities") if not r["deleted_at"]])
    assert set(activities) == expected_activities(org)
    for module in (*ACTIVITY_MODULES, "Deals"):
        for rid, record in org.modules[module].records.items():
            if rid not in activities:
                continue
            row = activities[rid]
            assert row["manager_source_id"] == record["Owner"]["id"], (module, rid)
            assert row["manager_id"] == managers[row["manager_source_id"]]["id"]
            customer = expected_customer(org, module, record)
            assert row["customer_source_id"] == customer, (module, rid)
            if customer is not None:
                assert row["customer_id"] == customers[customer]["id"]


def store_text(project: Project) -> str:
    """Everything the hub keeps that is not source data: runs, state, rejects."""
    with project.store.read() as conn:
        parts = [
            [dict(r._mapping) for r in conn.execute(select(t))]
            for t in (runs, run_streams, sync_state, rejects)
        ]
    return json.dumps(parts, default=str)


@pytest.fixture
def medium_org() -> FakeOrg:
    org = FakeOrg()
    org.populate(MEDIUM, seed=11)
    return org


@pytest.fixture
def medium(medium_org: FakeOrg) -> Iterator[FakeZoho]:
    fake = FakeZoho(medium_org)
    with mount(fake):
        yield fake
    secrets.clear()


@pytest.fixture
def clean_snapshot(medium_org: FakeOrg, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """What a sync of the medium org gives when nothing goes wrong."""
    fake = FakeZoho(medium_org)
    with mount(fake):
        project = make_project(tmp_path / "clean", fake)
        assert project.sync().exit_code == ExitCode.OK
    return {entity: snapshot(project.store, entity) for entity in entity_tables}


# -- full sync -------------------------------------------------------------------------------


def test_full_sync_beyond_the_2000_record_wall_lands_every_record_once(
    tmp_path: Path, store_url: str
) -> None:
    org = FakeOrg()
    org.populate(
        {**{m: 2050 for m in (*ACTIVITY_MODULES, "Accounts", "Deals")}, "Contacts": 300},
        seed=5,
    )
    fake = FakeZoho(org)
    with mount(fake):
        project = make_project(tmp_path / "p", fake, store_url, goals=None)
        report = project.sync()
    assert report.exit_code == ExitCode.OK, [r.error for r in report.results]
    streams = results(report)
    assert streams["customers"].inserted == 2050
    assert streams["activities"].inserted == len(expected_activities(org)) > 4 * 2050
    assert streams["activities"].deleted == 0
    assert_store_matches_org(project, org)
    # Page tokens, not page numbers: eleven pages and more per module, no refusals.
    assert fake.stats.requests["/crm/v8/Accounts"] >= 11
    assert fake.stats.statuses[400] == 0
    amounts = {r["source_id"]: r for r in project.rows("activities") if r["kind"] == "order"}
    some = next(iter(won(org)))
    assert amounts[some]["amount"] == org.get("Deals", some)["Amount"]
    assert amounts[some]["currency"] == org.get("Deals", some)["Currency"]


def test_b2c_customers_are_contacts_beyond_2000_and_activities_point_at_them(
    tmp_path: Path,
) -> None:
    org = FakeOrg()
    org.populate({"Accounts": 50, "Contacts": 2100, "Calls": 600, "Deals": 100}, seed=8)
    fake = FakeZoho(org)
    with mount(fake):
        project = make_project(tmp_path / "p", fake, customers="Contacts", goals=None)
        assert project.sync().exit_code == ExitCode.OK
    customers = by_id(project.rows("customers"))
    assert set(customers) == set(org.ids("Contacts"))
    assert {r["kind"] for r in customers.values()} == {"person"}
    for rid, row in customers.items():
        assert row["owner_source_id"] == org.get("Contacts", rid)["Owner"]["id"]
        assert row["owner_id"] is not None
    calls = [r for r in project.rows("activities") if r["kind"] == "call"]
    with_contact = [r for r in calls if org.get("Calls", r["source_id"]).get("Who_Id")]
    assert with_contact
    for row in with_contact:
        who = org.get("Calls", row["source_id"])["Who_Id"]["id"]
        assert row["customer_source_id"] == who
        assert row["customer_id"] == customers[who]["id"]
    orders = [r for r in project.rows("activities") if r["kind"] == "order"]
    for row in orders:  # a deal's customer is its contact
        contact = org.get("Deals", row["source_id"])["Contact_Name"]
        assert row["customer_source_id"] == (contact or {}).get("id")


# -- incremental -------------------------------------------------------------------------------


def test_second_sync_picks_up_exactly_the_changes_deletes_and_creations(
    tmp_path: Path, medium_org: FakeOrg, store_url: str
) -> None:
    org = medium_org
    fake = FakeZoho(org)
    with mount(fake):
        project = make_project(tmp_path / "p", fake, store_url)
        assert project.sync().exit_code == ExitCode.OK
        accounts, calls, tasks = org.ids("Accounts"), org.ids("Calls"), org.ids("Tasks")
        for rid in accounts[:3]:
            org.update("Accounts", rid, Industry="Shipping")
        org.delete("Accounts", accounts[3])
        org.delete("Accounts", accounts[4], permanent=True)
        new_account = org.create("Accounts", Account_Name="Brand New Ltd")
        org.update("Calls", calls[0], Subject="Rescheduled")
        org.update("Calls", calls[1], Call_Duration_in_seconds=42)
        org.delete("Tasks", tasks[0])
        new_event = org.create(
            "Events",
            Event_Title="Kick-off",
            Start_DateTime=org.now(),
            What_Id={"name": "Brand New Ltd", "id": new_account},
            **{"$se_module": "Accounts"},
        )
        won_deal = sorted(won(org))[0]
        open_deal = next(
            rid for rid, r in org.modules["Deals"].records.items() if r["Stage"] == "Qualification"
        )
        org.update("Deals", won_deal, Stage="Negotiation")  # reopened: no longer an order
        org.update("Deals", open_deal, Stage="Closed Won")
        user = next(
            u
            for u, v in org.users.items()
            if v["status"] == "active" and u != next(iter(org.users))
        )
        org.update_user(user, status="inactive")
        goal = org.ids("Sales_Targets")[0]
        org.update("Sales_Targets", goal, Target=123456)
        second = project.sync()
    assert second.exit_code == ExitCode.OK
    counts = {s: (r.inserted, r.updated, r.deleted) for s, r in results(second).items()}
    assert counts == {
        "managers": (0, 1, 0),
        "customers": (1, 3, 2),
        "contacts": (0, 0, 0),
        "activities": (2, 2, 2),
        "goals": (0, 1, 0),
    }
    customers = by_id(project.rows("customers", include_bookkeeping=True))
    deleted_time = {d["id"]: d["deleted_time"] for d in org.modules["Accounts"].deleted}
    for rid in accounts[3:5]:
        assert customers[rid]["deleted_at"] == deleted_time[rid]  # Zoho's deletion time
    activities = by_id(project.rows("activities"))
    assert activities[tasks[0]]["deleted_at"] is True
    assert activities[won_deal]["deleted_at"] is True
    assert activities[open_deal]["deleted_at"] is False
    assert activities[new_event]["customer_id"] == customers[new_account]["id"]
    assert by_id(project.rows("managers"))[user]["active"] is False
    assert_store_matches_org(project, org)


def test_a_resync_with_no_changes_costs_one_request_per_module(
    tmp_path: Path, medium: FakeZoho
) -> None:
    project = make_project(tmp_path / "p", medium)
    assert project.sync().exit_code == ExitCode.OK
    medium.stats.requests.clear()
    assert project.sync().exit_code == ExitCode.OK
    listings = {
        "/crm/v8/users": 1,
        **{
            f"/crm/v8/{m}": 1
            for m in ("Accounts", "Contacts", *ACTIVITY_MODULES, "Deals", "Sales_Targets")
        },
    }
    deleted = {
        f"/crm/v8/{m}/deleted": 1
        for m in ("Accounts", "Contacts", "Calls", "Tasks", "Events", "Deals")
    }
    deleted["/crm/v8/Sales_Targets/deleted"] = 1
    deleted_users = {"/crm/v8/users": 2}  # type=DeletedUsers, read whole: few and rarely dated
    assert dict(medium.stats.requests) == listings | deleted | deleted_users
    assert medium.stats.statuses[304] == len(listings)

    # Asking for deletions at most hourly: exactly one request per module.
    hourly = make_project(tmp_path / "hourly", medium, deletes_every_minutes=60)
    assert hourly.sync().exit_code == ExitCode.OK
    medium.stats.requests.clear()
    assert hourly.sync().exit_code == ExitCode.OK
    assert dict(medium.stats.requests) == listings


def test_the_page_token_limit_restarts_from_the_newest_cursor(tmp_path: Path) -> None:
    org = FakeOrg()
    org.populate({"Accounts": 1100, "Calls": 700, "Deals": 10}, seed=2)
    fake = FakeZoho(org, page_token_limit=400)  # Zoho: 100,000
    with mount(fake):
        project = make_project(tmp_path / "p", fake, goals=None)
        assert project.sync().exit_code == ExitCode.OK
    # Accounts: 400 records by page token, refused, listed again from the newest cursor,
    # twice over; Calls once.
    assert fake.stats.statuses[400] == 3
    assert_store_matches_org(project, org)


# -- resilience --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "times", "every"),
    [
        ("expire_token", 3, 5),  # tokens expiring mid-run
        ("429", 15, 2),  # a 429 storm: every other request for a while
        ("500", 6, 3),  # 5xx bursts
        ("502", 4, 5),
        ("503", 4, 4),
        ("timeout", 5, 6),
        ("disconnect", 3, 7),
    ],
)
def test_failures_mid_run_give_the_same_store_as_a_clean_run(
    tmp_path: Path,
    medium: FakeZoho,
    clean_snapshot: dict[str, list[dict[str, Any]]],
    kind: str,
    times: int,
    every: int,
) -> None:
    fault = medium.inject(kind, times=times, every=every)
    project = make_project(tmp_path / "p", medium)
    report = project.sync()
    assert report.exit_code == ExitCode.OK, [r.error for r in report.results]
    assert fault.times == 0, "the fault did not fire as often as planned"
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


def test_more_threads_than_zoho_allows_still_finish_with_the_same_result(
    tmp_path: Path, medium_org: FakeOrg, clean_snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    fake = FakeZoho(medium_org, concurrency_limit=2, latency=0.003)
    with mount(fake):
        # Backoff that grows well past a request's time, as the default (1 s to 60 s) does.
        retry = {"attempts": 12, "initial_wait": 0.002, "max_wait": 0.05}
        project = make_project(tmp_path / "p", fake, max_concurrency=6, retry=retry)
        assert project.sync().exit_code == ExitCode.OK
    assert fake.stats.statuses[429] > 0
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


STREAM_OF_PATH = {
    "users": "managers",
    "Accounts": "customers",
    "Contacts": "contacts",  # and looked up by id for calls filed under a contact: activities
    "Sales_Targets": "goals",
    **{m: "activities" for m in (*ACTIVITY_MODULES, "Deals")},
}


def test_all_streams_are_read_at_once_within_one_limit_on_requests_in_flight(
    tmp_path: Path, medium_org: FakeOrg, clean_snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    fake = FakeZoho(medium_org, concurrency_limit=4, latency=0.02)
    lock = threading.Lock()
    in_flight: Counter[str] = Counter()
    overlapping: set[str] = set()
    """Streams that had a request in flight while another stream had one too."""
    looked_up: Counter[str] = Counter()
    """Records fetched by id, by module."""

    def watched(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")  # "", crm, v8, module ...
        module = request.url.params.get("module") if parts[3:4] == ["settings"] else parts[3]
        stream = STREAM_OF_PATH[str(module)]
        if module == "Contacts" and "ids" in request.url.params:
            stream = "activities"
        with lock:
            if "ids" in request.url.params:
                looked_up[str(module)] += 1
            in_flight[stream] += 1
            if len(+in_flight) > 1:
                overlapping.update(+in_flight)
        try:
            return fake.handle(request)
        finally:
            with lock:
                in_flight[stream] -= 1

    with respx.mock(assert_all_called=False) as router:
        router.route(path__startswith="/crm/").mock(side_effect=watched)
        router.route().mock(side_effect=fake.handle)
        project = make_project(tmp_path / "p", fake, max_concurrency=4)
        assert project.sync().exit_code == ExitCode.OK
    assert overlapping == {"managers", "customers", "contacts", "activities", "goals"}
    # One budget for the whole connection: the limit is reached, never passed.
    assert fake.stats.max_in_flight == 4
    assert fake.stats.statuses[429] == 0
    # Activities under a deal wait for the Deals listing: no deal is looked up by id.
    # (Contacts are looked up unless the contacts stream has read them already.)
    assert looked_up["Deals"] == 0
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


def assert_committed_batches_kept(project: Project, report: Any) -> None:
    """After a first run cut short: each stream's committed batches are in the store
    (nothing more), and a stream that committed any has its checkpoint saved."""
    with project.store.read() as conn:
        saved = {r.stream: r.state for r in conn.execute(select(sync_state))}
    for result in report.results:
        assert len(project.rows(result.entity)) == result.inserted, result.stream
        if result.batches:
            assert saved.get(result.stream) is not None, result.stream


def test_daily_credits_running_out_stops_cleanly_and_the_next_run_resumes(
    tmp_path: Path, medium_org: FakeOrg, clean_snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    probe = FakeZoho(medium_org)
    with mount(probe):
        assert make_project(tmp_path / "probe", probe, batch_size=100).sync().exit_code == 0
    # The wall two calls before the end, not at a fixed count: how many calls the
    # streams make before their first commits depends on how fast pages are mapped,
    # and a wall hit before any commit would leave nothing to resume from.
    fake = FakeZoho(medium_org, daily_credits=probe.credits_used - 2)
    with mount(fake):
        project = make_project(tmp_path / "p", fake, batch_size=100)
        first = project.sync()
        assert first.exit_code == ExitCode.QUOTA
        stopped = [r for r in first.results if r.status == "quota"]
        assert stopped  # the streams read side by side: the first to hit the wall stops them all
        for result in stopped:
            assert "API credits" in (result.error or "")
            assert "state saved" in (result.error or "")
        assert {r.status for r in first.results} <= {"ok", "quota", "stopped"}
        assert_committed_batches_kept(project, first)
        assert 0 < sum(r.inserted for r in first.results) < sum(map(len, clean_snapshot.values()))
        fake.daily_credits = 1_000_000  # a day later
        second = project.sync()
    assert second.exit_code == ExitCode.OK, [r.error for r in second.results]
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


def test_a_quota_stop_in_one_stream_keeps_what_the_others_committed_and_resumes(
    tmp_path: Path, medium_org: FakeOrg, clean_snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    fake = FakeZoho(medium_org, latency=0.002)
    with mount(fake):
        # Tasks only, from its second page on: the first waits for the Deals to be read.
        throttled = fake.inject("429", times=10_000, path="/crm/v8/Tasks", after=3)
        project = make_project(tmp_path / "p", fake, batch_size=100)
        first = project.sync()
        assert first.exit_code == ExitCode.QUOTA
        by_stream = results(first)
        assert by_stream["activities"].status == "quota"
        assert "429 TOO_MANY_REQUESTS after" in (by_stream["activities"].error or "")
        for name in ("managers", "customers", "goals"):  # finished, or stopped by activities
            assert by_stream[name].status in ("ok", "stopped"), by_stream[name]
        assert by_stream["activities"].inserted > 0  # the Deals landed
        assert_committed_batches_kept(project, first)
        throttled.times = 0  # Zoho lets Tasks through again
        second = project.sync()
    assert second.exit_code == ExitCode.OK, [r.error for r in second.results]
    resumed = results(second)["activities"]
    rest = len(expected_activities(medium_org)) - by_stream["activities"].inserted
    assert resumed.inserted == rest
    # From the checkpoint, not from scratch (a module's last page may be read again).
    assert resumed.read < len(expected_activities(medium_org))
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


def reader_threads_left() -> list[str]:
    """The adapter's reader threads still alive a moment after a sync returned."""
    for _ in range(50):
        names = [t.name for t in threading.enumerate() if t.name.startswith("hub-zoho")]
        if not names:
            break
        time.sleep(0.05)
    return names


def test_a_stream_with_a_config_error_does_not_hold_up_the_others(
    tmp_path: Path, medium_org: FakeOrg
) -> None:
    medium_org.modules["Deals"].fields = [
        f for f in medium_org.modules["Deals"].fields if f.api_name != "Currency"
    ]
    fake = FakeZoho(medium_org)
    with mount(fake):
        report = make_project(tmp_path / "p", fake).sync()  # no `currency` for the org
    assert report.exit_code == ExitCode.CONFIG
    by_stream = results(report)
    assert by_stream["activities"].status == "config-error"
    assert "connections.zoho.currency" in (by_stream["activities"].error or "")
    assert {by_stream[s].status for s in ("managers", "customers", "goals")} == {"ok"}
    assert by_stream["customers"].inserted == len(medium_org.ids("Accounts"))


def test_a_failing_deals_listing_leaves_no_module_waiting_for_it(
    tmp_path: Path, medium_org: FakeOrg
) -> None:
    fake = FakeZoho(medium_org, latency=0.002)
    with mount(fake):
        fake.inject("500", times=10_000, path="/crm/v8/Deals", after=3)  # fields, newest, oldest
        project = make_project(
            tmp_path / "p", fake, retry={"attempts": 2, "initial_wait": 0, "max_wait": 0.01}
        )
        report = project.sync()
    assert report.exit_code == ExitCode.SOURCE
    assert not reader_threads_left()  # the modules waiting for the Deals were released
    by_stream = results(report)
    assert by_stream["activities"].status == "source-error"
    assert "GET /crm/v8/Deals" in (by_stream["activities"].error or "")
    assert_committed_batches_kept(project, report)


def test_a_network_dying_mid_run_loses_nothing(
    tmp_path: Path, medium: FakeZoho, clean_snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    project = make_project(
        tmp_path / "p",
        medium,
        retry={"attempts": 2, "initial_wait": 0, "max_wait": 0.01},
        activities=["Calls", "Tasks", "Events", "Notes", "Deals"],
    )
    medium.inject("disconnect", times=2, after=1, path="/crm/v8/Tasks")  # page 2, twice
    first = project.sync(streams=["activities"])
    assert first.exit_code == ExitCode.SOURCE
    assert "Tasks" in (results(first)["activities"].error or "")
    second = project.sync()
    assert second.exit_code == ExitCode.OK
    for entity, rows in clean_snapshot.items():
        assert snapshot(project.store, entity) == rows, entity


# -- refused credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"client_secret": "not-the-secret"}, "invalid_client_secret"),
        ({"refresh_token": "1000.revoked.1"}, "invalid_code"),
        ({"dc": "eu"}, "invalid_client"),  # the account lives in the US data centre
    ],
)
def test_refused_credentials_fail_with_the_auth_exit_code_and_write_nothing(
    tmp_path: Path, medium: FakeZoho, change: dict[str, str], words: str
) -> None:
    project = make_project(tmp_path / "p", medium, **change)
    report = project.sync()
    assert report.exit_code == ExitCode.SOURCE
    failed = [r for r in report.results if r.status == "source-error"]
    assert failed and all(words in (r.error or "") for r in failed)
    assert {r.status for r in report.results} <= {"source-error", "stopped"}
    # Four streams waited for one token; the refusal was not asked for again.
    assert medium.stats.token_requests == 1
    for entity in entity_tables:
        assert project.rows(entity) == []
    with project.store.read() as conn:
        assert conn.execute(select(sync_state)).first() is None
    code = hub_cli(["-C", str(project.config_path), "sync"])
    assert code == ExitCode.SOURCE


def test_hub_check_names_the_data_centre(
    tmp_path: Path, medium: FakeZoho, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p", medium, dc="eu")
    code = hub_cli(["-C", str(project.config_path), "check"])
    out = capsys.readouterr().out
    assert code == ExitCode.SOURCE
    assert "FAIL zoho: wrong data centre" in out
    assert 'set dc = "us"' in out
    good = make_project(tmp_path / "good", medium)
    assert hub_cli(["-C", str(good.config_path), "check"]) == ExitCode.OK
    misspelt = make_project(tmp_path / "misspelt", medium, fields={"customers": {"Tierr": "tier"}})
    assert hub_cli(["-C", str(misspelt.config_path), "check"]) == ExitCode.CONFIG
    assert "Zoho module Accounts has no field 'Tierr'" in capsys.readouterr().out


# -- bad records, time zones, secrets -----------------------------------------------------------------


def test_a_malformed_record_goes_to_rejects_and_the_rest_lands(
    tmp_path: Path, medium: FakeZoho, medium_org: FakeOrg
) -> None:
    bad = medium_org.ids("Calls")[7]
    medium_org.update("Calls", bad, Call_Start_Time="31/02/2026 25:61")
    project = make_project(tmp_path / "p", medium)
    report = project.sync()
    assert report.exit_code == ExitCode.REJECTS
    activities = results(report)["activities"]
    assert activities.rejected == 1
    with project.store.read() as conn:
        stored = [dict(r._mapping) for r in conn.execute(select(rejects))]
    assert len(stored) == 1
    assert stored[0]["reason"].startswith(f"Calls {bad}: Call_Start_Time: not a")
    assert stored[0]["location"] == f"Calls/{bad}"
    assert bad not in by_id(project.rows("activities"))
    assert len(project.rows("activities")) == len(expected_activities(medium_org)) - 1
    medium_org.update("Calls", bad, Call_Start_Time=medium_org.now())  # fixed in Zoho
    assert project.sync().exit_code == ExitCode.OK
    assert bad in by_id(project.rows("activities"))
    with project.store.read() as conn:
        assert conn.execute(select(rejects.c.resolved_at)).scalar_one() is not None


def test_times_with_offsets_are_stored_in_utc_and_quarters_follow_shanghai(
    tmp_path: Path, medium_org: FakeOrg, store_url: str
) -> None:
    org = medium_org
    fake = FakeZoho(org, user_timezone="America/Los_Angeles")
    account = org.ids("Accounts")[0]
    org.update("Accounts", account, at=dt.datetime(2026, 5, 14, 9, 56, 48, tzinfo=dt.UTC))
    late = org.create(
        "Deals",
        Deal_Name="Last-minute order",
        Stage="Closed Won",
        Amount=1000,
        Currency="USD",
        Closing_Date="2026-09-30",
        Won_Time=dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI),
        Account_Name={"name": "x", "id": account},
    )
    early = org.create(
        "Deals",
        Deal_Name="New-quarter order",
        Stage="Closed Won",
        Amount=1000,
        Currency="USD",
        Closing_Date="2026-10-01",
        Won_Time=dt.datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI),
        Account_Name={"name": "x", "id": account},
    )
    with mount(fake):
        project = make_project(tmp_path / "p", fake, store_url, deal_closed_at="Won_Time")
        assert project.sync().exit_code == ExitCode.OK
    customer = by_id(project.rows("customers"))[account]
    assert customer["updated_at"] == dt.datetime(2026, 5, 14, 9, 56, 48, tzinfo=dt.UTC)
    orders = entity_tables["activities"]
    q3_start, q3_end = quarter_period(2026, 3).bounds(SHANGHAI)
    with project.store.read() as conn:
        in_q3 = set(
            conn.execute(
                select(orders.c.source_id).where(
                    orders.c.kind == "order",
                    orders.c.occurred_at >= q3_start,
                    orders.c.occurred_at < q3_end,
                    orders.c.source_id.in_([late, early]),
                )
            ).scalars()
        )
    assert in_q3 == {late}


def test_secrets_from_the_environment_stay_out_of_the_store_and_logs(
    tmp_path: Path,
    medium: FakeZoho,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = zoho_settings(medium)
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", settings["client_secret"])
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN", settings["refresh_token"])
    project = make_project(
        tmp_path / "p",
        medium,
        client_secret="${ZOHO_CLIENT_SECRET}",
        refresh_token="${ZOHO_REFRESH_TOKEN}",
    )
    medium.inject("expire_token", times=2, every=5)
    medium.inject("500", times=3, every=4)
    medium_org_call = next(iter(medium.org.modules["Calls"].records))
    medium.org.update("Calls", medium_org_call, Call_Start_Time="garbage")
    caplog.set_level(logging.DEBUG)
    assert project.sync().exit_code == ExitCode.REJECTS
    medium.revoke()
    assert project.sync().exit_code == ExitCode.SOURCE
    kept = store_text(project) + caplog.text
    for secret in (settings["client_secret"], settings["refresh_token"], *medium.tokens):
        assert secret not in kept
    assert "invalid_code" in kept


def test_the_store_is_the_same_on_postgresql_and_sqlite(
    tmp_path: Path, medium: FakeZoho, postgres_url: str
) -> None:
    lite = make_project(tmp_path / "lite", medium)
    pg = make_project(tmp_path / "pg", medium, store_url=postgres_url)
    assert lite.sync().exit_code == pg.sync().exit_code == ExitCode.OK
    for entity in entity_tables:
        assert snapshot(pg.store, entity) == snapshot(lite.store, entity), entity
    with pg.store.read() as conn:
        amount = conn.execute(text("select pg_typeof(amount)::text from activities limit 1"))
        assert amount.scalar_one() == "numeric"


def test_a_listing_cut_into_spans_resumes_each_span_where_it_stopped(tmp_path: Path) -> None:
    org = FakeOrg()
    org.populate({"Accounts": 100, "Calls": 4000, "Deals": 20}, seed=12)
    clean = FakeZoho(org)
    with mount(clean):
        reference = make_project(tmp_path / "clean", clean, goals=None, contacts=False)
        assert reference.sync().exit_code == ExitCode.OK
    fake = FakeZoho(org, daily_credits=26)  # one more for type=DeletedUsers
    with mount(fake):
        project = make_project(tmp_path / "p", fake, goals=None, contacts=False, batch_size=400)
        assert project.sync().exit_code == ExitCode.QUOTA
        with project.store.read() as conn:
            saved = {r.stream: r.state for r in conn.execute(select(sync_state))}
        spans = saved["activities"]["modules"]["Calls"]["spans"]
        assert len(spans) > 1 and not all(done for _, _, done in spans)
        stored = len(project.rows("activities"))
        assert 0 < stored < len(expected_activities(org))
        fake.daily_credits = 1_000_000
        resumed = project.sync()
    assert resumed.exit_code == ExitCode.OK
    assert results(resumed)["activities"].read < len(expected_activities(org))  # not from scratch
    for entity in entity_tables:
        assert snapshot(project.store, entity) == snapshot(reference.store, entity), entity
