"""Paging, field selection and the module pump, piece by piece."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_zoho.client import ZohoClient
from hub_zoho.concurrency import PageBudget, side_by_side
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.fields import plan_fields
from hub_zoho.paging import record_pages
from hub_zoho.settings import ZohoSettings
from hub_zoho.spans import Span, cut, estimate
from hub_zoho.testing import mount, zoho_settings

from hub import secrets
from hub.errors import ConfigError, ExitCode
from hub.testing import Project


@pytest.fixture
def accounts_fake() -> Iterator[FakeZoho]:
    org = FakeOrg()
    org.populate({"Accounts": 700}, seed=4)
    fake = FakeZoho(org)
    with mount(fake):
        yield fake
    secrets.clear()


def client(fake: FakeZoho) -> ZohoClient:
    return ZohoClient(ZohoSettings.model_validate(zoho_settings(fake)), logging.getLogger("t"))


def test_an_expired_page_token_restarts_the_listing_from_the_newest_record(
    accounts_fake: FakeZoho,
) -> None:
    pages = record_pages(client(accounts_fake), "Accounts", ["Account_Name", "Modified_Time"], None)
    seen = [r["id"] for r in next(pages)]
    for token in accounts_fake.page_tokens.values():
        token.issued -= dt.timedelta(hours=25)  # a listing that took more than a day
    for page in pages:
        seen += [r["id"] for r in page]
    assert set(seen) == set(accounts_fake.org.ids("Accounts"))
    assert accounts_fake.stats.statuses[400] == 1  # EXPIRED_VALUE, once
    assert len(seen) - len(set(seen)) <= 5  # at most the newest second read twice


def test_listing_from_a_cursor_reads_only_newer_records(accounts_fake: FakeZoho) -> None:
    org = accounts_fake.org
    changed = org.ids("Accounts")[:3]
    for rid in changed:
        org.update("Accounts", rid, Industry="Shipping")
    since = org.now() - dt.timedelta(seconds=1)
    pages = list(record_pages(client(accounts_fake), "Accounts", ["Industry"], since))
    assert sorted(r["id"] for page in pages for r in page) == sorted(changed)


def test_more_than_fifty_fields_are_all_kept(tmp_path: Path) -> None:
    org = FakeOrg()
    org.populate({"Accounts": 250}, seed=6)
    for i in range(45):
        org.add_field("Accounts", f"Custom_{i:02d}")
    for rid in org.ids("Accounts"):
        org.modules["Accounts"].records[rid].update(
            {f"Custom_{i:02d}": f"{rid}-{i}" for i in range(45)}
        )
    fake = FakeZoho(org)
    with mount(fake):
        project = Project(tmp_path / "p")
        project.configure(
            {"zoho": {"adapter": "zoho", **zoho_settings(fake, goals=None, activities=[])}}
        )
        report = project.sync(streams=["customers"])
    assert report.exit_code == ExitCode.OK
    rows = project.rows("customers")
    assert len(rows) == 250
    for row in rows:
        assert {k: v for k, v in row["extra"].items() if k.startswith("Custom_")} == {
            f"Custom_{i:02d}": f"{row['source_id']}-{i}" for i in range(45)
        }
    # The newest page and the oldest record (to plan the listing), two pages of 200,
    # and the fields beyond 50 by id, 100 records a call: 3 calls for 250 records.
    assert fake.stats.requests["/crm/v8/Accounts"] == 2 + 2 + 3
    assert fake.stats.statuses[400] == 0


def test_field_plan_needed_first_unlistable_skipped_chunks_of_fifty() -> None:
    meta = [{"api_name": f"Std_{i}", "data_type": "text"} for i in range(40)]
    meta += [{"api_name": f"Own_{i}", "data_type": "text", "custom_field": True} for i in range(20)]
    meta += [{"api_name": "Lines", "data_type": "subform"}, {"api_name": "Modified_Time"}]
    chunks = plan_fields("Accounts", meta, ["Modified_Time", "Hidden"], ["Own_3"], True, "x")
    assert [len(c) for c in chunks] == [50, 11]
    assert chunks[0][:2] == ["Modified_Time", "Own_3"]
    assert chunks[0][2:21] == [f"Own_{i}" for i in range(20) if i != 3]  # custom fields next
    flat = [n for c in chunks for n in c]
    assert "Lines" not in flat and "Hidden" not in flat
    assert len(flat) == len(set(flat)) == 61
    only = plan_fields("Accounts", meta, ["Modified_Time"], ["Own_3"], False, "x")
    assert only == [["Modified_Time", "Own_3"]]
    with pytest.raises(ConfigError, match="Accounts has no field 'Tier'"):
        plan_fields("Accounts", meta, [], ["Tier"], True, "connections.z.customers")


# -- the pump --------------------------------------------------------------------------------


def test_side_by_side_yields_every_item_and_raises_a_failure_after_its_items() -> None:
    def good(name: str) -> Iterator[str]:
        return (f"{name}{i}" for i in range(3))

    def bad() -> Iterator[str]:
        yield "bad0"
        raise RuntimeError("boom")

    items: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        for item in side_by_side([good("a"), bad(), good("b")], "test", depth=1):
            items.append(item)
    assert "bad0" in items


def test_closing_side_by_side_early_stops_and_closes_the_sources_in_their_threads() -> None:
    produced: list[int] = []
    closed_in: list[str] = []

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                produced.append(i)
                yield i
                i += 1
        finally:
            closed_in.append(threading.current_thread().name)

    stream = side_by_side([endless(), endless()], "test", depth=2)
    assert next(stream) in (0, 1)
    stream.close()
    assert len(closed_in) == 2
    assert all(name.startswith("test-") for name in closed_in)  # not the consumer's thread
    count = len(produced)
    time.sleep(0.1)
    assert len(produced) == count  # nothing runs after the consumer has gone


def test_a_page_budget_bounds_what_the_sources_fetch_ahead_of_the_consumer() -> None:
    budget = PageBudget(3)
    lock = threading.Lock()
    fetched = 0
    most_ahead = 0

    def pages(name: str) -> Iterator[str]:
        nonlocal fetched
        for i in range(5):
            with lock:
                fetched += 1
            yield f"{name}{i}"

    consumed = 0
    for _ in side_by_side([budget.pages(pages(n)) for n in "abcdef"], "test", depth=2):
        time.sleep(0.002)  # a slow consumer: the sources would run far ahead
        with lock:
            most_ahead = max(most_ahead, fetched - consumed)
        consumed += 1
        budget.consumed()
    assert consumed == 30
    assert most_ahead <= 3


# -- spans -------------------------------------------------------------------------------------


def test_a_long_listing_is_cut_into_contiguous_spans_the_last_open() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=100)
    spans = cut(None, start, end, records=20_000, most=5)
    assert len(spans) == 5
    assert spans[0].after is None and spans[-1].upto is None
    for left, right in itertools.pairwise(spans):
        assert left.upto == right.after
    assert cut(start, start, end, records=500, most=5) == [Span(start, None)]  # not worth it
    assert cut(None, end, end, records=90_000, most=5) == [Span(None, None)]  # one second


def test_the_record_count_is_guessed_from_the_newest_page() -> None:
    newest = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    page = [newest - dt.timedelta(hours=i) for i in range(200)]  # 200 records in 199 hours
    oldest = newest - dt.timedelta(hours=1990)
    assert estimate(oldest, newest, page) == 2000


def test_a_module_listing_is_read_in_spans_side_by_side(tmp_path: Path) -> None:
    org = FakeOrg()
    org.populate({"Accounts": 3000}, seed=9)
    fake = FakeZoho(org, latency=0.01)
    with mount(fake):
        project = Project(tmp_path / "p")
        settings = zoho_settings(fake, goals=None, activities=[], max_concurrency=4)
        project.configure({"zoho": {"adapter": "zoho", **settings}})
        assert project.sync(streams=["customers"]).exit_code == ExitCode.OK
    assert sorted(r["source_id"] for r in project.rows("customers")) == sorted(org.ids("Accounts"))
    assert fake.stats.max_in_flight == 4  # one module, four spans at once
    assert fake.stats.statuses[429] == 0
