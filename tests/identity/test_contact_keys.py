"""Contacts' mobiles and e-mails as customer keys (issue 16.10): two customer records
whose contacts share a mobile or an e-mail are the same company when their names
agree too; a value many customers' contacts share (a bookkeeper) merges nothing.
Real syncs of two CSV connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from hub.cli import run
from hub.identity.resolve import match_all
from hub.identity.tables import identity_evidence, identity_issues, identity_review
from hub.store.records import hub_id

CRM = [{"id": "k1", "name": "明远国际贸易"}, {"id": "k2", "name": "华辰科技"}]
FILES = [{"id": "f1", "name": "明远贸易有限公司"}, {"id": "f2", "name": "远方物流"}]
"""明远国际贸易 and 明远贸易 agree enough for a weak key (0.8), too little to merge
on the name alone; nothing else links any two of them."""


def groups(config: str, capsys: pytest.CaptureFixture[str]) -> set[frozenset[str]]:
    capsys.readouterr()
    assert run(["--config", config, "identity", "list", "--entity", "customers", "--json"]) == 0
    return {
        frozenset(f"{m['connection']}:{m['source_id']}" for m in u["members"])
        for u in json.loads(capsys.readouterr().out)
    }


def rows(store: Any, table: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def test_customers_whose_contacts_share_a_mobile_merge_with_masked_evidence(
    sources, capsys
) -> None:
    s = sources()
    s.set("crm", "customers", CRM)
    s.set("files", "customers", FILES)
    s.set(
        "crm",
        "contacts",
        [{"id": "p1", "name": "王采购", "customer": "k1", "mobile": "+86-138-0013-8000"}],
    )
    s.set(
        "files",
        "contacts",
        [{"id": "q1", "name": "王经理", "customer": "f1", "mobile": "138 0013 8000"}],
    )
    s.sync()
    config = str(s.project.config_path)
    found = groups(config, capsys)
    assert frozenset({"crm:k1", "files:f1"}) in found
    assert frozenset({"crm:k2"}) in found and frozenset({"files:f2"}) in found
    (evidence,) = rows(s.project.store, identity_evidence)
    assert {evidence["a_id"], evidence["b_id"]} == {
        hub_id("crm", "customers", "k1"),
        hub_id("files", "customers", "f1"),
    }
    assert evidence["kind"] == "key"
    assert evidence["detail"]["key"] == "contact_mobile"
    assert evidence["detail"]["name_similarity"] >= 0.7
    assert "13800138000" not in json.dumps(evidence["detail"])  # masked
    capsys.readouterr()
    assert run(["--config", config, "identity", "explain", "crm:customers:k1", "--json"]) == 0
    assert "13800138000" not in capsys.readouterr().out


def test_without_contacts_or_with_contact_keys_off_they_stay_apart(sources, capsys) -> None:
    contacts = [{"id": "p1", "name": "王采购", "customer": "k1", "mobile": "13800138000"}]
    other = [{"id": "q1", "name": "王经理", "customer": "f1", "mobile": "13800138000"}]
    s = sources({"customer_keys": ["credit_code", "phone", "email", "domain_name"]})
    s.set("crm", "customers", CRM)
    s.set("files", "customers", FILES)
    s.set("crm", "contacts", contacts)
    s.set("files", "contacts", other)
    s.sync()
    assert frozenset({"crm:k1", "files:f1"}) not in groups(str(s.project.config_path), capsys)
    assert rows(s.project.store, identity_evidence) == []


def test_a_shared_contact_email_with_names_that_disagree_is_only_offered_for_review(
    sources, capsys
) -> None:
    s = sources()
    s.set("crm", "customers", CRM)
    s.set("files", "customers", FILES)
    s.set(
        "crm", "contacts", [{"id": "p1", "name": "Li", "customer": "k2", "email": "li@ops.example"}]
    )
    s.set(
        "files",
        "contacts",
        [{"id": "q1", "name": "Li", "customer": "f2", "email": "LI@ops.example"}],
    )
    s.sync()
    found = groups(str(s.project.config_path), capsys)
    assert frozenset({"crm:k2"}) in found and frozenset({"files:f2"}) in found
    (pair,) = rows(s.project.store, identity_review)
    assert {pair["a_id"], pair["b_id"]} == {
        hub_id("crm", "customers", "k2"),
        hub_id("files", "customers", "f2"),
    }
    assert pair["detail"]["key"] == "contact_email"
    assert "li@ops.example" not in json.dumps(pair["detail"])


def test_a_bookkeeper_on_many_customers_merges_nothing_and_is_reported(sources, capsys) -> None:
    """A mobile on the contacts of more customers than `max_key_records` is a shared
    key: one person keeping the books of many small companies says nothing."""
    companies = [{"id": f"b{i}", "name": f"明远贸易{i}号店"} for i in range(6)]
    bookkeeper = [
        {"id": f"a{i}", "name": "张会计", "customer": f"b{i}", "mobile": "13900000001"}
        for i in range(6)
    ]
    s = sources()
    s.set("files", "customers", companies)
    s.set("files", "contacts", bookkeeper)
    s.sync()
    found = groups(str(s.project.config_path), capsys)
    assert all(frozenset({f"files:b{i}"}) in found for i in range(6))
    shared = [r for r in rows(s.project.store, identity_issues) if r["kind"] == "shared_key"]
    assert [(r["key"], r["records"]) for r in shared] == [("contact_mobile", 6)]
    assert "13900000001" not in shared[0]["value"]


def test_contact_changes_alone_rematch_their_customers_incrementally(sources, capsys) -> None:
    """Only a contact changes, not its customer: the next (incremental) match still
    sees it, merging when a shared mobile arrives and splitting when it goes."""
    s = sources()
    s.set("crm", "customers", CRM)
    s.set("files", "customers", FILES)
    s.set(
        "crm",
        "contacts",
        [{"id": "p1", "name": "王采购", "customer": "k1", "mobile": "13800138000"}],
    )
    s.set(
        "files",
        "contacts",
        [{"id": "q1", "name": "王经理", "customer": "f1", "mobile": "13700000000"}],
    )
    s.sync()
    config = str(s.project.config_path)
    assert frozenset({"crm:k1", "files:f1"}) not in groups(config, capsys)

    s.set(
        "files",
        "contacts",
        [{"id": "q1", "name": "王经理", "customer": "f1", "mobile": "13800138000"}],
    )
    s.sync()  # incremental: no customer changed
    assert frozenset({"crm:k1", "files:f1"}) in groups(config, capsys)

    s.set("files", "contacts", [])  # the contact is gone: tombstoned
    s.sync()
    incremental = groups(config, capsys)
    assert frozenset({"files:f1"}) in incremental and frozenset({"crm:k1"}) in incremental
    report = match_all(s.project.store, s.project.config, full=True)
    assert report.entities["customers"].changed == 0
    assert groups(config, capsys) == incremental


def test_unknown_customer_key_names_the_known_ones(sources) -> None:
    s = sources({"customer_keys": ["contact_wechat"]})
    s.set("files", "customers", FILES)
    with pytest.raises(Exception, match="contact_mobile, contact_email"):
        s.sync()
