"""End to end: `hub sync` of a fake Fxiaoke tenant into a real store."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hub_fxiaoke import paging
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.fake import SHANGHAI, DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.paging import PRESET_QUERY
from hub_fxiaoke.testing import HOST, assert_paced, mount
from sqlalchemy import func, select

from hub.cli import run as hub_cli
from hub.errors import ExitCode
from hub.model import ENTITIES
from hub.store.tables import entity_tables, rejects, sync_state
from hub.testing import Project

CONNECTION = "fx"


def make_project(
    root: Path, settings: dict[str, Any], store_url: str | None = None, **hub: Any
) -> Project:
    project = Project(root, store_url=store_url)
    project.configure({CONNECTION: {"adapter": "fxiaoke", **settings}}, **hub)
    return project


def count(project: Project, entity: str, *, live: bool = False) -> int:
    table = entity_tables[entity]
    query = select(func.count()).select_from(table).where(table.c.source == CONNECTION)
    if live:
        query = query.where(table.c.deleted_at.is_(None))
    with project.store.read() as conn:
        return conn.execute(query).scalar_one()


def by_source_id(project: Project, entity: str) -> dict[str, dict[str, Any]]:
    return {r["source_id"]: r for r in project.rows(entity)}


def results(report: Any) -> dict[str, Any]:
    return {r.stream: r for r in report.results}


# -- a tenant with far more than 10,000 accounts ----------------------------------------------


def test_full_sync_of_more_than_10000_accounts_lands_each_once_with_its_owner(
    vclock: VirtualClock, tmp_path: Path, sends: dict[str, list[float]]
) -> None:
    sizes = DemoSizes(accounts=10_250, follow_ups=30, visits=5, orders=5, payments=5, managers=40)
    tenant = populate(FakeFxiaoke(clock=vclock), sizes)
    with mount(tenant):
        project = make_project(tmp_path, tenant.settings(HOST))
        report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    customers = results(report)["customers"]
    assert (customers.read, customers.inserted, customers.rejected) == (10_250, 10_250, 0)
    assert customers.batches == 11  # committed every 10 pages, below the default batch_size
    rows = by_source_id(project, "customers")
    assert set(rows) == set(tenant.objects["AccountObj"])  # every record, once
    managers = by_source_id(project, "managers")
    hub_id_of = {sid: row["id"] for sid, row in managers.items()}
    for rid, record in tenant.objects["AccountObj"].items():
        row = rows[rid]
        if record["owner"]:
            expected = tenant.employees[record["owner"][0]].open_user_id
            assert (row["owner_source_id"], row["owner_id"]) == (expected, hub_id_of[expected])
        else:
            assert row["owner_source_id"] is None  # in the public pool
    assert tenant.counters.queries["AccountObj"] == 1 + math.ceil(10_250 / 100)  # + the mark
    assert 10013 not in tenant.counters.answered  # never ran into the offset wall
    assert_paced(sends[PRESET_QUERY], 100, 20.0)  # under 100 calls / 20 s, all streams together


def test_a_no_change_resync_costs_two_queries_per_object(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    before = dict(fake.counters.queries)
    report = project.sync()
    assert report.exit_code == ExitCode.OK
    spent = {api: n - before.get(api, 0) for api, n in fake.counters.queries.items()}
    assert spent == {  # the changes since the cursor, and the records invalidated since
        "AccountObj": 2,
        "ContactObj": 2,
        "ActiveRecordObj": 2,
        "CheckinsObj": 2,
        "SalesOrderObj": 2,
        "PaymentObj": 2,
        "GoalValueObj": 2,
    }
    assert all((r.inserted, r.updated, r.deleted) == (0, 0, 0) for r in report.results)


@pytest.mark.parametrize("concurrent", [True, False], ids=["side-by-side", "one-by-one"])
def test_objects_are_read_side_by_side_within_one_rate_limit(
    concurrent: bool, vclock: VirtualClock, tmp_path: Path, sends: dict[str, list[float]]
) -> None:
    sizes = DemoSizes(
        accounts=3000, follow_ups=3000, visits=1500, orders=1500, payments=1500, managers=20
    )
    tenant = populate(FakeFxiaoke(clock=vclock), sizes)
    queried: list[str] = []

    def recording(request: httpx.Request) -> httpx.Response:
        if request.url.path == PRESET_QUERY:
            api = json.loads(request.content)["data"]["dataObjectApiName"]
            queried.append(api)
            if api == "AccountObj":
                # Real time on the wire (the pacing runs on the virtual clock): the
                # other streams' threads have time to start while accounts are read.
                time.sleep(0.02)
        return tenant.handle(request)

    project = make_project(tmp_path, {**tenant.settings(HOST), "concurrent_streams": concurrent})
    with respx.mock() as router:
        router.route().mock(side_effect=recording)
        report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    activity_objects = ("ActiveRecordObj", "CheckinsObj", "SalesOrderObj", "PaymentObj")
    assert count(project, "customers") == 3000
    assert count(project, "activities") == sum(len(tenant.objects[o]) for o in activity_objects)
    last_account_page = max(i for i, api in enumerate(queried) if api == "AccountObj")
    first_pages = [queried.index(api) for api in (*activity_objects, "GoalValueObj")]
    if concurrent:
        assert all(first < last_account_page for first in first_pages), (
            first_pages,
            last_account_page,
            queried[:40],
        )
    else:
        assert all(first > last_account_page for first in first_pages)
    assert len(queried) > 100  # more than one window's worth of calls...
    assert_paced(sends[PRESET_QUERY], 100, 20.0)  # ...and all streams together kept the limit
    assert tenant.counters.token_calls == 1  # one token for every stream


# -- changes between two syncs ------------------------------------------------------------------


def test_changes_invalidations_and_new_records_are_picked_up_exactly(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, store_url: str
) -> None:
    project = make_project(tmp_path, settings, store_url)
    assert project.sync().exit_code == ExitCode.OK
    first = {e: by_source_id(project, e) for e in ENTITIES}

    accounts = sorted(fake.objects["AccountObj"])
    renamed, moved, dropped = accounts[1], accounts[2], accounts[3]
    fake.update("AccountObj", renamed, name="北京改名科技股份有限公司")
    fake.update("AccountObj", moved, owner=["1004"])
    fake.invalidate("AccountObj", dropped)
    new = [fake.add("AccountObj", {"name": f"新客户{i}", "owner": ["1005"]}) for i in range(2)]
    follow_up = fake.add(
        "ActiveRecordObj",
        {"owner": ["1005"], "account_id": new[0], "active_record_content": "首访"},
    )
    order = sorted(fake.objects["SalesOrderObj"])[0]
    fake.update("SalesOrderObj", order, order_amount="8888.80")
    fake.update_employee("1002", name="周改名", is_stop=True)

    report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    got = results(report)
    assert (got["customers"].inserted, got["customers"].updated, got["customers"].deleted) == (
        2,
        2,
        1,
    )
    assert (got["ActiveRecordObj"].inserted, got["ActiveRecordObj"].updated) == (1, 0)
    assert (got["SalesOrderObj"].inserted, got["SalesOrderObj"].updated) == (0, 1)
    assert (got["managers"].read, got["managers"].updated) == (1, 1)

    customers = by_source_id(project, "customers")
    assert customers[renamed]["name"] == "北京改名科技股份有限公司"
    assert customers[moved]["owner_source_id"] == fake.employees["1004"].open_user_id
    assert customers[moved]["owner_id"] is not None
    assert customers[dropped]["deleted_at"] is True
    assert all(customers[n]["deleted_at"] is False for n in new)
    untouched = set(accounts) - {renamed, moved, dropped}
    assert all(customers[a] == first["customers"][a] for a in untouched)
    activities = by_source_id(project, "activities")
    assert activities[f"SalesOrderObj:{order}"]["amount"] == Decimal("8888.80")
    assert activities[f"ActiveRecordObj:{follow_up}"]["customer_id"] == customers[new[0]]["id"]
    manager = by_source_id(project, "managers")[fake.employees["1002"].open_user_id]
    assert (manager["name"], manager["active"]) == ("周改名", False)


def test_contacts_sync_with_their_customer_and_follow_changes_and_deletes(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, store_url: str
) -> None:
    project = make_project(tmp_path, settings, store_url)
    assert project.sync().exit_code == ExitCode.OK
    contacts = by_source_id(project, "contacts")
    assert set(contacts) == set(fake.objects["ContactObj"])
    customers = by_source_id(project, "customers")
    for rid, record in fake.objects["ContactObj"].items():
        assert contacts[rid]["customer_id"] == customers[record["account_id"]]["id"]
        assert contacts[rid]["owner_id"] is not None
        assert contacts[rid]["mobile"] == record["mobile1"]

    ids = sorted(fake.objects["ContactObj"])
    fake.update("ContactObj", ids[0], job_title="财务总监", mobile1="13700001234")
    fake.invalidate("ContactObj", ids[1])
    new = fake.add("ContactObj", {"name": "新联系人", "account_id": sorted(customers)[0]})
    report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    got = results(report)["contacts"]
    assert (got.inserted, got.updated, got.deleted) == (1, 1, 1)
    contacts = by_source_id(project, "contacts")
    assert (contacts[ids[0]]["title"], contacts[ids[0]]["mobile"]) == ("财务总监", "13700001234")
    assert contacts[ids[1]]["deleted_at"] is True
    assert contacts[new]["deleted_at"] is False


@pytest.mark.parametrize("list_invalid", [True, False], ids=["invalid-listed", "invalid-hidden"])
def test_reconciliation_tombstones_records_that_vanished(
    list_invalid: bool, fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    fake.list_invalid = list_invalid
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    accounts = sorted(fake.objects["AccountObj"])
    fake.invalidate("AccountObj", accounts[0])
    fake.delete("AccountObj", accounts[0])  # gone for good: no query returns it again
    fake.invalidate("AccountObj", accounts[1])  # in the recycle bin
    report = project.sync()
    seen = by_source_id(project, "customers")
    assert seen[accounts[0]]["deleted_at"] is False  # an incremental read cannot know
    assert seen[accounts[1]]["deleted_at"] is True  # asked for with is_deleted EQ true
    assert results(report)["customers"].deleted == 1

    project.configure({CONNECTION: {"adapter": "fxiaoke", **settings, "reconcile_every_days": 0}})
    report = project.sync(streams=["customers"])
    assert report.exit_code == ExitCode.OK
    seen = by_source_id(project, "customers")
    assert seen[accounts[0]]["deleted_at"] is True
    assert seen[accounts[1]]["deleted_at"] is True
    assert count(project, "customers", live=True) == len(accounts) - 2


# -- cursors on Fxiaoke's clock, soft deletes seen incrementally ---------------------------------


@pytest.mark.parametrize("skew_hours", [-1, 1], ids=["tenant-behind", "tenant-ahead"])
def test_changes_are_read_whichever_clock_runs_ahead(
    skew_hours: int, fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    """The hub's clock an hour ahead of Fxiaoke's (or behind): a cursor taken
    from the hub's clock minus the 5-minute overlap would never read a change
    made in the hour after the first sync."""
    fake.skew_ms = skew_hours * 3_600_000
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    state = saved_states(project)["customers"]
    newest = max(r["last_modified_time"] for r in fake.objects["AccountObj"].values())
    assert state["cursor"] == newest  # Fxiaoke's time, not the hub's
    accounts = sorted(fake.objects["AccountObj"])
    fake.update("AccountObj", accounts[5], name="时差公司")
    fake.invalidate("AccountObj", accounts[6])
    report = project.sync()
    assert report.exit_code == ExitCode.OK
    got = results(report)["customers"]
    assert (got.updated, got.deleted) == (1, 1)
    customers = by_source_id(project, "customers")
    assert customers[accounts[5]]["name"] == "时差公司"
    assert customers[accounts[6]]["deleted_at"] is True


def test_incremental_reads_ask_for_invalidated_records_since_the_cursor(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    cursor = saved_states(project)["contacts"]["cursor"]
    gone = sorted(fake.objects["ContactObj"])[3]
    fake.invalidate("ContactObj", gone)
    assert project.sync(streams=["contacts"]).exit_code == ExitCode.OK
    asked = [
        json.loads(r.content)["data"]["search_query_info"]["filters"]
        for r in fake.counters.recent
        if r.url.path == PRESET_QUERY
    ]
    assert asked[-1] == [
        {"field_name": "is_deleted", "operator": "EQ", "field_values": ["true"]},
        {"field_name": "last_modified_time", "operator": "GTE", "field_values": [str(cursor)]},
    ]
    assert by_source_id(project, "contacts")[gone]["deleted_at"] is True


def test_a_record_changed_while_the_incremental_read_runs_is_read_in_that_pass(
    fake: FakeFxiaoke,
    settings: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vclock: VirtualClock,
) -> None:
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    accounts = sorted(fake.objects["AccountObj"])
    for rid in accounts[10:25]:  # more than one page of changes at a page size of 10
        fake.update("AccountObj", rid, UDSText1__c="改")
    late = accounts[0]  # lowest _id: an _id-ordered read would already be past it

    def change_late() -> None:
        vclock.advance(0.5)  # between two pages
        fake.update("AccountObj", late, name="读取中改名")

    fake.at_call(2, change_late)  # when the second page is asked for
    monkeypatch.setattr(paging, "PAGE_SIZE", 10)
    report = project.sync(streams=["customers"])
    assert report.exit_code == ExitCode.OK
    assert results(report)["customers"].updated == 16
    assert by_source_id(project, "customers")[late]["name"] == "读取中改名"


def test_more_than_a_page_of_changes_in_one_millisecond_are_each_read_once(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    at = fake.now_ms() + 1000
    new = [
        fake.add("AccountObj", {"name": f"批量导入{i}", "owner": ["1001"]}, at_ms=at)
        for i in range(250)
    ]
    report = project.sync(streams=["customers"])
    assert report.exit_code == ExitCode.OK
    got = results(report)["customers"]
    assert (got.read, got.inserted) == (250, 250)
    assert set(new) <= set(by_source_id(project, "customers"))
    state = saved_states(project)["customers"]
    assert (state["cursor"], state["cursor_id"], state["cursor_ids"]) == (at, max(new), None)
    again = project.sync(streams=["customers"])
    assert results(again)["customers"].read == 0  # strictly after (time, _id)


def test_a_change_in_the_cursors_own_millisecond_is_read_next_time(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    """A record changed in the very millisecond of the newest change read, but
    after the read, with a lower _id: the next run reads that millisecond
    again, without the records it read already."""
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    accounts = sorted(fake.objects["AccountObj"])
    fake.update("AccountObj", accounts[20], name="先改")
    at = fake.objects["AccountObj"][accounts[20]]["last_modified_time"]
    assert results(project.sync(streams=["customers"]))["customers"].updated == 1
    assert saved_states(project)["customers"]["cursor_ids"] == [accounts[20]]
    fake.objects["AccountObj"][accounts[3]].update(name="同一毫秒", last_modified_time=at)
    report = project.sync(streams=["customers"])
    got = results(report)["customers"]
    assert (got.read, got.updated) == (1, 1)
    assert by_source_id(project, "customers")[accounts[3]]["name"] == "同一毫秒"


# -- trouble: the same result as a clean run --------------------------------------------------------


def twins(vclock: VirtualClock, sizes: DemoSizes) -> tuple[FakeFxiaoke, FakeFxiaoke]:
    """Two identical tenants (same seed, same moment)."""
    return populate(FakeFxiaoke(clock=vclock), sizes), populate(FakeFxiaoke(clock=vclock), sizes)


def store_content(project: Project) -> dict[str, list[dict[str, Any]]]:
    return {entity: project.rows(entity) for entity in ENTITIES}


MEDIUM = DemoSizes(accounts=900, follow_ups=700, visits=150, orders=250, payments=200, managers=10)


def test_token_expiry_rate_limit_bursts_and_busy_answers_change_nothing(
    vclock: VirtualClock, tmp_path: Path
) -> None:
    clean, troubled = twins(vclock, MEDIUM)
    with mount(clean):
        reference = make_project(tmp_path / "clean", clean.settings(HOST))
        assert reference.sync().exit_code == ExitCode.OK

    troubled.at_call(10, troubled.expire_tokens)  # while several streams are reading
    troubled.fail(30004, times=3, after_calls=8)
    troubled.fail(14001, times=1, after_calls=15)
    troubled.fail(-1, times=2, after_calls=25)
    troubled.fail(50009, times=1, after_calls=30)

    def burst_from_another_client() -> None:
        # The window is full for a moment, whatever this client sent: its pace has
        # adapted to the 30004s above and may leave the last 20 s empty.
        troubled.calls_per_20s = 0
        troubled.at_call(3, lambda: setattr(troubled, "calls_per_20s", 100))

    troubled.at_call(35, burst_from_another_client)
    with mount(troubled):
        project = make_project(tmp_path / "troubled", troubled.settings(HOST))
        report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    assert troubled.counters.answered[20016] >= 1
    assert troubled.counters.token_calls == 2  # one new token, however many streams were refused
    assert troubled.counters.answered[30004] >= 4
    assert store_content(project) == store_content(reference)


def saved_states(project: Project) -> dict[str, dict[str, Any]]:
    with project.store.read() as conn:
        rows = conn.execute(select(sync_state.c.stream, sync_state.c.state)).all()
    return {stream: state for stream, state in rows if state}


@pytest.mark.parametrize("concurrent", [True, False], ids=["side-by-side", "one-by-one"])
def test_daily_quota_stops_cleanly_and_the_next_day_continues(
    concurrent: bool, vclock: VirtualClock, tmp_path: Path
) -> None:
    clean, limited = twins(vclock, MEDIUM)
    hub = {"sync": {"batch_size": 250}}
    with mount(clean):
        reference = make_project(tmp_path / "clean", clean.settings(HOST), **hub)
        assert reference.sync().exit_code == ExitCode.OK
    clean_calls = sum(clean.counters.queries.values())

    limited.daily_quota = 19  # runs out in the middle of an object (ContactObj one by one)
    settings = {**limited.settings(HOST), "concurrent_streams": concurrent}
    with mount(limited):
        project = make_project(tmp_path / "limited", settings, **hub)
        first = project.sync()
        assert first.exit_code == ExitCode.QUOTA
        stopped = next(r for r in first.results if r.status == "quota")
        assert "daily OpenAPI quota exhausted" in stopped.error
        assert "next run continues" in stopped.error
        assert {r.status for r in first.results} <= {"ok", "quota", "stopped", "skipped"}
        stored_before = store_content(project)
        if not concurrent:  # which stream stops where depends on how the threads took turns
            assert saved_states(project)[stopped.stream]["pass"]["after_id"]  # position kept
            assert count(project, ENTITIES_OF[stopped.stream]) > 0

        again = project.sync()  # same day: still exhausted, nothing lost
        assert again.exit_code == ExitCode.QUOTA
        assert store_content(project) == stored_before

        tomorrow = dt.datetime.fromtimestamp(vclock.time(), SHANGHAI).date() + dt.timedelta(1)
        midnight = dt.datetime.combine(tomorrow, dt.time(0, 0, 1), SHANGHAI).timestamp()
        vclock.advance(midnight - vclock.time())
        limited.daily_quota = None
        final = project.sync()
    assert final.exit_code == ExitCode.OK, final.results
    assert store_content(project) == store_content(reference)
    spent = sum(limited.counters.queries.values())
    streams = len(final.results)
    if concurrent:
        # Pages a sibling read but had not committed when the quota stopped the
        # connection are read again: at most what a batch holds (3 pages at
        # batch_size 250) and the two batches waiting in the engine's queue.
        assert spent <= clean_calls + streams + (streams - 1) * 3 * 3
    else:
        assert spent <= clean_calls + streams  # resumed where it stopped, re-read nothing


ENTITIES_OF = {
    "managers": "managers",
    "customers": "customers",
    "contacts": "contacts",
    "ActiveRecordObj": "activities",
    "CheckinsObj": "activities",
    "SalesOrderObj": "activities",
    "PaymentObj": "activities",
    "goals": "goals",
}


# -- refused credentials and permissions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda f, s: s.update(app_secret="0" * 32), "appSecret is missing or illegal"),
        (lambda f, s: s.update(permanent_code="A" * 32), "permanentCode is wrong"),
        (lambda f, s: setattr(f, "app_authorised", False), "not authorised the app"),
    ],
    ids=["wrong-app-secret", "wrong-permanent-code", "no-permission"],
)
def test_refused_credentials_exit_with_the_auth_code_and_write_nothing(
    setup: Any, words: str, fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    settings = dict(settings)
    setup(fake, settings)
    project = make_project(tmp_path, settings)
    report = project.sync()
    assert report.exit_code == ExitCode.SOURCE
    failed = [r for r in report.results if r.status == "source-error"]
    assert failed and all(words in r.error for r in failed)
    assert all(r.status in ("source-error", "stopped", "skipped") for r in report.results)
    assert all(count(project, entity) == 0 for entity in ENTITIES)
    assert fake.counters.token_calls == 1  # refused once: no stream asks again
    for secret in (settings["app_secret"], settings["permanent_code"]):
        assert all(secret not in str(r.error) for r in report.results)


def test_cli_sync_and_check_report_refused_credentials(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {**settings, "app_secret": "0" * 32})
    config = str(project.config_path)
    assert hub_cli(["-C", config, "sync"]) == ExitCode.SOURCE
    err = capsys.readouterr().err
    assert "appSecret is missing or illegal" in err and "0" * 32 not in err
    assert hub_cli(["-C", config, "check"]) == ExitCode.SOURCE
    out = capsys.readouterr().out
    assert "FAIL fx:" in out and "appSecret is missing or illegal (errorCode 10006" in out


# -- hub check ----------------------------------------------------------------------------------


def check(project: Project, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = hub_cli(["-C", str(project.config_path), "check"])
    return code, capsys.readouterr().out


def test_check_lists_what_it_can_read(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(make_project(tmp_path, settings), capsys)
    assert code == ExitCode.OK
    assert "token ok; readable: managers (directory), customers (AccountObj)" in out
    assert not (tmp_path / "hub.db").exists()  # check reads, it never writes


def test_check_explains_the_personnel_permission_trap(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.personnel_readable = False
    oauth = {**fake.settings(HOST, "oauth"), "managers_from": "personnel"}
    code, out = check(make_project(tmp_path, oauth), capsys)
    assert code == ExitCode.SOURCE
    assert "PersonnelObj answered no rows" in out and "data-sharing rule" in out


def test_sync_fails_the_managers_stream_in_the_personnel_permission_trap(
    fake: FakeFxiaoke, tmp_path: Path
) -> None:
    fake.personnel_readable = False
    oauth = {**fake.settings(HOST, "oauth"), "managers_from": "personnel"}
    project = make_project(tmp_path, oauth)
    report = project.sync()
    assert report.exit_code == ExitCode.FAILED  # not 0, not "ok with 0 rows"
    managers = results(report)["managers"]
    assert managers.status != "ok"
    assert "PersonnelObj answered no rows" in str(managers.error)
    assert "data-sharing rule" in str(managers.error)
    assert results(report)["customers"].status == "ok"  # the other streams still land
    assert count(project, "customers") > 0


def test_a_tenant_without_owned_customers_may_have_no_employees_readable(
    fake: FakeFxiaoke, tmp_path: Path
) -> None:
    fake.personnel_readable = False
    for record in fake.objects["AccountObj"].values():
        record["owner"] = []  # everything in the public pool: nobody waits for an owner
    oauth = {**fake.settings(HOST, "oauth"), "managers_from": "personnel"}
    report = make_project(tmp_path, oauth).sync(streams=["managers", "customers"])
    assert report.exit_code == ExitCode.OK, report.results


def test_an_empty_directory_fails_the_managers_stream_when_owners_wait(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    fake.employees_hidden = True
    report = make_project(tmp_path, settings).sync()
    assert report.exit_code == ExitCode.FAILED
    assert "visible range" in str(results(report)["managers"].error)


def test_check_names_an_object_the_tenant_lacks(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del fake.objects["CheckinsObj"]
    code, out = check(make_project(tmp_path, settings), capsys)
    assert code == ExitCode.CONFIG  # the fix is in hub.toml
    assert "CheckinsObj: the tenant has no object 'CheckinsObj'" in out
    assert "add {api_name = 'CheckinsObj', enabled = false} to [[connections.fx.activities]]" in out


def test_check_names_a_misspelt_object_and_its_likely_name(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    misspelt = {**settings, "activities": [{"api_name": "SalesOrdrObj", "kind": "order"}]}
    code, out = check(make_project(tmp_path, misspelt), capsys)
    assert code == ExitCode.CONFIG
    assert "the tenant has no object 'SalesOrdrObj' (did you mean 'SalesOrderObj'?)" in out


def test_check_tells_a_refused_object_from_a_missing_one(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail(15003, path="/cgi/crm/v2/data/query")  # the object exists; reading it is refused
    code, out = check(make_project(tmp_path, settings), capsys)
    assert code == ExitCode.SOURCE  # fixed in the Fxiaoke console, not in hub.toml
    assert "customers (AccountObj): Fxiaoke denied permission" in out


def test_check_names_an_unknown_operator(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = {**settings, "operator_user_id": "FSUID_NOBODY"}
    code, out = check(make_project(tmp_path, nobody), capsys)
    assert code == ExitCode.CONFIG
    assert "operator_user_id not found" in out and "FSUID_NOBODY" in out


def test_check_names_a_dead_host(
    settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = {**settings, "host": "http://127.0.0.1:9"}  # nothing listens on the discard port
    code, out = check(make_project(tmp_path, dead), capsys)
    assert code == ExitCode.SOURCE
    assert "http://127.0.0.1:9/cgi/corpAccessToken/get/V2: still failing" in out
    assert "cannot connect" in out


def test_check_reads_objects_one_by_one_when_the_object_list_is_refused(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail(15003, path="/cgi/crm/v2/object/list")
    code, out = check(make_project(tmp_path, settings), capsys)
    assert code == ExitCode.OK
    assert (
        "readable: managers (directory), customers (AccountObj), contacts (ContactObj), "
        "ActiveRecordObj" in out
    )


# -- values in the store -------------------------------------------------------------------------------


def test_amounts_and_business_days_survive_the_store(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, store_url: str
) -> None:
    late = int(dt.datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI).timestamp() * 1000)
    pid = fake.add(
        "PaymentObj",
        {"owner": ["1001"], "payment_amount": "1234.50", "payment_time": late},
        at_ms=fake.now_ms() - 86_400_000 * 3,
    )
    project = make_project(tmp_path, settings, store_url)
    assert project.sync().exit_code == ExitCode.OK
    payment = by_source_id(project, "activities")[f"PaymentObj:{pid}"]
    assert payment["amount"] == Decimal("1234.50") and isinstance(payment["amount"], Decimal)
    assert payment["currency"] == "CNY"
    assert payment["occurred_at"].astimezone(SHANGHAI).date() == dt.date(2026, 10, 1)
    goal = next(g for g in project.rows("goals") if g["target"] is not None)
    assert isinstance(goal["target"], Decimal)


def test_a_bad_record_is_rejected_with_its_id_and_field_and_the_rest_lands(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    bad = fake.add("SalesOrderObj", {"owner": ["1001"], "order_amount": "十二元", "order_time": 1})
    project = make_project(tmp_path, settings)
    report = project.sync()
    assert report.exit_code == ExitCode.REJECTS
    assert results(report)["SalesOrderObj"].rejected == 1
    with project.store.read() as conn:
        reason, raw = conn.execute(select(rejects.c.reason, rejects.c.raw)).one()
    assert reason == f"SalesOrderObj {bad}: order_amount: not a number: '十二元'"
    assert "****" in raw["owner__r"]["phone"]  # personal data masked in the rejects table
    assert (
        count(project, "activities")
        == sum(
            len(fake.objects[o])
            for o in ("ActiveRecordObj", "CheckinsObj", "SalesOrderObj", "PaymentObj")
        )
        - 1
    )


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) at the bottom of a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def test_every_personal_field_of_a_rejected_record_is_masked_expansions_too(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    """A rejected contact, with the employee expansions Fxiaoke adds
    (owner__r, created_by__r, … with name, nickname, phone, e-mail) and a
    lookup's display name: no personal value survives in the rejects table."""
    owner = fake.employees["1001"]
    account = sorted(fake.objects["AccountObj"])[0]
    bad = fake.add(
        "ContactObj",
        {
            "name": "欧阳采购",
            "account_id": account,
            "account_id__r": "欧阳家具有限公司",
            "contact_person__r": "欧阳娜娜",
            "owner": ["1001"],
            "created_by": ["1001"],
            "last_modified_by": ["1001"],
            "mobile1": "13612345678",
            "tel1": "021-62345678",
            "email": "ouyang@example.cn",
            "wechat__c": "ouyang_wx",
            "primary_contact": "maybe",  # the reason it is rejected
        },
    )
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.REJECTS
    with project.store.read() as conn:
        (raw,) = conn.execute(select(rejects.c.raw).where(rejects.c.stream == "contacts")).scalars()
    personal = {
        "欧阳采购", "欧阳家具有限公司", "欧阳娜娜", "13612345678", "021-62345678",
        "ouyang@example.cn", "ouyang_wx", owner.name, "小" + owner.name[:1], owner.mobile, owner.email,
    }  # fmt: skip
    fields = dict(leaves(raw))
    assert {"owner__r.nickname", "created_by__r.phone", "last_modified_by__r.email"} <= set(fields)
    for path, value in fields.items():
        for secret in personal:
            assert secret not in str(value), f"{path} keeps {secret!r}"
    assert raw["_id"] == bad and raw["owner__r"]["id"] == owner.open_user_id  # ids stay


