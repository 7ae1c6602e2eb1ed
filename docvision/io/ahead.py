"""Reading ahead: the next pages are rendered or decoded by a thread while the models work on the
current ones (PDFium releases the GIL while it draws; its calls are serialized by the sources' lock)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
_POLL = 0.1
"""Seconds between the reader's checks that the consumer is gone while the queue is full."""


def read_ahead(items: Iterable[T], depth: int) -> Iterator[T]:
    """``items`` in order, up to ``depth`` of them read ahead by a thread. An error raised reading them
    is raised here in its place, after the items before it. Closing the generator stops the thread
    after the item it is reading and closes ``items`` there (a PDF page is never drawn as its
    document closes)."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    source = iter(items)

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ready.put(entry, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in source:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as err:  # raised where the consumer reads it
            put((_END, err))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=read, name="docvision-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()
