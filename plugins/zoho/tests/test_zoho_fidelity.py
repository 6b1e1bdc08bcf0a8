"""What an independent check of the adapter found (issue 16): deleted users, won deals
without a date or an amount, credit codes, select labels, masked rejects, cursors on
Zoho's clock, error messages. Each against the fake Zoho, both stores where stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub_zoho.client import API
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import zoho_settings

from hub.errors import ExitCode
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
    import httpx

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
