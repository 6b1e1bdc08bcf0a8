"""What an incremental match looks at: what was synced since the last one,
and, when counting says the members and the live records no longer agree,
whatever the anti-joins find (both stores)."""

from __future__ import annotations

from sqlalchemy import delete, select

from hub.identity import resolve
from hub.identity.tables import identity_members
from hub.store.tables import entity_tables

from .test_bulk_writes import CRM, MANAGERS


def synced(sources):
    """An HR roster and a CRM export of the same 30 managers, synced and matched."""
    s = sources()
    s.set("hr", "managers", MANAGERS)
    s.set("crm", "managers", CRM)
    s.sync()
    return s


def memberships(store) -> dict[str, str]:
    with store.read() as conn:
        m = identity_members.c
        return dict(conn.execute(select(m.hub_id, m.unified_id)).all())


def test_a_live_record_left_unresolved_is_resolved_by_the_next_match(sources) -> None:
    s = synced(sources)
    store = s.project.store
    before = memberships(store)
    lost = sorted(before)[:3]
    with store.begin() as conn:  # as a record committed after the match read the table
        conn.execute(delete(identity_members).where(identity_members.c.hub_id.in_(lost)))
    report = resolve.match_all(store, s.project.config)
    assert not report.entities["managers"].full
    assert report.entities["managers"].records >= 3
    assert memberships(store) == before


def test_an_unchanged_store_is_matched_from_nothing(sources) -> None:
    s = synced(sources)
    report = resolve.match_all(s.project.store, s.project.config)
    assert report.entities["managers"].records == 0


def test_a_record_removed_by_hand_leaves_its_cluster(sources) -> None:
    s = synced(sources)
    store = s.project.store
    before = memberships(store)
    t = entity_tables["managers"]
    with store.begin() as conn:
        gone = conn.execute(select(t.c.id).where(t.c.source == "crm")).scalars().first()
        conn.execute(delete(t).where(t.c.id == gone))
    resolve.match_all(store, s.project.config)
    after = memberships(store)
    assert gone not in after
    assert after == {h: u for h, u in before.items() if h != gone and u != gone} | {
        h: after[h] for h, u in before.items() if u == gone and h != gone
    }
