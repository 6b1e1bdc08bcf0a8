"""Matching on real syncs of two CSV connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.cli import run
from hub.identity.resolve import match_all
from hub.store.records import hub_id

VALID = "91110108MA01ABCD2H"  # GB 32100 check character H
VALID_2 = "91310000MA1FL8XQ37"
INVALID = "91110108MA01ABCD2X"  # wrong check character

HR_MANAGERS = [
    {
        "id": "E1",
        "name": "张伟",
        "email": "zhang.wei@acme.example",
        "phone": "138 0013 8000",
        "employee_number": "E1",
    },
    {"id": "E2", "name": "李娜", "email": "Li.Na@ACME.example", "team": "domestic"},
    {"id": "E3", "name": "王芳", "email": "wang.fang@acme.example", "phone": "13900000001"},
    {"id": "E4", "name": "陈明", "phone": "+86-137-0000-0004"},
    {"id": "E5", "name": "刘洋"},
]
CRM_MANAGERS = [
    {"id": "u1", "name": "Zhang Wei", "email": "zhangwei@acme.example"},  # pinyin + e-mail ≈
    {"id": "u2", "name": "Li Na", "email": "li.na@acme.example"},  # e-mail case
    {
        "id": "u3",
        "name": "王芳",
        "email": "fang.w@other.example",
        "phone": "13900000099",
    },  # homonym
    {"id": "u4", "name": "Chen Ming", "phone": "8613700000004"},  # phone formats
    {"id": "u5", "name": "刘洋"},  # same name, nothing else: review, never merged
]


def members(
    project_config: str, capsys: pytest.CaptureFixture[str], entity: str
) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert run(["--config", project_config, "identity", "list", "--entity", entity, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def groups(items: list[dict[str, Any]]) -> set[frozenset[str]]:
    return {frozenset(f"{m['connection']}:{m['source_id']}" for m in u["members"]) for u in items}


def test_managers_merge_on_keys_and_scores_and_homonyms_stay_apart(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    config = str(s.project.config_path)
    found = groups(members(config, capsys, "managers"))
    assert frozenset({"hr:E1", "crm:u1"}) in found
    assert frozenset({"hr:E2", "crm:u2"}) in found
    assert frozenset({"hr:E4", "crm:u4"}) in found
    # two different people called 王芳, different phones and e-mails: two
    assert frozenset({"hr:E3"}) in found and frozenset({"crm:u3"}) in found
    # same name and no key at all: not merged, but offered for review
    assert frozenset({"hr:E5"}) in found and frozenset({"crm:u5"}) in found
    capsys.readouterr()
    assert run(["--config", config, "identity", "review", "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    pairs = {frozenset((r["a"], r["b"])) for r in review}
    assert frozenset({"hr:managers:E5", "crm:managers:u5"}) in pairs
    assert frozenset({"hr:managers:E3", "crm:managers:u3"}) not in pairs


def test_list_json_shape_and_evidence(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    items = members(str(s.project.config_path), capsys, "managers")
    assert len(items) == 7  # 10 records, three pairs merged
    for u in items:
        assert set(u) >= {"unified_id", "entity", "members", "evidence"}
        assert u["entity"] == "managers"
        assert all(set(m) >= {"connection", "source_id"} for m in u["members"])
    zhang = next(u for u in items if {m["source_id"] for m in u["members"]} == {"E1", "u1"})
    assert zhang["unified_id"] == hub_id("hr", "managers", "E1") or zhang["unified_id"] == hub_id(
        "crm", "managers", "u1"
    )
    [evidence] = zhang["evidence"]
    assert evidence["kind"] == "score"
    assert evidence["detail"]["weights"]["name equal"] > 0
    assert evidence["detail"]["weights"]["e-mail ≈"] > 0
    chen = next(u for u in items if {m["source_id"] for m in u["members"]} == {"E4", "u4"})
    assert chen["evidence"][0]["detail"]["key"] == "phone"
    assert "13700000004" not in json.dumps(chen)  # masked


def test_credit_codes_normalised_invalid_and_shared_phones_never_merge(sources, capsys) -> None:
    s = sources()
    customers = [
        {"id": "c1", "name": "北京华为技术有限公司", "credit_code": VALID.lower()},
        {"id": "c2", "name": "远大贸易", "credit_code": INVALID},
        {"id": "c4", "name": "空号公司一", "phone": ""},
    ]
    customers += [
        {"id": f"s{i}", "name": f"分店{i}号商行", "phone": "010-6552 9988"} for i in range(7)
    ]
    crm = [
        {
            "id": "k1",
            "name": "华为技术 Co., Ltd.",
            "credit_code": "９１１１０１０８ＭＡ０１ＡＢＣＤ２Ｈ",
        },
        {"id": "k2", "name": "宏图科技", "credit_code": INVALID},
        {"id": "k3", "name": "另一家", "credit_code": VALID_2},
        {"id": "k4", "name": "空号公司二", "phone": ""},
    ]
    s.set("hr", "customers", customers)
    s.set("crm", "customers", crm)
    s.sync()
    config = str(s.project.config_path)
    found = groups(members(config, capsys, "customers"))
    assert frozenset({"hr:c1", "crm:k1"}) in found  # case and full width
    assert frozenset({"hr:c2"}) in found and frozenset({"crm:k2"}) in found  # invalid code
    assert frozenset({"hr:c4"}) in found and frozenset({"crm:k4"}) in found  # empty phone
    assert all(frozenset({f"hr:s{i}"}) in found for i in range(7))  # switchboard
    capsys.readouterr()
    assert run(["--config", config, "identity", "explain", "crm:customers:k2", "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["issues"] == [
        {"kind": "invalid_credit_code", "key": "credit_code", "value": INVALID}
    ]
    store = s.project.store
    from sqlalchemy import select

    from hub.identity.tables import identity_issues

    with store.read() as conn:
        shared = (
            conn.execute(select(identity_issues).where(identity_issues.c.kind == "shared_key"))
            .mappings()
            .all()
        )
    assert [(r["key"], r["records"]) for r in shared] == [("phone", 7)]
    assert "65529988" not in shared[0]["value"]


def test_resync_of_unchanged_sources_changes_no_unified_id(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    config = str(s.project.config_path)
    before = members(config, capsys, "managers")
    s.sync()
    report = match_all(s.project.store, s.project.config, full=True)
    assert report.entities["managers"].changed == 0
    assert members(config, capsys, "managers") == before
    # an unrelated new record changes nobody else's unified id
    s.set(
        "crm", "managers", [*CRM_MANAGERS, {"id": "u9", "name": "赵六", "email": "zhao@x.example"}]
    )
    s.sync()
    after = {u["unified_id"]: u for u in members(config, capsys, "managers")}
    for u in before:
        assert after[u["unified_id"]]["members"] == u["members"]


def test_decisions_survive_resync_and_full_rematch_and_conflicts_fail(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    config = str(s.project.config_path)
    base = ["--config", config, "identity"]
    assert run([*base, "link", "hr:managers:E5", "crm:managers:u5", "--by", "alice"]) == 0
    assert run([*base, "unlink", "hr:managers:E1", "crm:managers:u1", "--by", "bob"]) == 0
    for _ in range(2):
        found = groups(members(config, capsys, "managers"))
        assert frozenset({"hr:E5", "crm:u5"}) in found
        assert frozenset({"hr:E1"}) in found and frozenset({"crm:u1"}) in found
        s.sync()
        assert run([*base, "resolve", "--full"]) == 0
    # the review queue no longer offers a decided pair
    capsys.readouterr()
    assert run([*base, "review", "--json"]) == 0
    assert not [
        r
        for r in json.loads(capsys.readouterr().out)
        if {r["a"], r["b"]} == {"hr:managers:E5", "crm:managers:u5"}
    ]
    # contradictions: directly, and through a chain of links
    capsys.readouterr()
    assert run([*base, "link", "hr:managers:E1", "crm:managers:u1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "unlinked by bob" in err and "--replace" in err
    assert run([*base, "link", "crm:managers:u1", "hr:managers:E2"]) == 0
    capsys.readouterr()
    assert run([*base, "link", "hr:managers:E1", "hr:managers:E2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "contradicts" in err
    assert run([*base, "link", "hr:managers:E1", "nowhere:managers:x"]) == 2
    assert "no such record" in capsys.readouterr().err
    # a replaced decision takes effect
    assert run([*base, "link", "hr:managers:E1", "crm:managers:u1", "--replace"]) == 0
    assert frozenset({"hr:E1", "crm:u1", "hr:E2", "crm:u2"}) in groups(
        members(config, capsys, "managers")
    )


def test_survivorship_takes_each_field_from_the_connection_config_names(sources, capsys) -> None:
    s = sources({"managers": {"prefer": ["crm"], "fields": {"name": ["hr"], "team": ["hr"]}}})
    s.set(
        "hr",
        "managers",
        [{"id": "E1", "name": "张伟", "email": "zw@acme.example", "team": "domestic"}],
    )
    s.set(
        "crm",
        "managers",
        [
            {
                "id": "u1",
                "name": "Zhang Wei",
                "email": "ZW@acme.example",
                "phone": "13800138000",
                "team": "sales",
            }
        ],
    )
    s.sync()
    from sqlalchemy import select

    from hub.store.tables import unified_tables

    u = unified_tables["managers"]
    with s.project.store.read() as conn:
        [row] = conn.execute(select(u)).mappings().all()
    assert (row["name"], row["team"], row["phone"], row["email"]) == (
        "张伟",
        "domestic",
        "13800138000",
        "ZW@acme.example",
    )
    assert row["sources"]["name"] == "hr" and row["sources"]["phone"] == "crm"
    assert row["members"] == 2


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        (
            {"merge_threshold": 0.4, "review_threshold": 0.6},
            "identity: review_threshold must not be above merge_threshold",
        ),
        ({"default_region": "XX"}, "unknown region"),
        ({"customer_keys": ["credit_code", "fax"]}, "unknown key 'fax'"),
        ({"managers": {"fields": {"colour": ["hr"]}}}, "'colour' is not a field of managers"),
    ],
)
def test_bad_identity_settings_fail_in_one_line(sources, capsys, identity, message) -> None:
    s = sources(identity)
    s.set("hr", "managers", HR_MANAGERS)
    with pytest.raises(Exception) as failure:
        s.sync()
    text = str(failure.value)
    assert message in text and len(text.splitlines()) == 1


def test_incremental_match_after_a_change_equals_a_full_rematch(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    config = str(s.project.config_path)
    changed = [dict(r) for r in CRM_MANAGERS]
    changed[4]["phone"] = "13600000005"  # u5 (刘洋) now shares a phone with the HR record
    changed[1]["email"] = "someone.else@acme.example"  # u2 no longer shares Li Na's e-mail
    hr = [dict(r) for r in HR_MANAGERS]
    hr[4]["phone"] = "136 0000 0005"
    s.set("hr", "managers", hr)
    s.set("crm", "managers", changed)
    s.sync()  # incremental: only what changed and its neighbours
    incremental = groups(members(config, capsys, "managers"))
    assert frozenset({"hr:E5", "crm:u5"}) in incremental
    assert run(["--config", config, "identity", "resolve", "--full"]) == 0
    assert groups(members(config, capsys, "managers")) == incremental


def test_hub_sync_matches_after_its_streams_land_but_not_on_a_dry_run(sources, capsys) -> None:
    s = sources()
    s.set("hr", "managers", HR_MANAGERS)
    s.set("crm", "managers", CRM_MANAGERS)
    s.sync()
    config = str(s.project.config_path)
    from sqlalchemy import delete

    from hub.identity.tables import identity_members, identity_state

    with s.project.store.begin() as conn:  # forget every match
        conn.execute(delete(identity_members))
        conn.execute(delete(identity_state))
    assert run(["--config", config, "sync", "--dry-run"]) == 0
    assert all(len(u["members"]) == 1 for u in members(config, capsys, "managers"))
    capsys.readouterr()
    assert run(["--config", config, "sync"]) == 0
    assert "identity: managers: 6 records in 3 unified" in capsys.readouterr().err
    assert frozenset({"hr:E1", "crm:u1"}) in groups(members(config, capsys, "managers"))
