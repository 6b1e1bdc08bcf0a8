"""What an independent check of the adapter found (issue 16): deleted users, won deals
without a date or an amount, credit codes, select labels, masked rejects, cursors on
Zoho's clock, error messages. Each against the fake Zoho, both stores where stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest
from hub_zoho.client import API
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import mount, zoho_settings
from sqlalchemy import select

from hub.errors import ExitCode
from hub.store.tables import sync_state
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
