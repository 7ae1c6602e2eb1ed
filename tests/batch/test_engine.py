"""One input as a stream of events: a failed page costs that page only."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader, PdfWriter

from docvision.batch import Failed, InlineRunner, Job, Opened, PageDone, PageFailed, read_document
from tests.conftest import pdf_bytes

POSTER = "page 2: page size 300 x 300 in is absurd"


def with_poster_page(path) -> None:
    """A 3-page PDF whose page 2 is too large to render at any DPI."""
    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(pdf_bytes(2)))
    writer.add_page(reader.pages[0])
    writer.add_blank_page(width=300 * 72, height=300 * 72)
    writer.add_page(reader.pages[1])
    writer.write(str(path))


def test_a_failed_page_is_told_and_the_next_pages_are_read(ink_pipeline, tmp_path):
    with_poster_page(tmp_path / "three.pdf")
    events = []
    read_document(ink_pipeline, Job(str(tmp_path / "three.pdf")), {"dpi": 72}, events.append)
    assert events[0] == Opened((1, 2, 3))
    assert isinstance(events[1], PageDone) and events[1].page.index == 0
    assert isinstance(events[2], PageFailed) and events[2].number == 2 and events[2].reason.startswith(POSTER)
    assert isinstance(events[3], PageDone) and events[3].page.index == 2
    assert len(events) == 4


def test_the_pipeline_opens_the_input_with_its_config_and_again_at_the_pages_left(ink_pipeline, tmp_path, monkeypatch):
    with_poster_page(tmp_path / "three.pdf")
    ink_pipeline.config = replace(ink_pipeline.config, max_pixels=20_000)  # pages of 300 x 200 pt: under 72 dpi
    opened = []
    real = ink_pipeline.open
    monkeypatch.setattr(ink_pipeline, "open", lambda source, **kw: opened.append(kw) or real(source, **kw))
    events = []
    read_document(ink_pipeline, Job(str(tmp_path / "three.pdf")), {"dpi": 72}, events.append)
    assert opened == [{"pages": None, "dpi": 72}, {"pages": [3], "dpi": 72}]
    assert [e.page.dpi for e in events if isinstance(e, PageDone)] == [41, 41]
    assert Job("a.pdf", "1-3").resumed([2, 3]) == Job("a.pdf", (2, 3))


def test_a_limited_job_names_every_page_and_renders_only_its_own(ink_pipeline, tmp_path, monkeypatch):
    (tmp_path / "five.pdf").write_bytes(pdf_bytes(5))
    rendered = []
    real = ink_pipeline.iter_pages
    monkeypatch.setattr(ink_pipeline, "iter_pages", lambda source, **kw: rendered.append(len(source)) or real(source, **kw))
    events = []
    read_document(ink_pipeline, Job(str(tmp_path / "five.pdf"), "2-5", limit=2), {"dpi": 36}, events.append)
    assert events[0] == Opened((2, 3, 4, 5)) and rendered == [2]  # no page past the part is read, ahead or not
    assert [e.page.index for e in events[1:]] == [1, 2] and all(isinstance(e, PageDone) for e in events[1:])


def test_results_keep_the_pages_read_marked_partial(ink_pipeline, tmp_path, monkeypatch):
    with_poster_page(tmp_path / "three.pdf")
    (tmp_path / "one.pdf").write_bytes(pdf_bytes(1))
    real = ink_pipeline.ocr_image

    def flaky(image, **kwargs):  # an internal error on the third page
        if kwargs["index"] == 2:
            raise RuntimeError("boom\nsecond line")
        return real(image, **kwargs)

    monkeypatch.setattr(ink_pipeline, "ocr_image", flaky)
    jobs = [Job(str(tmp_path / "three.pdf")), Job(str(tmp_path / "missing.pdf")), Job(str(tmp_path / "one.pdf"), "1")]
    seen = []
    three, missing, one = InlineRunner(ink_pipeline, {"dpi": 72}).run(jobs, lambda job, e: seen.append((job, e)))
    assert [p.index for p in three.document.pages] == [0] and three.document.partial
    assert three.failed_pages == [2, 3] and three.errors[0].startswith(POSTER)
    assert three.errors[1] == "page 3: internal error: RuntimeError: boom second line"
    assert missing.document is None and missing.errors == ["no such file"]
    assert one.ok and not one.document.partial
    assert one.document.models == {"detector": "ink-test", "recognizer": "crnn-test"}
    assert seen[-1] == (jobs[2], PageDone(one.document.pages[0]))
    (failed,) = [e for job, e in seen if isinstance(e, Failed)]
    assert failed.reason == "no such file" and failed.trace.startswith("Traceback") and missing.trace == failed.trace


def test_bytes_and_page_ranges(ink_pipeline):
    events = []
    read_document(ink_pipeline, Job("<stdin>", "2", pdf_bytes(3)), {"dpi": 36}, events.append)
    assert events[0] == Opened((2,)) and [e.page.index for e in events[1:]] == [1]
