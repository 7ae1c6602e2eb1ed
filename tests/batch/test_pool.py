"""Worker processes: a page past the time limit, or a worker that dies, costs that page; the run goes
on with the input's next pages in a new worker, and the results equal those read in this process."""

from __future__ import annotations

import os
import signal
import threading
import time
import pytest

from docvision.batch import InlineRunner, Job, WorkerPool
from docvision.errors import DocvisionError
from docvision.export import to_json
from tests.conftest import make_ink_pipeline, pdf_bytes

OPEN = {"dpi": 72}


def stalling_pipeline():
    """The ink pipeline, which hangs on the page of index 1 and dies on the page of index 2: what
    pathological pages do to a renderer or a model, in a form a test can wait for."""
    ocr = make_ink_pipeline()
    real = ocr.ocr_image

    def ocr_image(image, **kwargs):
        if kwargs["index"] == 1:
            time.sleep(600)
        if kwargs["index"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(image, **kwargs)

    ocr.ocr_image = ocr_image
    return ocr


def pid_stamping_pipeline():
    """The ink pipeline, stamping each page with the process that read it (in its timings, which
    pages do not compare)."""
    ocr = make_ink_pipeline()
    real = ocr.iter_pages

    def iter_pages(source, **kwargs):
        for page in real(source, **kwargs):
            page.timings["pid"] = os.getpid()
            yield page

    ocr.iter_pages = iter_pages
    return ocr


def broken_weights():
    raise DocvisionError("/nowhere/detector.safetensors: weights file missing")


@pytest.fixture
def inputs(tmp_path):
    (tmp_path / "three.pdf").write_bytes(pdf_bytes(3))
    (tmp_path / "one.pdf").write_bytes(pdf_bytes(1))
    return [Job(str(tmp_path / "three.pdf")), Job(str(tmp_path / "one.pdf"))]


def test_a_stalled_or_dead_page_fails_and_the_run_goes_on(tmp_path, inputs):
    (tmp_path / "four.pdf").write_bytes(pdf_bytes(4))
    pool = WorkerPool(1, load=stalling_pipeline, open_options=OPEN, page_timeout=4)
    four, one = pool.run([Job(str(tmp_path / "four.pdf")), inputs[1]])
    assert [p.index for p in four.document.pages] == [0, 3] and four.document.partial and four.failed_pages == [2, 3]
    assert four.errors == ["page 2: timed out after 4 s", "page 3: the worker process died (killed by SIGKILL)"]
    assert one.ok and [p.index for p in one.document.pages] == [0]
    assert pool.in_flight() == [] and len(pool._workers) == 1  # the third worker stays for the next run
    pool.close()


def test_two_workers_read_as_this_process_does_and_stay_for_the_next_run(inputs, ink_pipeline):
    pool = WorkerPool(2, load=make_ink_pipeline, open_options=OPEN)
    got = {r.name: to_json(r.document) for r in pool.run(inputs)}
    here = {r.name: to_json(r.document) for r in InlineRunner(ink_pipeline, OPEN).run(inputs)}
    assert got == here and len(got) == 2
    workers = [w.process.pid for w in pool._workers]
    thread = threading.Thread(target=lambda: got.update({r.name: to_json(r.document) for r in pool.run(inputs[::-1])}))
    thread.start()  # as a Ray actor's calls come on other threads
    thread.join()
    assert got == here and [w.process.pid for w in pool._workers] == workers and len(workers) == 2
    processes = [w.process for w in pool._workers]
    pool.close()
    assert pool._workers == [] and not any(p.is_alive() for p in processes)


def test_a_worker_that_cannot_load_the_models_stops_the_run(inputs):
    with pytest.raises(DocvisionError, match="weights file missing"):
        list(WorkerPool(1, load=broken_weights).run(inputs))


def both_ready(pool, jobs):
    """Run ``jobs`` (two or more one-page inputs start both workers) until the pool has heard both say ready."""
    deadline = time.monotonic() + 120
    while not (len(pool._workers) == 2 and all(w.ready for w in pool._workers)) and time.monotonic() < deadline:
        list(pool.run(jobs))  # a run hears a worker's "ready" only while it lasts


def test_two_workers_share_a_long_input_and_give_its_pages_in_order(tmp_path, inputs, ink_pipeline):
    (tmp_path / "nine.pdf").write_bytes(pdf_bytes(9))
    nine = Job(str(tmp_path / "nine.pdf"))
    pool = WorkerPool(2, load=pid_stamping_pipeline, open_options=OPEN, chunk=2)
    both_ready(pool, inputs)
    events = []
    (got,) = pool.run([nine], lambda job, event: events.append((job, type(event).__name__)))
    pool.close()
    assert got.ok and got.selected == tuple(range(1, 10)) and [p.index for p in got.document.pages] == list(range(9))
    assert len({p.timings["pid"] for p in got.document.pages}) == 2  # both workers read some of it
    (here,) = InlineRunner(ink_pipeline, OPEN).run([nine])
    assert to_json(got.document) == to_json(here.document)
    assert events.count((nine, "Opened")) == 1 and events.count((nine, "PageDone")) == 9 and len(events) == 10


def test_a_failed_page_of_a_shared_input_costs_that_page(tmp_path, inputs):
    """Both workers busy at once: one stalls on page 2 while the other dies on page 3, so the dead
    worker's failed page must come from its own part, not from the input's first page left."""
    (tmp_path / "six.pdf").write_bytes(pdf_bytes(6))
    pool = WorkerPool(2, load=stalling_pipeline, open_options=OPEN, page_timeout=4, chunk=2)
    both_ready(pool, [inputs[1], inputs[1]])  # one-page inputs: the stalling pages are not on them
    (six,) = pool.run([Job(str(tmp_path / "six.pdf"))])
    pool.close()
    assert [p.index for p in six.document.pages] == [0, 3, 4, 5] and sorted(six.failed_pages) == [2, 3]
    assert sorted(six.errors) == ["page 2: timed out after 4 s", "page 3: the worker process died (killed by SIGKILL)"]
    assert pool.in_flight() == []
