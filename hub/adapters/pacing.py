"""Pacing requests to what a vendor account really allows, learned from its answers.

A configured limit is a guess: Zoho allows 5 to 25 concurrent calls by
edition (and counts other apps' calls), Fxiaoke tenants get windows tighter
than the documented one. So the limit adapts the way TCP does (additive
increase, multiplicative decrease): a throttled answer cuts it (by `decrease`,
once per round: the other answers already on their way were sent under the
old limit and do not cut it again), and a run of successes raises it by one.
Growing back to the value that was throttled last takes ten times longer, so
the limit settles just below what the vendor allows instead of hitting it
every few requests. The value reached is saved (`.hub/limits/`) and the next
run starts from it rather than from the configured guess.

- `AdaptiveLimit`: the number alone (for a calls-per-window budget).
- `InFlightLimit`: an `AdaptiveLimit` that also caps requests in flight
  (`acquire`/`release`, or `with limit.slot() as ticket`).

Both are thread-safe; `on_throttle(ticket)` takes the ticket of the request
that was throttled, so that one burst of throttled answers counts once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from hub.adapters import sharedstate
from hub.adapters.localstate import PrivateFiles, state_dir

NEAR_THROTTLE_SLOWDOWN = 10
"""How many times longer the limit takes to grow back to a value that was throttled."""


class LimitMemory(Protocol):
    """Where a learned limit waits for the next run."""

    def load(self, key: str) -> dict[str, float] | None: ...

    def save(self, key: str, values: dict[str, float]) -> None: ...


class NoLimitMemory:
    def load(self, key: str) -> dict[str, float] | None:
        return None

    def save(self, key: str, values: dict[str, float]) -> None:
        pass


class FileLimitMemory:
    """One small 0600 JSON file per limit, in `.hub/limits/` beside hub.toml."""

    def __init__(self, folder: Path, log: logging.Logger | None = None) -> None:
        self.files = PrivateFiles(folder, log)

    def load(self, key: str) -> dict[str, float] | None:
        data = self.files.read(key)
        if data is None:
            return None
        try:
            return {str(k): float(v) for k, v in data.items() if v is not None}
        except (TypeError, ValueError):
            return None

    def save(self, key: str, values: dict[str, float]) -> None:
        self.files.write(key, {**values, "saved_at": time.time()})


def limit_memory(config_dir: Path, log: logging.Logger | None = None) -> FileLimitMemory:
    """The memory of learned limits for the project whose hub.toml is in `config_dir`."""
    return FileLimitMemory(state_dir(config_dir) / "limits", log)


class AdaptiveLimit:
    """A limit between `floor` and `ceiling` that adapts to throttled answers (AIMD)."""

    def __init__(
        self,
        initial: float,
        *,
        ceiling: float | None = None,
        floor: float = 1.0,
        decrease: float = 0.5,
        grow_after: int = 8,
        name: str = "limit",
        unit: str = "requests in flight",
        memory: LimitMemory | None = None,
        key: str | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        """`grow_after` successes per unit of the current limit raise it by one
        (a limit of 4 grows after 32 successes in a row)."""
        if not 0 < decrease < 1:
            raise ValueError("decrease must be between 0 and 1")
        self.ceiling = float(ceiling if ceiling is not None else initial)
        self.floor = min(float(floor), self.ceiling)
        self.configured = float(initial)
        self.decrease = decrease
        self.grow_after = max(1, grow_after)
        self.name = name
        self.unit = unit
        self._memory = memory or NoLimitMemory()
        self._key = key or name
        self._log = log or logging.getLogger("hub.adapters.pacing")
        self._cond = threading.Condition()
        self._limit = self._clamp(initial)
        self._throttled_at: float | None = None
        """The limit in force when the last throttled answer came (growth slows near it)."""
        self._round = 0
        """Bumped by every cut: a throttle of a request sent before it is no new signal."""
        self._streak = 0
        self.throttles = 0
        """Throttled answers seen (all of them, also those that did not cut the limit)."""
        self.cuts = 0

    def _clamp(self, value: float) -> float:
        return min(self.ceiling, max(self.floor, value))

    @property
    def value(self) -> int:
        """The limit now, a whole number of requests (or calls)."""
        with self._cond:
            return int(self._limit)

    @property
    def ticket(self) -> int:
        """The round a request sent now belongs to, for `on_throttle`."""
        with self._cond:
            return self._round

    def on_throttle(self, ticket: int | None = None, seen: float | None = None) -> bool:
        """A throttled answer (429, a vendor's "too many calls"). Cuts the limit unless
        the request was sent before the last cut. True if it cut.

        `seen`: how many were in use when the throttled request was sent (calls in a
        rate window), if fewer than the limit: the vendor allows fewer than that, so
        the cut starts from it, not from a limit the vendor never saw reached."""
        with self._cond:
            self.throttles += 1
            self._streak = 0
            if ticket is not None and ticket < self._round:
                return False
            before = int(self._limit)
            level = self._limit if seen is None else min(self._limit, float(seen))
            self._throttled_at = level
            self._limit = self._clamp(level * self.decrease)
            self._round += 1
            self.cuts += 1
            after = int(self._limit)
        if after != before:
            self._log.info(
                "%s: throttled; %s lowered from %d to %d", self.name, self.unit, before, after
            )
        return True

    def on_success(self) -> None:
        """A request the vendor answered without throttling."""
        with self._cond:
            self._streak += 1
            if self._limit >= self.ceiling:
                return
            needed = self.grow_after * math.ceil(self._limit)
            if self._throttled_at is not None and self._limit + 1 >= self._throttled_at:
                needed *= NEAR_THROTTLE_SLOWDOWN
            if self._streak < needed:
                return
            self._streak = 0
            before = int(self._limit)
            self._limit = self._clamp(self._limit + 1)
            if int(self._limit) != before:
                self._cond.notify_all()

    def load(self, memory: LimitMemory | None = None) -> None:
        """Start from the value an earlier run settled on, if one was saved (in
        `memory`, or the one given at creation: a limit shared by the clients of
        one process serves several projects, each with its own memory)."""
        saved = (memory or self._memory).load(self._key)
        if not saved or "limit" not in saved:
            return
        with self._cond:
            self._limit = self._clamp(saved["limit"])
            throttled = saved.get("throttled_at")
            self._throttled_at = throttled if throttled and throttled > 0 else None
            start = int(self._limit)
        if start != int(self.configured):
            self._log.info(
                "%s: starting at %d %s, learned by an earlier run (configured %d)",
                self.name,
                start,
                self.unit,
                int(self.configured),
            )

    def save(self, memory: LimitMemory | None = None) -> None:
        """Remember the value reached for the next run (in `memory`, or the one
        given at creation), and log it when it adapted."""
        with self._cond:
            values = {"limit": self._limit, "throttled_at": self._throttled_at or 0.0}
            settled, throttles = int(self._limit), self.throttles
        (memory or self._memory).save(self._key, values)
        if throttles:
            self._log.info(
                "%s: settled on %d %s after %d throttled answers (configured %d)",
                self.name,
                settled,
                self.unit,
                throttles,
                int(self.configured),
            )


class InFlightLimit(AdaptiveLimit):
    """An adaptive cap on the requests in flight at once, shared by threads."""

    in_flight = 0
    peak = 0
    """The most requests that were ever in flight at once."""
    slot_lease_seconds: float | None = None
    """How long a shared slot may be held before it counts as a dead process's
    (default `sharedstate.SLOT_LEASE_SECONDS`): set it above the longest request."""

    def acquire(self) -> int:
        """Wait for a free slot; returns the ticket to pass to `on_throttle`.

        With a shared state (`hub.adapters.sharedstate`: the engine's workers), the
        slot is also one of the whole installation's: processes on several machines
        share the budget."""
        with self._cond:
            while self.in_flight >= int(self._limit):
                self._cond.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            ticket, limit = self._round, int(self._limit)
        shared = _shared_slots(self._key, self.slot_lease_seconds)
        if shared is not None:
            try:
                holder = sharedstate.acquire(shared, limit)
            except BaseException:
                self._release_local()
                raise
            with self._cond:
                self._shared_holders.append(holder)
        return ticket

    def release(self) -> None:
        shared = _shared_slots(self._key, self.slot_lease_seconds)
        if shared is not None:
            with self._cond:
                holder = self._shared_holders.pop() if self._shared_holders else None
            if holder is not None:
                shared.release(holder)
        self._release_local()

    def _release_local(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify()

    @property
    def _shared_holders(self) -> list[str]:
        holders = self.__dict__.get("_holders")
        if holders is None:
            holders = self.__dict__["_holders"] = []
        return holders

    @contextmanager
    def slot(self) -> Iterator[int]:
        ticket = self.acquire()
        try:
            yield ticket
        finally:
            self.release()


def _shared_slots(key: str, lease_seconds: float | None) -> sharedstate.Slots | None:
    """The installation-wide budget for `key`, when processes share one."""
    shared = sharedstate.current()
    return shared.slots(key, lease_seconds) if shared is not None else None
