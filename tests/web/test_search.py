"""The customers page's search through the name index (hub.store.search): it
finds what `name LIKE '%text%'` found, on both stores, and follows the sync's
writes (a renamed, an added and a deleted customer)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from hub.config import HubConfig
from hub.model import Customer
from hub.store.database import Store
from hub.store.records import RecordWriter
from hub.store.tables import entity_tables
from hub.web import data
from hub.web.users import User

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
ADMIN = data.Scope(User(1, "ada", "admin", None, None, None))


def customer(sid: str, name: str, **fields: object) -> Customer:
    return Customer.model_validate({"source": "crm", "source_id": sid, "name": name, **fields})


def found(store: Store, q: str) -> list[str]:
    config = HubConfig(store=store.url.render_as_string(hide_password=False))
    with store.read() as conn:
        page = data.customers(conn, config, ADMIN, q=q, tier=None, owner=None, page=1)
    return sorted(c["ref"] for c in page["items"])


def test_search_finds_parts_of_names_ids_and_credit_codes(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    w = RecordWriter(store.dialect, "crm", "customers", "customers", None)
    with store.begin() as conn:
        w.upsert(
            conn,
            [
                customer("c1", "张伟", kind="person"),
                customer("c2", "张伟明贸易有限公司", credit_code="91310000MA1FL0XX1X"),
                customer("c3", "Zhang Wei Trading Ltd"),
                customer("c4", "王芳"),
                customer("c5", "100%_Pure"),
            ],
            1,
            NOW,
        )
    assert found(store, "张伟") == ["c1", "c2"]  # two characters: no trigram, a scan
    assert found(store, "张伟明") == ["c2"]  # three and more: the index
    assert found(store, "Zhang Wei") == ["c3"]
    assert found(store, "Wei Trad") == ["c3"]
    assert found(store, "c4") == ["c4"]  # a source id as typed
    assert found(store, "91310000MA1FL0XX1X") == ["c2"]  # a credit code as typed
    assert found(store, "贸易公司") == []  # parts, not words in any order
    assert found(store, "%_Pure") == ["c5"]  # wildcards are taken out, as before
    with store.begin() as conn:  # the sync renames one and adds one
        w.upsert(conn, [customer("c3", "Li Na Imports"), customer("c6", "张伟明新")], 2, NOW)
    assert found(store, "Zhang Wei") == []
    assert found(store, "Na Imp") == ["c3"]
    assert found(store, "张伟明") == ["c2", "c6"]
    c = entity_tables["customers"]
    with store.begin() as conn:  # a row removed by hand is gone from the index too
        conn.execute(delete(c).where(c.c.source_id == "c2"))
    assert found(store, "张伟明") == ["c6"]
    assert found(store, "张伟") == ["c1", "c6"]
