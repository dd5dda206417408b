"""graph.connection.prefetched: the next batch is built in a thread; order, errors and early stops hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from graph.connection import prefetched
from shopgraph.errors import ShopgraphError


def test_items_come_in_order_and_the_next_is_built_meanwhile() -> None:
    built: list[int] = []

    def produce() -> Iterator[int]:
        for i in range(5):
            built.append(i)
            yield i

    seen = []
    for item in prefetched(produce()):
        deadline = time.monotonic() + 2
        while item < 4 and item + 1 not in built and time.monotonic() < deadline:
            time.sleep(0.01)
        assert item == 4 or item + 1 in built, "the next item is built while this one is used"
        seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_an_error_of_the_producer_is_raised_to_the_consumer() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ShopgraphError("no feature table")

    seen = []
    with pytest.raises(ShopgraphError, match="no feature table"):
        for item in prefetched(produce()):
            seen.append(item)
    assert seen == [1]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    made: list[int] = []

    def produce() -> Iterator[int]:
        for i in range(1000):
            made.append(i)
            yield i

    items = prefetched(produce())
    assert next(items) == 0
    items.close()
    time.sleep(0.5)
    assert len(made) <= 3
    assert not [t for t in threading.enumerate() if t.name == "prefetch" and t.is_alive()]
