"""The store behaves the same on SQLite and PostgreSQL (`store_url` runs both)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, select

from hub.adapters.contract import Tombstone
from hub.model import Activity, Contact, Customer, Manager
from hub.store import search
from hub.store.database import SCHEMA_VERSION, Store
from hub.store.records import (
    HUB_ID_NAMESPACE,
    RecordWriter,
    count_unresolved,
    hub_id,
    hub_ids,
    iter_records,
    resolve_references,
)
from hub.store.tables import entity_tables, links, metadata, seen

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def customer(sid: str, **fields: object) -> Customer:
    return Customer.model_validate(
        {"source": "crm", "source_id": sid, "name": f"客户{sid}", **fields}
    )


def manager(sid: str, **fields: object) -> Manager:
    return Manager.model_validate(
        {"source": "crm", "source_id": sid, "name": f"经理{sid}", **fields}
    )


def order(sid: str, amount: str, **fields: object) -> Activity:
    return Activity.model_validate(
        {
            "source": "crm",
            "source_id": sid,
            "kind": "order",
            "occurred_at": dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI),
            "amount": amount,
            "currency": "CNY",
            **fields,
        }
    )


def writer(
    store: Store, entity: str, connection: str = "crm", refs: dict[str, str] | None = None
) -> RecordWriter:
    return RecordWriter(store.dialect, connection, entity, entity, refs)


def _declared(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    """Everything but the name-search objects each store builds its own way (hub.store.search)."""
    return not name or not (name in search.NAMES or name.startswith(f"{search.NAMES_INDEX}_"))


def test_migrations_create_exactly_the_model_tables(store_url: str) -> None:
    store = Store(store_url)
    assert store.upgrade() is True
    assert store.upgrade() is False
    assert store.current_revision() == store.head_revision() == SCHEMA_VERSION
    with store.read() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _declared}
            ),
            metadata,
        )
    assert diffs == [], f"the migrations and hub/store/tables.py disagree: {diffs}"


def test_concurrent_first_upgrades_do_not_race(store_url: str) -> None:
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            Store(store_url).upgrade()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Store(store_url).is_current()


def test_upsert_counts_and_is_idempotent(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    w = writer(store, "customers")
    with store.begin() as conn:
        first = w.upsert(conn, [customer("c1"), customer("c2")], 1, NOW)
    with store.begin() as conn:
        second = w.upsert(conn, [customer("c1"), customer("c2", tier="A"), customer("c3")], 1, NOW)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    with store.read() as conn:
        rows = {r.source_id: r for r in iter_records(conn, "customers")}
        link_count = conn.execute(select(func.count()).select_from(links)).scalar_one()
    assert rows["c2"].tier == "A"
    assert rows["c1"].id == hub_id("crm", "customers", "c1")
    assert link_count == 3


def test_hub_ids_of_a_batch_are_the_uuid5_of_each_record() -> None:
    """The batch form is the single-record one, which is uuid5 of the key."""
    source_ids = [f"a{i}" for i in range(2000)] + ["", "客户/7", "x" * 255]
    expected = [str(uuid.uuid5(HUB_ID_NAMESPACE, f"crm\x1fcustomers\x1f{s}")) for s in source_ids]
    assert hub_ids("crm", "customers", source_ids) == expected
    assert [hub_id("crm", "customers", s) for s in source_ids] == expected


def test_only_referenced_entities_are_linked_and_counts_stay_exact(store_url: str) -> None:
    """Activities get no `links` rows (nothing refers to them), yet their
    references resolve and inserted/updated/unchanged are counted exactly."""
    store = Store(store_url)
    store.upgrade()
    w = writer(store, "activities")
    with store.begin() as conn:
        writer(store, "customers").upsert(conn, [customer("c1")], 1, NOW)
        first = w.upsert(
            conn, [order("o1", "10", customer_source_id="c1"), order("o2", "5")], 1, NOW
        )
    with store.begin() as conn:
        second = w.upsert(
            conn,
            [order("o1", "10", customer_source_id="c1"), order("o2", "6"), order("o3", "1")],
            1,
            NOW,
        )
    with store.read() as conn:
        entities = conn.execute(select(links.c.entity).distinct()).scalars().all()
        rows = {r.source_id: r for r in iter_records(conn, "activities")}
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    assert entities == ["customers"]
    assert rows["o1"].customer_id == hub_id("crm", "customers", "c1")
    assert rows["o2"].amount == Decimal("6")


def test_a_record_twice_in_one_batch_keeps_its_last_version(store_url: str) -> None:
    """A source may list a record twice in one page; the last version wins, and
    the other records of the batch land unchanged (PostgreSQL refuses to update
    one row twice in a statement, so the batch is reduced first)."""
    store = Store(store_url)
    store.upgrade()
    w = writer(store, "customers")
    batch = [customer("c1"), customer("c2", tier="A"), customer("c3"), customer("c2", tier="B")]
    with store.begin() as conn:
        counts = w.upsert(conn, batch, 1, NOW)
    assert (counts.inserted, counts.updated, counts.unchanged) == (3, 0, 0)
    with store.read() as conn:
        rows = {r.source_id: r for r in iter_records(conn, "customers")}
    assert sorted(rows) == ["c1", "c2", "c3"]
    assert rows["c2"].tier == "B"


def test_money_and_time_round_trip_exactly(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    amounts = ["0.1", "0.2", "1234567890.1234", "99999.99"]
    with store.begin() as conn:
        writer(store, "activities").upsert(
            conn, [order(f"o{i}", a) for i, a in enumerate(amounts)], 1, NOW
        )
    t = entity_tables["activities"]
    with store.read() as conn:
        total = conn.execute(select(func.sum(t.c.amount))).scalar_one()
        stored = conn.execute(
            select(t.c.amount, t.c.occurred_at).where(t.c.source_id == "o2")
        ).one()
    assert total == Decimal("1234667890.4134")  # exact, no float drift
    assert stored.amount == Decimal("1234567890.1234")
    assert stored.occurred_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)


def test_times_land_as_the_same_instant_whatever_the_sessions_time_zone(
    postgres_url: str,
) -> None:
    """PostgreSQL reads staged times as UTC text with a "Z": a session (or a
    database) set to another time zone must not shift them."""
    store = Store(postgres_url)
    store.upgrade()
    with store.begin() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'America/New_York'")
        writer(store, "activities").upsert(
            conn,
            [
                order("o1", "1", logged_at=dt.datetime(1969, 12, 31, 23, 59, 59, 123456, SHANGHAI)),
                order("o2", "2", logged_at=None),
            ],
            1,
            NOW,
        )
    t = entity_tables["activities"]
    with store.read() as conn:
        stored = dict(conn.execute(select(t.c.source_id, t.c.logged_at)).all())
    assert stored["o1"] == dt.datetime(1969, 12, 31, 15, 59, 59, 123456, tzinfo=dt.UTC)
    assert stored["o2"] is None


def test_a_first_load_inserts_plainly_and_falls_back_to_the_upsert_on_a_stored_row(
    postgres_url: str,
) -> None:
    """New rows go in by plain INSERTs; a batch with one row already stored
    (a resumed run, another stream's row) is rolled back to its savepoint and
    upserted: counts, rows and `seen` end as the upsert alone makes them."""
    store = Store(postgres_url)
    store.upgrade()
    statements: list[str] = []
    event.listen(
        store.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split(" (")[0])
    )
    w = writer(store, "activities")
    with store.begin() as conn:
        first = w.upsert(conn, [order("o1", "1"), order("o2", "2")], 1, NOW, {"o1": "d1"})
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert "INSERT INTO activities" in statements and w.expect_new
    statements.clear()
    with store.begin() as conn:  # o2 is stored: the plain INSERT fails on its key
        second = w.upsert(
            conn, [order("o3", "3"), order("o2", "2.5"), order("o1", "1")], 2, NOW, {"o3": "d3"}
        )
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    assert statements.count("INSERT INTO activities") == 1  # tried once, then upserted
    assert not w.expect_new
    with store.begin() as conn:  # an upsert of only new rows lets the next batch try again
        w.upsert(conn, [order("o4", "4")], 2, NOW)
    assert w.expect_new
    t = entity_tables["activities"]
    with store.read() as conn:
        amounts = dict(conn.execute(select(t.c.source_id, t.c.amount)).all())
        marks = {r.source_id: (r.generation, r.digest) for r in conn.execute(select(seen))}
    assert amounts == {"o1": 1, "o2": Decimal("2.5"), "o3": 3, "o4": 4}
    assert marks == {"o1": (2, None), "o2": (2, None), "o3": (2, "d3"), "o4": (2, None)}


def test_references_resolve_whatever_order_records_arrive_in(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    with store.begin() as conn:
        writer(store, "customers").upsert(
            conn,
            [customer("c1", owner_source_id="m1"), customer("c2", owner_source_id="m404")],
            1,
            NOW,
        )
        assert count_unresolved(conn, "crm", "customers", "customers") == 2
    with store.begin() as conn:
        writer(store, "managers").upsert(
            conn, [manager("m1", supervisor_source_id="m2"), manager("m2")], 1, NOW
        )
        resolve_references(conn, "crm")
    with store.read() as conn:
        rows = {r.source_id: r for r in iter_records(conn, "customers")}
        bosses = {r.source_id: r for r in iter_records(conn, "managers")}
        unresolved = count_unresolved(conn, "crm", "customers", "customers")
    assert rows["c1"].owner_id == hub_id("crm", "managers", "m1")
    assert (
        rows["c2"].owner_id is None and rows["c2"].owner_source_id == "m404"
    )  # kept, not rejected
    assert unresolved == 1
    assert bosses["m1"].supervisor_id == hub_id("crm", "managers", "m2")


def test_changing_a_reference_resolves_it_again(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    with store.begin() as conn:
        writer(store, "managers").upsert(conn, [manager("m1"), manager("m2")], 1, NOW)
        writer(store, "customers").upsert(conn, [customer("c1", owner_source_id="m1")], 1, NOW)
    with store.begin() as conn:
        writer(store, "customers").upsert(conn, [customer("c1", owner_source_id="m2")], 1, NOW)
    with store.read() as conn:
        (row,) = list(iter_records(conn, "customers"))
    assert row.owner_id == hub_id("crm", "managers", "m2")


def test_references_into_another_connection(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    hr = Manager(source="hr", source_id="E1001", name="张伟")
    with store.begin() as conn:
        writer(store, "managers", connection="hr").upsert(conn, [hr], 1, NOW)
        activity = order("o1", "10", manager_source_id="E1001")
        writer(store, "activities", refs={"managers": "hr"}).upsert(conn, [activity], 1, NOW)
    with store.read() as conn:
        (row,) = list(iter_records(conn, "activities"))
    assert row.manager_id == hub_id("hr", "managers", "E1001")


def test_tombstones_sweeps_and_resurrection(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    w = writer(store, "customers")
    with store.begin() as conn:
        w.upsert(conn, [customer("c1"), customer("c2"), customer("c3")], 1, NOW)
        assert w.tombstone(conn, [Tombstone("c1"), Tombstone("nope")], NOW) == 1
        assert w.tombstone(conn, [Tombstone("c1")], NOW) == 0  # already a tombstone
    # a complete read (generation 2) that sees only c1 and c2
    with store.begin() as conn:
        w.upsert(conn, [customer("c1"), customer("c2")], 2, NOW)
        assert w.sweep(conn, 2, NOW) == 1
    with store.read() as conn:
        live = {r.source_id for r in iter_records(conn, "customers")}
        everything = {r.source_id: r for r in iter_records(conn, "customers", include_deleted=True)}
    assert live == {"c1", "c2"}  # c1 came back, c3 is gone
    assert everything["c3"].deleted_at is not None
    assert everything["c1"].deleted_at is None


def test_other_connections_are_never_touched(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    mine, theirs = writer(store, "customers"), writer(store, "customers", connection="other")
    with store.begin() as conn:
        mine.upsert(conn, [customer("c1")], 1, NOW)
        theirs.upsert(conn, [Customer(source="other", source_id="c1", name="x")], 1, NOW)
        mine.sweep(conn, 5, NOW)
        mine.tombstone(conn, [Tombstone("c1")], NOW)
    with store.read() as conn:
        live = [(r.source, r.source_id) for r in iter_records(conn, "customers")]
    assert live == [("other", "c1")]


def test_a_bulk_load_into_an_empty_table_rebuilds_its_indexes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    from hub.store.records import ensure_indexes

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()
    w = writer(store, "activities")
    expected = {i.name for i in entity_tables["activities"].indexes}
    with store.begin() as conn:
        assert w.start_bulk_load(conn) is True
        assert {i["name"] for i in inspect(conn).get_indexes("activities")} & expected == set()
        w.upsert(conn, [order("o1", "10")], 1, NOW)
        assert w.start_bulk_load(conn) is False  # not empty any more: indexes stay
        ensure_indexes(conn, ["activities"])
        assert {i["name"] for i in inspect(conn).get_indexes("activities")} >= expected


def test_a_sweep_after_a_large_load_on_postgresql_plans_with_fresh_statistics(
    postgres_url: str,
) -> None:
    """Before autovacuum gets to a freshly loaded table, PostgreSQL takes it for
    empty and anti-joins it with `seen` by nested loops: minutes at 100,000 rows.
    The sweep analyzes what changed enough first (and leaves the rest alone)."""
    import time

    from sqlalchemy import text

    store = Store(postgres_url)
    store.upgrade()
    w = writer(store, "customers")
    with store.begin() as conn:
        w.upsert(conn, [customer(f"c{i}") for i in range(3000)], 1, NOW)

    def stats() -> dict[str, tuple[int, object]]:
        with store.read() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            rows = conn.execute(
                text(
                    "SELECT relname, n_mod_since_analyze, last_analyze FROM pg_stat_user_tables"
                    " WHERE relname IN ('customers', 'seen')"
                )
            )
            return {r.relname: (r.n_mod_since_analyze, r.last_analyze) for r in rows}

    deadline = time.monotonic() + 10  # the writer's backend reports its counts when idle
    while min(n for n, _ in stats().values()) < 3000 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(analyzed is None for _, analyzed in stats().values())
    with store.begin() as conn:
        assert w.sweep(conn, 1, NOW) == 0
    analyzed = stats()
    assert all(when is not None for _, when in analyzed.values()), analyzed

    with store.begin() as conn:  # a small change: autovacuum's threshold is not reached
        w.upsert(conn, [customer("c1", name="改名")], 1, NOW)
        w.tombstone(conn, [Tombstone("c2")], NOW)
        assert w.sweep(conn, 1, NOW) == 0
    assert {k: when for k, (_, when) in stats().items()} == {
        k: when for k, (_, when) in analyzed.items()
    }


def test_a_stream_loaded_and_swept_in_one_transaction_is_analyzed_first(
    postgres_url: str,
) -> None:
    """A resumed run often loads a whole stream in one quick batch: the
    statistics counters have not heard of those rows when its sweep runs
    (they never include the current transaction), so the sweep was planned
    for an empty table and anti-joined 5,000 rows by nested loops, 5 s per
    stream. The planner must see the rows before the sweep is planned."""
    from sqlalchemy import text

    store = Store(postgres_url)
    store.upgrade()
    w = writer(store, "customers")
    ids = [f"c{i}" for i in range(3000)]
    with store.begin() as conn:
        w.upsert(conn, [customer(i) for i in ids], 1, NOW)
        assert w.sweep(conn, 1, NOW) == 0
        believed = dict(
            conn.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class"
                    " WHERE relname IN ('customers', 'seen') AND relkind = 'r'"
                )
            ).all()
        )
        plan = conn.execute(
            text(
                "EXPLAIN (FORMAT JSON) SELECT id FROM customers"
                " WHERE source = 'crm' AND stream = 'customers' AND deleted_at IS NULL"
            )
        ).scalar_one()
    assert believed == {"customers": 3000, "seen": 3000}
    assert plan[0]["Plan"]["Plan Rows"] == 3000


def test_digests_are_found_and_kept_across_many_ids(store_url: str) -> None:
    """A batch of more ids than SQLite binds parameters (999 in old builds),
    some with quotes and non-ASCII: every digest is found, and the rows kept
    unchanged survive the sweep of a complete read, the others not."""
    store = Store(store_url)
    store.upgrade()
    w = writer(store, "customers")
    count = 2503
    ids = [f"c{i}" for i in range(count - 3)] + ['c"quoted"', "c'single'", "客户-7"]
    with store.begin() as conn:
        w.upsert(conn, [customer(i) for i in ids], 1, NOW, {i: f"d-{i}" for i in ids})
    with store.read() as conn:
        found = w.stored_digests(conn, [*ids, "unknown"])
        assert w.stored_digests(conn, []) == {}
    assert found == {i: f"d-{i}" for i in ids}
    kept = ids[: count - 2]  # the last two are not in the next complete read
    with store.begin() as conn:
        w.keep(conn, [(i, f"d-{i}") for i in kept], 2)
        assert w.sweep(conn, 2, NOW) == 2
    with store.read() as conn:
        live = {r.source_id for r in iter_records(conn, "customers")}
        assert w.stored_digests(conn, ids) == {i: f"d-{i}" for i in kept}
    assert live == set(kept)


def test_contacts_link_to_their_customer_and_owner_and_tombstone(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    contact = Contact.model_validate(
        {
            "source": "crm",
            "source_id": "p1",
            "name": "王采购",
            "customer_source_id": "c1",
            "owner_source_id": "m1",
            "mobile": "13812345678",
            "is_primary": True,
            "marketing_consent": False,
        }
    )
    with store.begin() as conn:
        writer(store, "contacts").upsert(conn, [contact], 1, NOW)
        writer(store, "customers").upsert(conn, [customer("c1")], 1, NOW)
        writer(store, "managers").upsert(conn, [manager("m1")], 1, NOW)
        resolve_references(conn, "crm")
        assert count_unresolved(conn, "crm", "contacts", "contacts") == 0
    with store.read() as conn:
        (row,) = iter_records(conn, "contacts")
    assert row.customer_id == hub_id("crm", "customers", "c1")
    assert row.owner_id == hub_id("crm", "managers", "m1")
    assert (row.mobile, row.is_primary, row.marketing_consent) == ("13812345678", True, False)
    with store.begin() as conn:
        writer(store, "contacts").tombstone(conn, [Tombstone("p1", NOW)], NOW)
    with store.read() as conn:
        assert list(iter_records(conn, "contacts")) == []
        assert len(list(iter_records(conn, "contacts", include_deleted=True))) == 1
