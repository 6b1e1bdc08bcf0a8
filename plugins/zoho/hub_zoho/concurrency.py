"""Reading several listings side by side, with the core's `Interleave`.

Each source (a module's listing, or one time span of it) runs in a thread of
its own and hands its items over through a small bounded queue, so at most
`depth` items per source wait in memory whatever the org's size. There is
no worker limit: the client caps the requests in flight for the whole
adapter (`ZohoClient`), so extra threads only wait for a slot.

The consumer sees each source's items in the order produced; a source's
failure is raised after the items it delivered before it. When the consumer
stops early (an error, or the engine closing the read), every source stops
after the request it is making and is closed in its own thread, so nested
readers stop in turn. A `PageBudget` bounds the pages fetched ahead of the
consumer across all the sources of a read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TypeVar

from hub.sync.prefetch import Finished, Interleave

T = TypeVar("T")


def side_by_side(sources: Sequence[Iterator[T]], name: str, depth: int = 2) -> Iterator[T]:
    """Items of all `sources` as they arrive, each source read in its own thread."""
    if not sources:
        return
    reading = Interleave(dict(enumerate(sources)), depth=depth, name=name)
    try:
        for _, item in reading:
            if isinstance(item, Finished):
                if item.error is not None:
                    raise item.error
                continue
            yield item
    finally:
        reading.close()


class PageBudget:
    """At most `pages` pages fetched and not yet consumed, across the sources of a read.

    A source takes a unit before it fetches a page (`pages`), the consumer
    gives it back once it has used the page (`consumed`), so memory stays
    bounded however many sources read side by side. A source that others
    wait for must read without a budget, or they could hold every unit."""

    def __init__(self, pages: int) -> None:
        self._units = threading.BoundedSemaphore(max(1, pages))

    def pages(self, source: Iterator[T]) -> Iterator[T]:
        """What `source` yields, each item fetched only once a unit is free."""
        while True:
            self._units.acquire()
            try:
                item = next(source)
            except StopIteration:
                self._units.release()
                return
            except BaseException:
                self._units.release()
                raise
            yield item

    def consumed(self) -> None:
        self._units.release()
