"""Staying under a documented "N calls per W seconds" limit.

Fxiaoke counts 100 calls per 20 s per interface and answers 30004 beyond
that. A sliding window on the client's side allows bursts up to the limit
(a small incremental run never waits) and then spaces calls so that no
window of W seconds (plus a margin for network jitter) holds more than N.

One window per interface, gateway and app in the whole process, shared by
every thread and every client: streams read side by side draw on the same
budget, and so do `hub check` and a `hub sync` run after it in one process.
A tenant's real window may be tighter than the documented one: the number
of calls adapts (`hub.adapters.pacing.AdaptiveLimit`: halved on 30004,
grown back slowly, remembered for the next run).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable

from hub.adapters.pacing import AdaptiveLimit
from hub_fxiaoke.clock import Clock

_shared: weakref.WeakKeyDictionary[Clock, dict[str, SlidingWindow]] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared_window(
    key: str,
    name: str,
    calls: int,
    window: float,
    clock: Clock,
    adaptive: Callable[[], AdaptiveLimit] | None = None,
) -> SlidingWindow:
    """The process's window for `key` (an interface of one gateway and app),
    created on first use. Windows are kept per clock: a window counts time
    on one clock (tests give each tenant a virtual clock of its own)."""
    with _shared_lock:
        windows = _shared.setdefault(clock, {})
        found = windows.get(key)
        if found is None or (found.calls, found.window) != (calls, window + found.margin):
            limit = adaptive() if adaptive is not None else None
            if limit is not None:
                limit.load()
            found = windows[key] = SlidingWindow(name, calls, window, clock, adaptive=limit)
        return found


class SlidingWindow:
    def __init__(
        self,
        name: str,
        calls: int,
        window: float,
        clock: Clock,
        margin: float = 0.25,
        adaptive: AdaptiveLimit | None = None,
    ) -> None:
        self.name = name
        """The interface it guards, e.g. /cgi/crm/v2/data/query."""
        self.calls = calls
        """The configured number of calls per window (the ceiling)."""
        self.adaptive = adaptive
        """When set, the number of calls allowed now (lowered by throttled answers)."""
        self.margin = margin
        self.window = window + margin
        self.clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until one more call fits in the window, count it, and
        return the moment it was counted (on the clock's monotonic scale).

        The lock is held while waiting, so callers go one at a time and a
        waiting thread never lets another slip past the limit."""
        with self._lock:
            while True:
                now = self.clock.monotonic()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                allowed = self.adaptive.value if self.adaptive is not None else self.calls
                if len(self._sent) < allowed:
                    self._sent.append(now)
                    return now
                wait = self._sent[0] + self.window - now
                self.waited += wait
                self.clock.sleep(wait)
