"""Write-back into the fake Fxiaoke: follow-up records created once, refusals, lost answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx
from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.testing import HOST, mount
from sqlalchemy import select

from hub import secrets
from hub.actions.tables import action_outbox
from hub.cli import run as hub
from hub.errors import ExitCode
from hub.store.tables import entity_tables
from hub.testing import Project

PERIOD = "2026-Q4"
KEY = "hub_action_key__c"


@pytest.fixture
def tenant() -> FakeFxiaoke:
    fake = populate(
        FakeFxiaoke(),
        DemoSizes(accounts=8, follow_ups=0, visits=0, orders=0, payments=0, managers=4),
    )
    fake.custom_fields["ActiveRecordObj"] = {KEY}
    yield fake
    secrets.clear()


def _prepare(tmp_path: Path, store_url: str, fake: FakeFxiaoke) -> tuple[Project, list[str]]:
    project = Project(tmp_path, store_url=store_url)
    project.configure(
        {"crm": {"adapter": "fxiaoke", **fake.settings(HOST)}},
        timezone="Asia/Shanghai",
        rules={"contact_sla": {"days_by_tier": {"1": 14, "2": 14, "3": 14}}},
        actions={"follow_up": {"rule": "contact_sla", "language": "en"}},
    )
    args = ["--config", str(project.config_path)]
    with mount(fake):
        assert hub([*args, "sync"]) == 0
    assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
    return project, args


def _outbox(project: Project) -> list[dict]:
    with project.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(action_outbox))]


def test_apply_creates_one_follow_up_per_finding_and_reads_them_back(
    tmp_path: Path, store_url: str, tenant: FakeFxiaoke
) -> None:
    project, args = _prepare(tmp_path, store_url, tenant)
    accounts = set(tenant.objects["AccountObj"])
    with mount(tenant):
        assert hub([*args, "actions", "plan"]) == 0
        assert tenant.written == []
        assert hub([*args, "actions", "apply"]) == 0
        assert hub([*args, "actions", "apply"]) == 0
    assert sorted(w["record"]["account_id"] for w in tenant.written) == sorted(accounts)
    for w in tenant.written:
        assert w["triggerWorkFlow"] is False and w["triggerApprovalFlow"] is False
        account = tenant.objects["AccountObj"][w["record"]["account_id"]]
        assert w["record"].get("owner", []) == account["owner"]
        assert w["record"]["related_object_data"][0]["describe_api_name"] == "AccountObj"
        assert "Follow up with" in w["record"]["active_record_content"]
    assert {r["state"] for r in _outbox(project)} == {"confirmed"}

    with mount(tenant):
        assert hub([*args, "sync"]) == 0
    a, c, m = (entity_tables[n] for n in ("activities", "customers", "managers"))
    with project.store.read() as conn:
        customer = {r.source_id: r.id for r in conn.execute(select(c.c.source_id, c.c.id))}
        manager = {r.source_id: r.id for r in conn.execute(select(m.c.source_id, m.c.id))}
        back = {r.source_id: r for r in conn.execute(select(a))}
    for w in tenant.written:
        row = back[f"ActiveRecordObj:{w['id']}"]
        assert row.customer_id == customer[w["record"]["account_id"]]
        owner = w["record"].get("owner")
        if owner:
            assert row.manager_id == manager[tenant.employees[owner[0]].open_user_id]


def test_refusals_are_failed_with_the_reason(
    tmp_path: Path, store_url: str, tenant: FakeFxiaoke
) -> None:
    project, args = _prepare(tmp_path, store_url, tenant)
    tenant.create_forbidden.add("ActiveRecordObj")
    with mount(tenant):
        assert hub([*args, "actions", "apply"]) == ExitCode.REJECTS
        assert hub([*args, "actions", "apply"]) == 0  # refused for good: not retried
    rows = _outbox(project)
    assert {r["state"] for r in rows} == {"failed"}
    assert all("permission" in r["last_error"] for r in rows)
    assert tenant.written == []


def test_an_inactive_owner_is_refused(tmp_path: Path, store_url: str, tenant: FakeFxiaoke) -> None:
    project, args = _prepare(tmp_path, store_url, tenant)
    owner = next(iter(a["owner"][0] for a in tenant.objects["AccountObj"].values() if a["owner"]))
    tenant.employees[owner].is_stop = True
    with mount(tenant):
        assert hub([*args, "actions", "apply"]) == ExitCode.REJECTS
    failed = [r for r in _outbox(project) if r["state"] == "failed"]
    assert failed and all(
        r["owner_source_id"] == tenant.employees[owner].open_user_id for r in failed
    )
    assert all("not an active employee" in r["last_error"] for r in failed)


def test_a_lost_answer_is_looked_up_not_sent_twice(
    tmp_path: Path, store_url: str, tenant: FakeFxiaoke
) -> None:
    _project, args = _prepare(tmp_path, store_url, tenant)
    lost = {"left": 3}

    def answer_then_lose(request: httpx.Request) -> httpx.Response:
        response = tenant.handle(request)
        if request.url.path.endswith("/data/create") and lost["left"]:
            lost["left"] -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    with respx.mock(assert_all_called=False) as router:
        router.route(host=httpx.URL(HOST).host).mock(side_effect=answer_then_lose)
        assert hub([*args, "actions", "apply"]) == 0
    keys = [w["record"][KEY] for w in tenant.written]
    assert len(keys) == len(set(keys)) == len(tenant.objects["AccountObj"])
    assert lost["left"] == 0


def test_the_daily_quota_stops_cleanly_and_the_next_apply_finishes(
    tmp_path: Path, store_url: str, tenant: FakeFxiaoke
) -> None:
    project, args = _prepare(tmp_path, store_url, tenant)
    tenant.daily_quota = tenant.used_today() + 6  # the token, a describe and a few creates
    with mount(tenant):
        assert hub([*args, "actions", "apply"]) == ExitCode.QUOTA
        assert 0 < len(tenant.written) < len(tenant.objects["AccountObj"])
        tenant.daily_quota = None  # the next day
        assert hub([*args, "actions", "apply"]) == 0
    keys = [w["record"][KEY] for w in tenant.written]
    assert len(keys) == len(set(keys)) == len(tenant.objects["AccountObj"])
    assert {r["state"] for r in _outbox(project)} == {"confirmed"}