def test_a_run_killed_mid_object_resumes_with_nothing_lost_or_doubled(
    vclock: VirtualClock, tmp_path: Path
) -> None:
    clean, crashing = twins(vclock, MEDIUM)
    hub = {"sync": {"batch_size": 250}}
    with mount(clean):
        reference = make_project(tmp_path / "clean", clean.settings(HOST), **hub)
        assert reference.sync().exit_code == ExitCode.OK

    answered = [0]  # follow-up queries answered; refused ones (20016, 30004) read nothing

    def crash_after_two_batches_of_follow_ups(request: httpx.Request) -> httpx.Response:
        if request.url.path != PRESET_QUERY or b'"ActiveRecordObj"' not in request.content:
            return crashing.handle(request)
        if answered[0] == 7:  # the mark query, then 6 pages (two batches) read
            raise KeyboardInterrupt  # what SIGTERM becomes in `hub sync`
        response = crashing.handle(request)
        answered[0] += json.loads(response.content)["errorCode"] == 0
        return response

    project = make_project(tmp_path / "crash", crashing.settings(HOST), **hub)
    with respx.mock() as router:
        router.route().mock(side_effect=crash_after_two_batches_of_follow_ups)
        assert project.sync().exit_code == ExitCode.INTERRUPTED
    follow_ups = [a for a in project.rows("activities") if "ActiveRecordObj:" in a["source_id"]]
    assert 300 <= len(follow_ups) < len(clean.objects["ActiveRecordObj"])  # one batch landed
    with mount(crashing):
        assert project.sync().exit_code == ExitCode.OK
    assert store_content(project) == store_content(reference)


