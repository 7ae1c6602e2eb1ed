"""Benchmark pieces: page generation, Tesseract and RapidOCR outputs, timing loop and memory probes."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from pypdf import PdfReader

from docvision.datasets.types import LabeledPage
from docvision.evaluation.bench import (
    DOCVISION_STAGES,
    EngineOutput,
    Input,
    Summary,
    accuracy,
    bench_engine,
    docvision_engine,
    one_by_one,
    parse_tesseract_tsv,
    peak_rss_bytes,
    rapidocr_engine,
    rapidocr_version,
    rapidocr_words,
    rss_bytes,
    tesseract_engine,
)
from docvision.evaluation.pages import generate_page, generate_pages, write_pdf

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t850\t1100\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t10\t10\t100\t12\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t10\t10\t40\t12\t96.5\tHello\n"
    "5\t1\t1\t1\t1\t2\t60\t10\t50\t12\t95.1\tworld\n"
    "5\t1\t1\t1\t2\t1\t10\t30\t30\t12\t91.0\tnext\n"
    "5\t1\t1\t1\t2\t2\t50\t30\t30\t12\t10.0\t \n"
    '5\t1\t2\t1\t1\t1\t10\t80\t20\t12\t90.0\t"quoted\n'
)


def test_parse_tesseract_tsv() -> None:
    words, text = parse_tesseract_tsv(TSV)
    assert words == [
        ((10, 10, 50, 22), "Hello"),
        ((60, 10, 110, 22), "world"),
        ((10, 30, 40, 42), "next"),
        ((10, 80, 30, 92), '"quoted'),
    ]
    assert text == 'Hello world\nnext\n\n"quoted'


def test_generated_page_is_letter_size_with_words_inside() -> None:
    page = generate_page("x", dpi=50, seed=3)
    assert page.image.shape == (550, 425, 3)
    assert len(page.words) > 100
    inside = np.zeros(page.image.shape[:2], bool)
    for w in page.words:
        (x0, y0), (x1, y1) = w.polygon.min(axis=0).astype(int), w.polygon.max(axis=0).astype(int)
        inside[y0 : y1 + 1, x0 : x1 + 1] = True
    ink = page.image[..., 0] < 128
    assert ink.any() and not (ink & ~inside).any()  # every inked pixel lies in a word box
    assert generate_page("x", dpi=50, seed=3).words[5].text == page.words[5].text


def test_write_pdf_cycles_pages(tmp_path: Path) -> None:
    pdf = write_pdf(generate_pages(2, dpi=20), tmp_path / "a.pdf", dpi=20, n_pages=5)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 5
    assert float(reader.pages[0].mediabox.width) == pytest.approx(8.5 * 72, abs=1)


def test_summary() -> None:
    s = Summary.of([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high) == (2.5, 1.0, 10.0)


def test_bench_engine_times_and_scores_with_truth(tmp_path: Path) -> None:
    pages = generate_pages(2, dpi=30)
    pdf = write_pdf(pages, tmp_path / "set.pdf", dpi=30)
    calls: list[tuple[int, ...]] = []

    def oracle(image: np.ndarray, dpi: float | None) -> EngineOutput:
        calls.append(image.shape)
        truth = min(pages, key=lambda p: np.abs(p.image.astype(int) - image).mean())  # the rendered page
        words = [(w.polygon, w.text) for w in truth.words]
        timings = {"detect": 0.01, "recognize": 0.02, "layout": 0.0, "export": 0.0}
        return EngineOutput(words, " ".join(t for _, t in words), timings)

    result = bench_engine(
        "oracle", one_by_one(oracle), DOCVISION_STAGES, [Input(pdf, dict(enumerate(pages)))], dpi=30, limit=None,
        repeats=2,
    )
    assert len(calls) == 1 + 2 * 2  # warm-up, then two passes over two pages
    assert calls[0] == (330, 255, 3)
    assert result.pages == 2
    assert result.stages["detect"].median == pytest.approx(0.01)
    assert result.stages["rasterize"].median > 0
    assert result.pages_per_s.median > 0
    assert result.detection is not None and result.end_to_end is not None and result.text is not None
    assert result.detection.f1 == 1.0 and result.end_to_end.exact.f1 == 1.0
    assert result.text.cer == 0.0


def test_bench_engine_limit_spans_inputs(tmp_path: Path) -> None:
    a = write_pdf(generate_pages(2, dpi=20), tmp_path / "a.pdf", dpi=20)
    b = write_pdf(generate_pages(2, dpi=20, seed=5), tmp_path / "b.pdf", dpi=20)
    seen = []

    def engine(image: np.ndarray, dpi: float | None) -> EngineOutput:
        seen.append(dpi)
        return EngineOutput([], "", {"ocr": 0.0})

    items = [Input(a), Input(b)]
    result = bench_engine("e", one_by_one(engine), ("rasterize", "ocr"), items, dpi=20, limit=3, repeats=1)
    assert result.pages == 3 and len(seen) == 4
    assert result.detection is None


def test_docvision_pages_detected_in_batches_are_scored_against_their_own_truth(tmp_path: Path, ink_pipeline) -> None:
    """Read ahead and detected two a forward, each page's output still meets its own ground truth."""
    from dataclasses import replace

    from docvision.pipeline import OCRPipeline

    ink_pipeline.detector.max_side = 1024  # words of 60-dpi pages large enough for the ink detector
    pages = generate_pages(3, dpi=60)
    pdf = write_pdf(pages, tmp_path / "set.pdf", dpi=60)
    items = [Input(pdf, dict(enumerate(pages)))]
    config = replace(ink_pipeline.config, det_batch_pages=2)
    batched = OCRPipeline(ink_pipeline.detector, ink_pipeline.recognizer, config, ink_pipeline.models)
    results = [bench_engine("docvision", docvision_engine(p), DOCVISION_STAGES, items, dpi=60, limit=None, repeats=1)
               for p in (ink_pipeline, batched)]
    assert [r.pages for r in results] == [3, 3]
    alone, together = (r.detection.as_dict() for r in results)
    assert together == alone and alone["tp"] > 0  # a page scored against another page's truth would lose matches


