"""Read-ahead keeps order, passes errors on and stops the producer cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from hub.sync.prefetch import prefetch


def test_items_arrive_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def produce() -> Iterator[int]:
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(prefetch(produce(), name="reader")) == list(range(50))
    assert threads == {"reader-0"}


def test_an_error_in_the_producer_is_raised_in_the_consumer_after_what_came_before() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("source broke")

    seen = []
    with pytest.raises(RuntimeError, match="source broke"):
        for item in prefetch(produce()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_producer_and_bounds_read_ahead() -> None:
    produced = []
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    for item in prefetch(produce(), depth=2):
        if item == 3:
            time.sleep(0.2)  # the producer runs ahead, but only `depth` items
            break
    assert closed.wait(5)
    assert len(produced) <= 3 + 1 + 2 + 1
