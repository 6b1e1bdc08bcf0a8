"""The adaptive in-flight limit: cut on throttling, grow slowly, remembered for the next run."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from hub.adapters.pacing import (
    NEAR_THROTTLE_SLOWDOWN,
    AdaptiveLimit,
    FileLimitMemory,
    InFlightLimit,
    limit_memory,
)

LOG = logging.getLogger("test.pacing")


def test_a_throttle_halves_the_limit_once_per_round() -> None:
    limit = AdaptiveLimit(8)
    tickets = [limit.ticket for _ in range(5)]  # five requests sent under the limit of 8
    assert limit.on_throttle(tickets[0]) is True
    for ticket in tickets[1:]:  # the rest of the burst was sent before the cut
        assert limit.on_throttle(ticket) is False
    assert limit.value == 4 and limit.throttles == 5 and limit.cuts == 1
    assert limit.on_throttle(limit.ticket) is True  # sent after the cut: a new signal
    assert limit.value == 2


def test_a_throttle_below_the_limit_cuts_from_what_was_in_use() -> None:
    """100 calls per window allowed, the vendor refused the 40th: it allows at most 39,
    so halving 100 (to 50, still above) would only be refused again."""
    limit = AdaptiveLimit(100)
    assert limit.on_throttle(limit.ticket, seen=40) is True
    assert limit.value == 20
    assert limit.on_throttle(limit.ticket, seen=500) is True  # never above the limit itself
    assert limit.value == 10
    for _ in range(8 * sum(range(10, 19))):  # 10 -> 19 at the normal pace
        limit.on_success()
    assert limit.value == 19
    for _ in range(8 * 19 * NEAR_THROTTLE_SLOWDOWN - 1):  # back to where it was throttled: slow
        limit.on_success()
    assert limit.value == 19


def test_the_limit_never_goes_below_its_floor() -> None:
    limit = AdaptiveLimit(4, floor=1)
    for _ in range(10):
        limit.on_throttle(limit.ticket)
    assert limit.value == 1


def test_successes_raise_it_by_one_per_round_up_to_the_ceiling() -> None:
    limit = AdaptiveLimit(2, ceiling=3, grow_after=4)
    for _ in range(4 * 2 - 1):
        limit.on_success()
    assert limit.value == 2
    limit.on_success()
    assert limit.value == 3
    for _ in range(100):
        limit.on_success()
    assert limit.value == 3


def test_growth_back_to_a_throttled_value_is_slow() -> None:
    limit = AdaptiveLimit(3, ceiling=10, grow_after=4)
    limit.on_throttle(limit.ticket)  # 3 -> 1.5: one request at a time
    assert limit.value == 1
    for _ in range(4 * 2):  # 1.5 -> 2.5 is below the throttled 3: the normal pace
        limit.on_success()
    assert limit.value == 2
    for _ in range(4 * 3 * NEAR_THROTTLE_SLOWDOWN - 1):  # 2.5 -> 3.5 reaches it: ten times slower
        limit.on_success()
    assert limit.value == 2
    limit.on_success()
    assert limit.value == 3


def test_a_throttle_resets_the_run_of_successes() -> None:
    limit = AdaptiveLimit(4, ceiling=8, grow_after=1)
    for _ in range(3):
        limit.on_success()
    limit.on_throttle(0)  # a late answer of an old round: no cut, but the streak is broken
    limit.on_throttle(0)
    assert limit.value == 2  # the first one (ticket 0 == round 0) cut it
    limit.on_success()
    assert limit.value == 2


def test_in_flight_requests_stay_within_the_limit_as_it_changes() -> None:
    limit = InFlightLimit(4)
    active, peak, lock = 0, 0, threading.Lock()
    cut = threading.Event()

    def request(i: int) -> None:
        nonlocal active, peak
        with limit.slot() as ticket:
            with lock:
                active += 1
                if cut.is_set():
                    peak = max(peak, active)
            time.sleep(0.002)
            if i == 3:
                limit.on_throttle(ticket)  # 4 -> 2
                cut.set()
            with lock:
                active -= 1

    threads = [threading.Thread(target=request, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert limit.peak <= 4 and limit.in_flight == 0 and limit.value == 2
    # after the cut, requests that started later never exceeded the new limit (those already
    # in flight when it happened may overlap them, up to the old limit)
    assert peak <= 4


def test_acquire_waits_for_a_free_slot() -> None:
    limit = InFlightLimit(1)
    first = limit.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (limit.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.05)
    limit.release()
    assert got.wait(2)
    waiter.join()
    limit.release()
    assert first == 0 and limit.in_flight == 0


def test_the_next_run_starts_where_this_one_settled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    memory = FileLimitMemory(tmp_path)
    first = InFlightLimit(5, memory=memory, key="zoho-org", name="zoho_global", log=LOG)
    first.load()
    assert first.value == 5
    first.on_throttle(first.ticket)
    with caplog.at_level(logging.INFO, logger="test.pacing"):
        first.save()
    assert "zoho_global: settled on 2 requests in flight after 1 throttled answers" in caplog.text
    second = InFlightLimit(
        5, memory=FileLimitMemory(tmp_path), key="zoho-org", name="zoho_global", log=LOG
    )
    with caplog.at_level(logging.INFO, logger="test.pacing"):
        second.load()
    assert second.value == 2
    assert "starting at 2 requests in flight, learned by an earlier run" in caplog.text
    # it remembers where it was throttled (5), so growing back to it stays slow
    for _ in range(8 * 3 + 8 * 4):  # 2.5 -> 3.5 -> 4.5 at the normal pace
        second.on_success()
    assert second.value == 4
    for _ in range(8 * 5 * NEAR_THROTTLE_SLOWDOWN - 1):
        second.on_success()
    assert second.value == 4


def test_a_remembered_limit_stays_within_the_configured_ceiling(tmp_path: Path) -> None:
    memory = FileLimitMemory(tmp_path)
    memory.save("k", {"limit": 9.0})
    limit = InFlightLimit(3, memory=memory, key="k")
    limit.load()
    assert limit.value == 3


def test_a_broken_memory_file_starts_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text('{"limit": "many"}')
    (tmp_path / "k.json").chmod(0o600)
    limit = InFlightLimit(5, memory=FileLimitMemory(tmp_path), key="k")
    limit.load()
    assert limit.value == 5


def test_limits_are_kept_beside_the_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_STATE_DIR")
    assert limit_memory(tmp_path).files.folder == tmp_path / ".hub" / "limits"


def test_decrease_must_be_a_fraction() -> None:
    with pytest.raises(ValueError):
        AdaptiveLimit(5, decrease=1.5)
