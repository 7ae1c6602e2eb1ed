"""Reading ahead in a thread: order, bounded depth, errors in their place, and a clean stop."""

from __future__ import annotations

import threading
import time

import pytest

from docvision.io.ahead import read_ahead


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "docvision-read-ahead"]


def test_items_come_in_order_from_another_thread():
    readers = []

    def items():
        for i in range(5):
            readers.append(threading.current_thread().name)
            yield i

    assert list(read_ahead(items(), 2)) == [0, 1, 2, 3, 4]
    assert set(readers) == {"docvision-read-ahead"} and not _threads()


def test_reads_at_most_depth_items_ahead():
    read = []

    def items():
        for i in range(10):
            read.append(i)
            yield i

    ahead = read_ahead(items(), 3)
    assert next(ahead) == 0
    deadline = time.monotonic() + 10
    while len(read) < 5 and time.monotonic() < deadline:  # the reader fills the queue...
        time.sleep(0.01)
    time.sleep(0.2)  # ...then waits
    assert read == [0, 1, 2, 3, 4]  # the one taken, three queued, one waiting to be queued
    ahead.close()


def test_an_error_comes_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("page 3: damaged")

    ahead = read_ahead(items(), 4)
    assert [next(ahead), next(ahead)] == [1, 2]
    with pytest.raises(ValueError, match="page 3: damaged"):
        next(ahead)
    assert not _threads()


def test_closing_stops_the_reader_and_closes_the_items_in_its_thread():
    closed = []

    def items():
        try:
            yield from range(100)
        finally:
            closed.append(threading.current_thread().name)

    ahead = read_ahead(items(), 2)
    assert next(ahead) == 0
    ahead.close()
    assert closed == ["docvision-read-ahead"] and not _threads()


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        next(read_ahead([1], 0))
