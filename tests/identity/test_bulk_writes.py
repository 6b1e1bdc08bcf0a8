"""A first match's bulk writes: indexes built after the rows, and nothing lost
when the match fails half-way (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from hub.identity import resolve
from hub.identity.tables import identity_keys, identity_members

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
MANAGERS = [
    {"id": f"E{i}", "name": f"{s}建国", "email": f"p{i * 7919:05d}@acme.example",
     "phone": f"1380013{i:04d}"}
    for i, s in enumerate(SURNAMES)
]  # fmt: skip
CRM = [
    {"id": f"u{i}", "name": f"{s}建国", "email": f"P{i * 7919:05d}@ACME.example"}
    for i, s in enumerate(SURNAMES)
]


def indexes(store) -> set[str]:
    with store.read() as conn:
        found = set()
        for table in ("identity_keys", "identity_members"):
            found |= {i["name"] for i in inspect(conn).get_indexes(table)}
        return found


def test_a_bulk_first_match_builds_its_indexes_after_and_matches_the_same(
    sources, monkeypatch
) -> None:
    s = sources()
    s.set("hr", "managers", MANAGERS)
    s.set("crm", "managers", CRM)
    monkeypatch.setattr(resolve, "BULK", 0)  # every insert counts as a bulk one
    s.sync()
    store = s.project.store
    assert indexes(store) >= {
        "ix_identity_keys_entity_hub_id",
        "ix_identity_members_entity_unified_id",
    }
    with store.read() as conn:
        members = conn.execute(select(func.count()).select_from(identity_members)).scalar()
        unified = conn.execute(
            select(func.count(identity_members.c.unified_id.distinct()))
        ).scalar()
        before = conn.execute(select(func.count()).select_from(identity_keys)).scalar()
    assert (members, unified) == (60, 30)
    report = resolve.match_all(store, s.project.config, full=True)
    assert report.entities["managers"].changed == 0
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(identity_keys)).scalar() == before


def test_a_full_match_that_fails_half_way_changes_nothing(sources, monkeypatch) -> None:
    s = sources()
    s.set("hr", "managers", MANAGERS)
    s.set("crm", "managers", CRM)
    s.sync()
    store = s.project.store

    def stored() -> tuple[list, int]:
        with store.read() as conn:
            m = identity_members.c
            return (
                sorted(conn.execute(select(m.hub_id, m.unified_id)).all()),
                conn.execute(select(func.count()).select_from(identity_keys)).scalar(),
            )

    kept = stored()
    real = resolve.bulk_insert

    def failing(conn, table, *args, **kwargs):
        if table.name == "identity_members":  # after the keys were deleted and rewritten
            raise RuntimeError("disk gone")
        return real(conn, table, *args, **kwargs)

    monkeypatch.setattr(resolve, "BULK", 0)
    monkeypatch.setattr(resolve, "bulk_insert", failing)
    with pytest.raises(RuntimeError, match="disk gone"):
        resolve.match_all(store, s.project.config, full=True)
    assert stored() == kept
    assert indexes(store) >= {
        "ix_identity_keys_entity_hub_id",
        "ix_identity_members_entity_unified_id",
    }
