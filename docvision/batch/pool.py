"""Worker processes, so that no input can stall a run: each worker loads one pipeline and reads inputs,
sending every page back as it is done; several workers share a long input a few pages each (a 300-page
PDF is not left to one of them). The parent kills a worker whose page (or whose input's opening) takes
longer than the time limit, reports that page failed, and goes on with the input's next pages in a new
worker. Workers are spawned, not forked: no torch, ONNX Runtime or PDFium state is shared.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from docvision.batch.engine import Event, Failed, Job, Opened, PageFailed, Result, read_document, reason
from docvision.errors import DocvisionError

CHUNK_PAGES = 4
"""Pages of an input a worker reads before the next ones go to whichever worker is free (with two or
more workers): each part opens the input again (milliseconds for a PDF), and a run's end waits for at
most this many pages of one worker."""
_SPAWN = multiprocessing.get_context("spawn")
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int, kernel: bool) -> None:
    """End this worker when the parent ends, even by SIGKILL, so no orphan keeps a core busy: the
    kernel kills it (Linux, ``kernel``: spawned from the parent's main thread, since the signal
    follows the thread that spawned it, and a Ray actor's calls run on other threads), and a thread
    that watches the parent's pid ends it within a second wherever the kernel cannot."""
    if kernel:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not Linux
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before this
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _worker(conn: Connection, parent: int, kernel: bool, load: Callable[[], Any], open_options: dict[str, Any],
            level: int) -> None:
    """A worker's life: load the pipeline, say ready, then read each input sent until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent, kernel)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("docvision: %(message)s"))
    logger = logging.getLogger("docvision")
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        ocr = load()
    except Exception as err:
        conn.send(("fatal", reason(err)))
        return
    try:
        conn.send(("ready", dict(ocr.models)))
        while (job := conn.recv()) is not None:
            read_document(ocr, job, open_options, conn.send)
            conn.send(("end", dict(ocr.models)))
    except (EOFError, BrokenPipeError):  # the parent is gone
        return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    result: Result | None = None
    job: Job | None = None
    """The part of ``result``'s input it reads."""
    pages: tuple[int, ...] = ()
    """The pages of ``job``, once known."""
    deadline: float | None = None


class WorkerPool:
    """``workers`` processes, each with the pipeline that ``load()`` returns (a picklable callable such
    as ``functools.partial(docvision.load, device="cpu", threads=1)``); ``open_options`` as
    :func:`~docvision.batch.engine.read_document` takes them (``dpi``, ``password``; the rest is the
    pipeline's config); ``page_timeout`` seconds per page and for opening an input, None: no limit;
    ``chunk``: pages of an input each worker reads in turn when there are two or more workers."""

    def __init__(self, workers: int, *, load: Callable[[], Any], open_options: dict[str, Any] | None = None,
                 page_timeout: float | None = None, log_level: int = logging.WARNING, chunk: int = CHUNK_PAGES):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if page_timeout is not None and not page_timeout > 0:
            raise ValueError(f"page_timeout must be positive, got {page_timeout}")
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, got {chunk}")
        self.size, self.page_timeout, self.chunk = workers, page_timeout, chunk
        self._parent, self._args = os.getpid(), (load, open_options or {}, log_level)
        self._workers: list[_Worker] = []
        self._reading: dict[int, Result] = {}
        self._abandoned: list[Result] = []
        self.models: dict[str, str] = {}
        """The models' names, as the workers report them."""

    def in_flight(self) -> list[Result]:
        """The inputs begun and not finished, or left unfinished by :meth:`close` (after Ctrl-C: their pages so far)."""
        return list(self._reading.values()) or self._abandoned

    def run(self, jobs: Iterable[Job], on_event: Callable[[Job, Event], None] | None = None) -> Iterator[Result]:
        """Read ``jobs``, yielding each result as it completes (not in order). The workers stay for
        the next call (:meth:`close` ends them), unless this one ends in an error or is closed early."""
        self._abandoned, self._reading = [], {}
        queue: deque[tuple[Job, Result]] = deque(
            (job if self.size == 1 or job.limit is not None else replace(job, limit=self.chunk), Result(job))
            for job in jobs
        )
        parts: dict[int, int] = {}  # id(result) -> its parts being read or queued
        finished: list[Result] = []

        def part_done(result: Result) -> None:
            parts[id(result)] -= 1
            if not parts[id(result)]:
                del parts[id(result)], self._reading[id(result)]
                result.finish(self.models)
                finished.append(result)

        def tell(result: Result, event: Event) -> None:
            result.add(event, self.models)
            if on_event:
                on_event(result.job, event)

        def lost(worker: _Worker, why: str) -> None:
            """The worker is dead or killed: its page failed; its part goes on from the next page."""
            self._remove(worker)
            result = worker.result
            if result.document is None:
                result.errors.append(f"{why} opening the input")
                part_done(result)
                return
            left = set(result.remaining())
            rest = [n for n in worker.pages if n in left]
            if rest:
                tell(result, PageFailed(rest[0], f"page {rest[0]}: {why}"))
            if rest[1:]:
                queue.appendleft((result.job.resumed(rest[1:]), result))
            else:
                part_done(result)

        def received(worker: _Worker, event: Event) -> None:
            """An event of the worker's part: the first part's :class:`Opened` queues the other parts;
            a later part's is not news, and its failing to open fails its pages."""
            result = worker.result
            if isinstance(event, Opened):
                worker.pages = event.pages[: worker.job.limit]
                if result.document is not None:
                    return
                rest = event.pages[len(worker.pages):]
                chunks = [rest[i : i + self.chunk] for i in range(0, len(rest), self.chunk)]
                queue.extendleft((result.job.resumed(c), result) for c in reversed(chunks))
                parts[id(result)] += len(chunks)
            elif isinstance(event, Failed) and result.document is not None:
                for n in worker.pages:
                    tell(result, PageFailed(n, f"page {n}: {event.reason}", event.trace))
                return
            tell(result, event)

        try:
            while queue or self.in_flight():
                busy = sum(w.result is not None for w in self._workers)
                while len(self._workers) < min(self.size, len(queue) + busy):
                    self._start()
                for worker in self._workers:
                    if worker.ready and worker.result is None and queue:
                        job, result = queue.popleft()
                        if id(result) not in self._reading:
                            self._reading[id(result)], parts[id(result)] = result, 1
                        worker.result, worker.job = result, job
                        worker.pages = job.pages if isinstance(job.pages, tuple) else ()
                        worker.conn.send(job)
                        worker.deadline = self._deadline()
                deadlines = [w.deadline for w in self._workers if w.deadline is not None]
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                for conn in wait([w.conn for w in self._workers], timeout):
                    worker = next(w for w in self._workers if w.conn is conn)
                    try:
                        message = conn.recv()
                    except (EOFError, OSError):
                        if not worker.ready:
                            raise DocvisionError(f"a worker process died while loading the models "
                                                 f"({_exit_status(worker.process)})") from None
                        lost(worker, f"the worker process died ({_exit_status(worker.process)})")
                        continue
                    if isinstance(message, tuple) and message[0] == "fatal":
                        raise DocvisionError(message[1])
                    if isinstance(message, tuple) and message[0] == "ready":
                        worker.ready, self.models = True, message[1]
                    elif isinstance(message, tuple) and message[0] == "end":
                        self.models = message[1]
                        result, worker.result, worker.job, worker.deadline = worker.result, None, None, None
                        part_done(result)
                    else:
                        received(worker, message)
                        worker.deadline = self._deadline()
                now = time.monotonic()
                for worker in [w for w in self._workers if w.deadline is not None and w.deadline < now]:
                    lost(worker, f"timed out after {self.page_timeout:g} s")
                yield from finished
                finished.clear()
        except BaseException:  # an error, Ctrl-C or the caller closing the generator: nothing waits for the workers
            self.close()
            raise

    def close(self) -> None:
        """Stop the workers: idle ones are told to, busy ones are killed (their inputs stay in :meth:`in_flight`)."""
        self._abandoned = self.in_flight()
        for worker in self._workers:
            if worker.result is None and worker.ready:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in self._workers:
            worker.process.join(timeout=5 if worker.result is None else 0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []

    def _start(self) -> None:
        ours, theirs = _SPAWN.Pipe()
        kernel = threading.current_thread() is threading.main_thread()
        process = _SPAWN.Process(target=_worker, args=(theirs, self._parent, kernel, *self._args), daemon=True,
                                 name="docvision-worker")
        process.start()
        theirs.close()
        self._workers.append(_Worker(process, ours))

    def _remove(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self._workers.remove(worker)

    def _deadline(self) -> float | None:
        return None if self.page_timeout is None else time.monotonic() + self.page_timeout


def _exit_status(process: Any) -> str:
    process.join(timeout=5)
    code = process.exitcode
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"