def test_memory_probes() -> None:
    assert 0 < rss_bytes() <= peak_rss_bytes()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_tesseract_engine_reads_a_generated_page() -> None:
    page = generate_page("t", dpi=100, seed=7)
    top = page.image[:330]
    words = [w for w in page.words if w.polygon[:, 1].max() < 330]
    out = tesseract_engine(threads=1)(top, 100)
    detection, e2e, text = accuracy([(LabeledPage("t", top, words), out)])
    assert detection.f1 > 0.9 and e2e.exact.f1 > 0.9 and text.cer < 0.05
    assert out.timings["ocr"] > 0


def test_rapidocr_words() -> None:
    box = [[10, 10], [40, 10], [40, 22], [10, 22]]
    result = SimpleNamespace(
        txts=("Hello world", "next"),
        word_results=((("Hello", 0.9, box), ("world", 0.8, box)), (("next", 0.9, box), (" ", 0.5, box))),
    )
    words, text = rapidocr_words(result)
    assert [t for _, t in words] == ["Hello", "world", "next"]
    assert words[0][0].shape == (4, 2) and words[0][0].dtype == np.float32
    assert text == "Hello world\nnext"
    empty = SimpleNamespace(txts=None, word_results=(("", 1.0, None),))  # what RapidOCR returns for a blank page
    assert rapidocr_words(empty) == ([], "")


@pytest.mark.skipif(rapidocr_version() is None, reason="rapidocr not installed")
def test_rapidocr_engine_reads_a_generated_page() -> None:
    page = generate_page("t", dpi=150, seed=7)  # at 100 dpi it garbles some of these tight lines
    words = [w for w in page.words if w.polygon[:, 1].max() < 330]
    top = page.image[:360].copy()
    top[int(max(w.polygon[:, 1].max() for w in words)) + 2 :] = 255  # no line cut in half
    engine = rapidocr_engine(threads=1)
    out = engine(top, 150)
    _, _, text = accuracy([(LabeledPage("t", top, words), out)])
    assert text.cer < 0.05
    # Its word boxes span the line's height (so IoU with ink boxes is low): each true word's
    # centre lies in a box read with its text.
    found = sum(
        any(t == w.text and cv2.pointPolygonTest(p, tuple(map(float, w.polygon.mean(axis=0))), False) >= 0
            for p, t in out.words)
        for w in words
    )
    assert found > 0.9 * len(words) and out.timings["ocr"] > 0
    assert engine(np.full((100, 200, 3), 255, np.uint8), 100).words == []
