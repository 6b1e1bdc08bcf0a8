"""Write-back into the fake Zoho CRM: plan, apply, refusals, quota, tokens, read-back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx
from hub_zoho.testing import mount
from sqlalchemy import func, select

from hub.actions.tables import action_outbox
from hub.cli import run as hub
from hub.errors import ExitCode
from hub.store.tables import entity_tables
from tests.actions.zoho_org import KEY_FIELD, PERIOD, configure, overdue_org


def _outbox(project) -> dict[str, dict]:
    with project.store.read() as conn:
        return {r.key: dict(r._mapping) for r in conn.execute(select(action_outbox))}


def _tasks(fake) -> list[dict]:
    return [w for w in fake.written if w["module"] == "Tasks"]


def _prepare(tmp_path: Path, store_url: str, accounts: int = 6, **action):
    fake, accounts, owners = overdue_org(accounts)
    project = configure(tmp_path, fake, store_url, **action)
    args = ["--config", str(project.config_path)]
    with mount(fake):
        assert hub([*args, "sync"]) == 0
    assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
    return fake, accounts, owners, project, args


def test_plan_writes_nothing_apply_once_then_never_again(tmp_path: Path, store_url: str) -> None:
    fake, accounts, owners, project, args = _prepare(tmp_path, store_url)
    with mount(fake):
        assert hub([*args, "actions", "plan", "--period", PERIOD]) == 0
        assert _tasks(fake) == []
        with project.store.read() as conn:
            assert conn.execute(select(func.count()).select_from(action_outbox)).scalar() == 0

        assert hub([*args, "actions", "apply", "--period", PERIOD]) == 0
        tasks = _tasks(fake)
        assert sorted(t["record"]["What_Id"]["id"] for t in tasks) == sorted(accounts)
        for t in tasks:
            record = t["record"]
            assert t["trigger"] == []  # no workflows unless asked
            assert record["Owner"]["id"] == owners[record["What_Id"]["id"]]
            assert record["$se_module"] == "Accounts"
            assert record["Priority"] == "High"
            assert len(record[KEY_FIELD]) == 32
        states = {r["state"] for r in _outbox(project).values()}
        assert states <= {"sent", "confirmed"}

        assert hub([*args, "actions", "apply", "--period", PERIOD]) == 0
        assert len(_tasks(fake)) == len(accounts)
        assert {r["state"] for r in _outbox(project).values()} == {"confirmed"}

        # the next sync reads the tasks back as activities of the right manager and customer
        assert hub([*args, "sync"]) == 0
    c, a, m = (entity_tables[n] for n in ("customers", "activities", "managers"))
    with project.store.read() as conn:
        customer_of = {r.source_id: r.id for r in conn.execute(select(c.c.source_id, c.c.id))}
        manager_of = {r.source_id: r.id for r in conn.execute(select(m.c.source_id, m.c.id))}
        back = conn.execute(select(a).where(a.c.kind == "task")).all()
    assert len(back) == len(accounts)
    written = {t["id"]: t["record"] for t in _tasks(fake)}
    for row in back:
        record = written[row.source_id]
        assert row.customer_id == customer_of[record["What_Id"]["id"]]
        assert row.manager_id == manager_of[record["Owner"]["id"]]


def test_triggers_are_sent_only_when_asked(tmp_path: Path, store_url: str) -> None:
    fake, _accounts, _, _project, args = _prepare(tmp_path, store_url, triggers=True)
    with mount(fake):
        assert hub([*args, "actions", "apply"]) == 0
    assert {tuple(t["trigger"]) for t in _tasks(fake)} == {("workflow",)}


def test_refused_write_is_failed_with_reason_and_not_retried(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, accounts, owners, project, args = _prepare(tmp_path, store_url)
    gone = owners[accounts[0]]
    fake.org.update_user(gone, status="inactive")
    with mount(fake):
        assert hub([*args, "actions", "apply"]) == ExitCode.REJECTS
        failed = [r for r in _outbox(project).values() if r["state"] == "failed"]
        assert len(failed) == sum(o == gone for o in owners.values())
        assert all("INVALID_DATA" in r["last_error"] and "Owner" in r["last_error"] for r in failed)
        assert not any(r["retryable"] for r in failed)
        sent = len(_tasks(fake))
        assert sent == len(accounts) - len(failed)
        capsys.readouterr()
        assert hub([*args, "actions", "list", "--state", "failed", "--json"]) == 0
        assert "INVALID_DATA" in capsys.readouterr().out
        assert hub([*args, "actions", "apply"]) == 0  # nothing retried, nothing doubled
        assert len(_tasks(fake)) == sent


def test_quota_stops_cleanly_and_the_next_apply_finishes(tmp_path: Path, store_url: str) -> None:
    fake, accounts, _, _project, args = _prepare(tmp_path, store_url, accounts=25)
    with mount(fake):
        fault = fake.inject("quota", path="/Tasks", after=1)
        assert hub([*args, "actions", "apply"]) == ExitCode.QUOTA
        assert fault.times == 0
        assert 0 < len(_tasks(fake)) < len(accounts)
        fake.credits_used = 0  # a new day
        assert hub([*args, "actions", "apply"]) == 0
    keys = [t["record"][KEY_FIELD] for t in _tasks(fake)]
    assert len(keys) == len(set(keys)) == len(accounts)


def test_token_expiry_mid_apply_doubles_nothing(tmp_path: Path, store_url: str) -> None:
    fake, accounts, _, _project, args = _prepare(tmp_path, store_url, accounts=25)
    with mount(fake):
        fake.inject("expire_token", path="/Tasks", after=1)
        assert hub([*args, "actions", "apply"]) == 0
    keys = [t["record"][KEY_FIELD] for t in _tasks(fake)]
    assert len(keys) == len(set(keys)) == len(accounts)


def test_unknown_answer_is_looked_up_before_sending_again(tmp_path: Path, store_url: str) -> None:
    fake, accounts, _, project, args = _prepare(tmp_path, store_url)
    with mount(fake):
        fake.inject("timeout", path="/crm/v8/Tasks", times=100)
        assert hub([*args, "actions", "apply"]) == ExitCode.SOURCE
        assert all(r["in_doubt"] for r in _outbox(project).values())
        fake.faults.clear()
        assert hub([*args, "actions", "apply"]) == 0
    keys = [t["record"][KEY_FIELD] for t in _tasks(fake)]
    assert len(keys) == len(set(keys)) == len(accounts)


def test_a_finding_gone_before_sending_cancels_its_action(tmp_path: Path, store_url: str) -> None:
    fake, accounts, owners, project, args = _prepare(tmp_path, store_url)
    with mount(fake):
        fake.inject("quota", path="/Tasks")  # nothing goes out the first time
        assert hub([*args, "actions", "apply"]) == ExitCode.QUOTA
        fake.credits_used = 0
        fake.org.create(
            "Calls",
            owner=owners[accounts[0]],
            Subject="回访",
            Call_Type="Outbound",
            Call_Start_Time=fake.org.now(),
            What_Id={"id": accounts[0], "name": "x"},
            **{"$se_module": "Accounts"},
        )
        assert hub([*args, "sync"]) == 0
    assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
    with mount(fake):
        assert hub([*args, "actions", "apply"]) == 0
    states = sorted(r["state"] for r in _outbox(project).values())
    assert states.count("cancelled") == 1
    assert len(_tasks(fake)) == len(accounts) - 1


def test_missing_key_field_is_one_line_and_writes_nothing(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _accounts, _, _project, args = _prepare(tmp_path, store_url)
    fake.org.modules["Tasks"].fields = [
        f for f in fake.org.modules["Tasks"].fields if f.api_name != KEY_FIELD
    ]
    capsys.readouterr()
    with mount(fake):
        assert hub([*args, "actions", "apply"]) == ExitCode.CONFIG
    assert _tasks(fake) == []
    out = capsys.readouterr().out
    assert "Hub_Action_Key" in out and "Do not allow duplicate values" in out


def test_bad_action_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake, _, _ = overdue_org(1)
    project = configure(tmp_path, fake, None, subject={"zh": "{nope}", "en": "x"})
    assert hub(["--config", str(project.config_path), "actions", "plan"]) == ExitCode.CONFIG
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "actions.follow_up.subject.zh" in err[0] and "{nope}" in err[0]


def test_check_names_the_missing_key_field_only_when_actions_are_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _, _ = overdue_org(1)
    fake.org.modules["Tasks"].fields = [
        f for f in fake.org.modules["Tasks"].fields if f.api_name != KEY_FIELD
    ]
    project = configure(tmp_path, fake, None)
    args = ["--config", str(project.config_path)]
    with mount(fake):
        assert hub([*args, "check"]) == ExitCode.CONFIG
        assert "write-back" in capsys.readouterr().out
        fake.org.add_field("Tasks", KEY_FIELD, unique=True)
        assert hub([*args, "check"]) == 0


def test_when_search_lags_zoho_refuses_the_duplicate_and_it_counts_as_written(
    tmp_path: Path, store_url: str
) -> None:
    fake, accounts, _, project, args = _prepare(tmp_path, store_url)
    fake.search_lags = True
    lost = {"left": 1}

    def answer_then_lose(request: httpx.Request) -> httpx.Response:
        response = fake.handle(request)
        if request.method == "POST" and request.url.path.endswith("/Tasks") and lost["left"]:
            lost["left"] -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=answer_then_lose)
        hub([*args, "actions", "apply"])
        assert hub([*args, "actions", "apply"]) == 0
    keys = [t["record"][KEY_FIELD] for t in _tasks(fake)]
    assert len(keys) == len(set(keys)) == len(accounts)
    assert "DUPLICATE_DATA" in fake.refused
    assert {r["state"] for r in _outbox(project).values()} <= {"sent", "confirmed"}
    assert all(r["vendor_id"] for r in _outbox(project).values())
