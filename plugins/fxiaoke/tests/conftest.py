"""Fixtures: a fake Fxiaoke tenant behind respx, on a virtual clock.

The client and the fake share one `VirtualClock`: rate-limit windows, token
lifetimes, backoff and quota days pass instantly, and still follow the
documented numbers.

One virtual clock for several threads has a quirk: when one thread sleeps
(waiting for the rate-limit window), time jumps for all of them, so a
request another thread had already been cleared to send can reach the fake
"later" than it left, and the fake may count it in the next window and
answer 30004 (retried, as any 30004 is). So tests of streams read at the
same time check the pacing where it is decided, with `sends`: the moments
the client's rate limiters let calls through. The loopback benchmark, on
real time, shows the fake answering no 30004 at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from hub_fxiaoke import clock as clocks
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.ratelimit import SlidingWindow, Slot
from hub_fxiaoke.testing import HOST, mount

from hub import secrets


@pytest.fixture
def vclock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    clock = VirtualClock()
    monkeypatch.setattr(clocks, "default", clock)
    return clock


@pytest.fixture
def small_sizes() -> DemoSizes:
    return DemoSizes(accounts=30, follow_ups=25, visits=6, orders=8, payments=5, managers=6)


@pytest.fixture
def tenant(vclock: VirtualClock, small_sizes: DemoSizes) -> Iterator[FakeFxiaoke]:
    """A populated fake tenant, not mounted (for tests with their own respx mock)."""
    yield populate(FakeFxiaoke(clock=vclock), small_sizes)
    secrets.clear()


@pytest.fixture
def fake(tenant: FakeFxiaoke) -> Iterator[FakeFxiaoke]:
    """The tenant, answering every request to HOST."""
    with mount(tenant):
        yield tenant


@pytest.fixture
def settings(tenant: FakeFxiaoke) -> dict[str, Any]:
    return tenant.settings(HOST)


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[float]]:
    """Interface path → the moments the client's rate limiters let a call
    through (every client, every thread, retries included)."""
    log: dict[str, list[float]] = defaultdict(list)
    acquire = SlidingWindow.acquire

    def recorded(self: SlidingWindow) -> Slot:
        slot = acquire(self)
        log[self.name].append(slot.moment)
        return slot

    monkeypatch.setattr(SlidingWindow, "acquire", recorded)
    return log
