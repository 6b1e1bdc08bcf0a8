"""Staying under an "N calls per W seconds" limit, and learning a tighter one.

Fxiaoke documents 100 calls per 20 s per interface and answers 30004 (or
14001) beyond that. A sliding window on the client's side allows bursts up
to the limit (a small incremental run never waits) and then spaces calls so
that no window of W seconds (plus a margin for network jitter) holds more
than N.

Some tenants are counted tighter than documented. With an `AdaptiveLimit`
(`hub.adapters.pacing`, the AIMD the Zoho adapter uses for its in-flight
cap) the N in force is halved by a throttled answer and grows back slowly,
so a tighter tenant sees a few 30004 instead of one in four calls.

One window per interface of one app on one gateway in the whole process
(`Windows`): streams read side by side draw on the same budget, and so do
`hub check` and a `hub sync` run after it, because Fxiaoke counts them
together. A window counts time on one clock, so windows are kept per clock
(tests give each fake tenant a virtual clock).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from hub.adapters.pacing import AdaptiveLimit
from hub_fxiaoke.clock import Clock

MARGIN = 0.25
"""Seconds added to every window for network jitter."""


class Slot(NamedTuple):
    """A call let through."""

    moment: float
    """When, on the clock's monotonic scale."""
    in_window: int
    """Calls in the window with it: a 30004 to it says the tenant allows fewer."""


class SlidingWindow:
    def __init__(
        self,
        name: str,
        calls: int,
        window: float,
        clock: Clock,
        margin: float = MARGIN,
        limit: AdaptiveLimit | None = None,
    ) -> None:
        self.name = name
        """The interface it guards, e.g. /cgi/crm/v2/data/query."""
        self.calls = calls
        """The configured calls per window: the most `limit` may allow."""
        self.seconds = window
        """The configured window, without the margin."""
        self.limit = limit
        """When set, the calls allowed now (lowered by throttled answers)."""
        self.window = window + margin
        self.clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> Slot:
        """Block until one more call fits in the window, count it, and
        return when it was counted and how many calls the window holds.

        The lock is held while waiting, so callers go one at a time and a
        waiting thread never lets another slip past the limit."""
        with self._lock:
            while True:
                now = self.clock.monotonic()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                allowed = self.limit.value if self.limit is not None else self.calls
                if len(self._sent) < allowed:
                    self._sent.append(now)
                    return Slot(now, len(self._sent))
                # With a lowered limit more calls than allowed may be in the window:
                # wait until enough of them have left it.
                wait = self._sent[len(self._sent) - allowed] + self.window - now
                self.waited += wait
                self.clock.sleep(wait)


class Windows:
    """The rate-limit windows of one process, by clock and key."""

    def __init__(self) -> None:
        self._by_clock: weakref.WeakKeyDictionary[Clock, dict[str, SlidingWindow]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(
        self,
        key: str,
        name: str,
        calls: int,
        window: float,
        clock: Clock,
        limit: Callable[[], AdaptiveLimit] | None = None,
    ) -> SlidingWindow:
        """The window for `key` (one interface of one app and gateway), made on
        first use; `limit` makes a new window's adaptive limit. A window configured
        differently (hub.toml changed) replaces the old one."""
        with self._lock:
            windows = self._by_clock.setdefault(clock, {})
            found = windows.get(key)
            if found is None or (found.calls, found.seconds) != (calls, window):
                adaptive = limit() if limit is not None else None
                found = windows[key] = SlidingWindow(name, calls, window, clock, limit=adaptive)
            return found


process_windows = Windows()
"""Every client of this process draws on these (`hub check`, `hub sync`, workers)."""
