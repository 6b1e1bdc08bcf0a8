"""Reading ahead: adapters prepare the next batches while the store commits.

Each source iterator (an adapter's `read` generator) runs in a thread of its
own and hands its items over through one small queue, so parsing and
fetching overlap with database work (SQLite and the network release the GIL
while they wait), and several streams of one connection can be fetched at
the same time. At most `depth` items per source wait in the queue, so memory
stays bounded. Checkpoints are not affected: an item read ahead but never
committed is simply read again by the next run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Finished:
    """A source is exhausted (`error` is None) or raised `error`."""

    error: BaseException | None = None


class Interleave(Generic[K, T]):
    """Iterate over several sources at once, each in its own thread.

    Iterating yields (key, item) in arrival order and (key, Finished) once
    per source. `cancel(key)` stops one source, `close()` all of them; a
    stopped source is closed in its own thread, so the adapter's `finally`
    blocks run there."""

    def __init__(self, sources: Mapping[K, Iterator[T]], depth: int = 1, name: str = "hub-read"):
        self._handoff: queue.Queue[tuple[K, object]] = queue.Queue(
            maxsize=max(depth * len(sources), 1)
        )
        self._stop = threading.Event()
        self._stops = {key: threading.Event() for key in sources}
        self._live = set(sources)
        self._workers = [
            threading.Thread(
                target=self._produce, args=(key, items), name=f"{name}-{key}", daemon=True
            )
            for key, items in sources.items()
        ]
        for worker in self._workers:
            worker.start()

    def _offer(self, key: K, item: object) -> bool:
        while not (self._stop.is_set() or self._stops[key].is_set()):
            try:
                self._handoff.put((key, item), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, key: K, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not self._offer(key, item):
                    return
            self._offer(key, Finished())
        except BaseException as exc:  # handed to the consumer, raised or reported there
            self._offer(key, Finished(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[tuple[K, T | Finished]]:
        while self._live:
            key, item = self._handoff.get()
            if key not in self._live:
                continue  # from a cancelled source
            if isinstance(item, Finished):
                self._live.discard(key)
            yield key, item  # type: ignore[misc]

    def cancel(self, key: K) -> None:
        self._stops[key].set()
        self._live.discard(key)

    def close(self) -> None:
        self._stop.set()
        self._live.clear()
        for worker in self._workers:
            worker.join(timeout=5)  # daemons: a stuck network call cannot keep the process


def prefetch(items: Iterator[T], depth: int = 1, name: str = "hub-read") -> Iterator[T]:
    """Yield what `items` yields, produced by a background thread."""
    sources = Interleave({0: items}, depth, name)
    try:
        for _, item in sources:
            if isinstance(item, Finished):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        sources.close()