def test_custom_objects_are_read_through_the_custom_endpoint(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    account = sorted(fake.objects["AccountObj"])[0]
    meeting = fake.add(
        "object_Hk2p1__c",
        {"name": "季度回顾会", "owner": ["1001"], "field_acc__c": account, "meeting_at__c": 1},
        at_ms=fake.now_ms() - 86_400_000,
    )
    custom = {
        "api_name": "object_Hk2p1__c",
        "kind": "meeting",
        "customer_field": "field_acc__c",
        "occurred_at_field": "meeting_at__c",
    }
    project = make_project(tmp_path, {**settings, "activities": [custom]})
    report = project.sync(streams=["object_Hk2p1__c"])
    assert report.exit_code == ExitCode.OK
    row = by_source_id(project, "activities")[f"object_Hk2p1__c:{meeting}"]
    assert (row["kind"], row["subject"]) == ("meeting", "季度回顾会")
    assert row["occurred_at"] == dt.datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=dt.UTC)
    assert any(r.url.path == "/cgi/crm/custom/v2/data/query" for r in fake.counters.recent)


# -- describe: labels, the credit code, a goal's person ------------------------------------------


def test_select_codes_keep_their_labels_and_the_credit_code_lands(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    accounts = sorted(fake.objects["AccountObj"])
    fake.update("AccountObj", accounts[0], uniform_social_credit_code="91310000MA1FL8XQ30")
    project = make_project(tmp_path, settings)
    assert project.sync().exit_code == ExitCode.OK
    row = by_source_id(project, "customers")[accounts[0]]
    level = fake.objects["AccountObj"][accounts[0]]["account_level"]
    assert row["tier"] == level  # the option code, as Fxiaoke stores it
    labels = {"1": "重要客户", "2": "普通客户", "3": "小客户"}
    assert row["extra"]["account_level__label"] == labels[level]  # its label beside it
    assert row["credit_code"] == "91310000MA1FL8XQ30"
    assert "uniform_social_credit_code" not in row["extra"]


def test_a_credit_code_in_a_custom_field_is_found_by_its_label(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    meta = fake.field_meta["AccountObj"]
    meta.pop("uniform_social_credit_code")
    meta["field_x8Kq1__c"] = {"type": "text", "label": "统一社会信用代码"}
    accounts = sorted(fake.objects["AccountObj"])
    fake.update("AccountObj", accounts[1], field_x8Kq1__c="91440300MA5DC2WQ1X")
    project = make_project(tmp_path, settings)
    assert project.sync(streams=["customers"]).exit_code == ExitCode.OK
    assert by_source_id(project, "customers")[accounts[1]]["credit_code"] == "91440300MA5DC2WQ1X"


def goal_in_dimension(fake: FakeFxiaoke, person: Any, **fields: Any) -> str:
    return fake.add(
        "GoalValueObj",
        {
            "name": "维度目标",
            "goal_type": "1",
            "check_object_id": "1001",  # the department the rule is applied to
            "check_dimension_value1": person,
            "goal_rule_id": "rule_by_person",
            "fiscal_year": "2026",
            "owner": ["1000"],
            "march_value": "30000.00",
            **fields,
        },
    )


@pytest.mark.parametrize(
    "shape", ["list", "string", "bracketed"], ids=["list", "id-string", "list-as-string"]
)
def test_goal_person_found_in_an_employee_dimension_in_any_shape(
    shape: str, fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    employee = fake.employees["1003"]
    fsuid = employee.open_user_id
    person = {"list": ["1003"], "string": fsuid, "bracketed": f'["{fsuid}"]'}[shape]
    gid = goal_in_dimension(fake, person)
    project = make_project(tmp_path, settings)
    report = project.sync(streams=["managers", "goals"])
    assert report.exit_code == ExitCode.OK, report.results
    goal = by_source_id(project, "goals")[f"{gid}:2026-03"]
    assert goal["manager_source_id"] == fsuid and goal["manager_id"] is not None
    assert goal["team"] is None


def test_goal_person_field_is_configurable_and_a_goal_without_one_names_the_fields_tried(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path
) -> None:
    by_rule = goal_in_dimension(
        fake,
        [],
        check_dimension_value2=[fake.employees["1004"].open_user_id],  # not typed in describe
        goal_rule_id="rule_second_dim",
    )
    nobody = goal_in_dimension(fake, [], check_object_id="", goal_rule_id="rule_nobody")
    goals = {"person_fields_by_rule": {"rule_second_dim": "check_dimension_value2"}}
    project = make_project(tmp_path, {**settings, "goals": goals})
    report = project.sync(streams=["managers", "goals"])
    assert report.exit_code == ExitCode.REJECTS
    rows = by_source_id(project, "goals")
    assert rows[f"{by_rule}:2026-03"]["manager_source_id"] == fake.employees["1004"].open_user_id
    with project.store.read() as conn:
        reasons = list(conn.execute(select(rejects.c.reason)).scalars())
    (reason,) = [r for r in reasons if nobody in r]
    assert "check_dimension_value1, check_object_id" in reason


def test_a_still_valid_token_is_reused_by_the_next_runs(
    fake: FakeFxiaoke, settings: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, settings)
    for _ in range(3):  # a schedule, hub check, a retry: one token for all of them
        assert project.sync().exit_code == ExitCode.OK
    assert fake.counters.token_calls == 1
    fake.expire_tokens()  # refused by Fxiaoke: replaced once, then reused again
    assert project.sync().exit_code == ExitCode.OK
    assert project.sync().exit_code == ExitCode.OK
    assert fake.counters.token_calls == 2
    monkeypatch.setenv("HUB_TOKEN_CACHE", "off")
    assert project.sync().exit_code == ExitCode.OK
    assert fake.counters.token_calls == 3
