"""Staying under a documented "N calls per W seconds" limit.

Fxiaoke counts 100 calls per 20 s per interface and answers 30004 beyond
that. A sliding window on the client's side allows bursts up to the limit
(a small incremental run never waits) and then spaces calls so that no
window of W seconds (plus a margin for network jitter) holds more than N.

One window per interface and client, shared by every thread that calls
through the client: streams read side by side draw on the same budget.
"""

from __future__ import annotations

import threading
from collections import deque

from hub_fxiaoke.clock import Clock


class SlidingWindow:
    def __init__(
        self, name: str, calls: int, window: float, clock: Clock, margin: float = 0.25
    ) -> None:
        self.name = name
        """The interface it guards, e.g. /cgi/crm/v2/data/query."""
        self.calls = calls
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
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    return now
                wait = self._sent[0] + self.window - now
                self.waited += wait
                self.clock.sleep(wait)
