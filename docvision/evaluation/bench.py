"""``docvision bench``: speed per stage, memory on a long PDF, and Tesseract and RapidOCR side by side.

Timing: every input is rasterized with :func:`docvision.io.open_pages` and OCR'd as the pages come
by ``pipeline.ocr_pages`` (page by page, or with ``det_batch_pages`` > 1, as on GPUs, several pages a
detector forward while a thread reads the next: :meth:`~docvision.pipeline.OCRPipeline.iter_pages`);
``rasterize`` is the time spent getting each page image (the wait for it, when read in this thread),
``detect``, ``recognize`` and ``layout`` come from ``Page.timings`` (a batch's forward shared evenly by
its pages; on CUDA each stage ends with its results copied to the CPU, so its time is complete),
``export`` is JSON serialization of the one-page document. One page is OCR'd first and not timed
(warm-up). Each repeat goes over all pages; per stage the mean seconds per page of each repeat are
summarized by their median and range over repeats, and pages/s by the pages of a repeat over its wall time.

Tesseract gets the very same rasterized pages (encoded as PPM on its standard input, TSV on
its standard output, ``OMP_THREAD_LIMIT`` = the torch thread count); its ``ocr`` stage is the
whole process call. RapidOCR (PP-OCR models on ONNX Runtime, the ``compare`` extra) gets the
same pages as arrays, its word boxes (``return_word_box``) and its lines in its own order; its
``ocr`` stage is the call. When pages carry ground truth (the generated set, or labeled datasets
given with ``--labeled``), all engines get the same metrics from their output words:
detection and end-to-end P/R/F1 and page CER/WER.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import torch
from tqdm import tqdm

from docvision.datasets.formats import open_labeled
from docvision.datasets.types import LabeledPage
from docvision.errors import DocvisionError
from docvision.evaluation.evaluate import reference_text
from docvision.evaluation.metrics import (
    Counts,
    EndToEnd,
    TextErrors,
    end_to_end,
    match_detections,
    page_text_errors,
)
from docvision.evaluation.pages import generate_pages, write_pdf
from docvision.geometry import bbox_polygon
from docvision.io import PageImage, open_pages

DOCVISION_STAGES = ("rasterize", "detect", "recognize", "layout", "export")
OCR_STAGES = ("rasterize", "ocr")
"""Stages of an engine timed as one call (Tesseract, RapidOCR)."""
TESSERACT_TIMEOUT = 600
"""Seconds allowed for Tesseract on one page."""


@dataclass
class EngineOutput:
    """What an engine found on one page: word polygons and texts, and its reading-order text."""

    words: list[tuple[np.ndarray, str]]
    text: str
    timings: dict[str, float]


Engine = Callable[[np.ndarray, float | None], EngineOutput]
"""OCR of one RGB page image at a DPI."""
Stream = Callable[[Iterable[tuple[np.ndarray, float | None]]], Iterator[EngineOutput]]
"""OCR of RGB page images at their DPIs as they come, outputs in order."""


def one_by_one(engine: Engine) -> Stream:
    """The stream of an engine that reads one page per call."""
    return lambda pages: (engine(image, dpi) for image, dpi in pages)


# ----------------------------------------------------------------------------- engines


def docvision_engine(pipeline: Any) -> Stream:
    """Wrap a pipeline: ``ocr_pages`` plus JSON export of each page."""

    def run(pages: Iterable[tuple[np.ndarray, float | None]]) -> Iterator[EngineOutput]:
        for page in pipeline.ocr_pages(PageImage(i, image, dpi) for i, (image, dpi) in enumerate(pages)):
            start = time.perf_counter()
            pipeline.document("bench", [page]).export("json")
            timings = {k: page.timings.get(k, 0.0) for k in ("detect", "recognize", "layout")}
            timings["export"] = time.perf_counter() - start
            words = [(np.asarray(w.polygon, np.float32), w.text) for w in page.words()]
            yield EngineOutput(words, page.text, timings)

    return run


def tesseract_version(binary: str = "tesseract") -> str | None:
    """``tesseract 5.x.y`` if the binary is on PATH, else ``None``."""
    path = shutil.which(binary)
    if path is None:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def parse_tesseract_tsv(tsv: str) -> tuple[list[tuple[tuple[int, int, int, int], str]], str]:
    """Word boxes ``(x0, y0, x1, y1)`` with texts, and the page text (lines by ``\\n``,
    blocks by a blank line), from Tesseract's TSV output."""
    words: list[tuple[tuple[int, int, int, int], str]] = []
    blocks: dict[int, dict[tuple[int, int], list[str]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row["level"] != "5" or not text:
            continue
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        words.append(((x, y, x + w, y + h), text))
        line = blocks.setdefault(int(row["block_num"]), {}).setdefault((int(row["par_num"]), int(row["line_num"])), [])
        line.append(text)
    page_text = "\n\n".join("\n".join(" ".join(ws) for ws in lines.values()) for lines in blocks.values())
    return words, page_text


def tesseract_engine(threads: int, binary: str = "tesseract", lang: str = "eng") -> Engine:
    """Run the Tesseract CLI on a page image (PPM through a pipe) with ``threads`` OpenMP threads."""
    env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}

    def run(image: np.ndarray, dpi: float | None) -> EngineOutput:
        start = time.perf_counter()
        ppm = cv2.imencode(".ppm", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()
        cmd = [binary, "stdin", "stdout", "-l", lang, *(["--dpi", str(round(dpi))] if dpi else []), "tsv"]
        try:
            out = subprocess.run(cmd, input=ppm, capture_output=True, env=env, timeout=TESSERACT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DocvisionError(f"tesseract took over {TESSERACT_TIMEOUT} s on a page") from None
        if out.returncode:
            raise DocvisionError(f"tesseract failed: {out.stderr.decode(errors='replace').strip()}")
        words, text = parse_tesseract_tsv(out.stdout.decode())
        return EngineOutput([(bbox_polygon(b), t) for b, t in words], text, {"ocr": time.perf_counter() - start})

    return run


def rapidocr_version() -> str | None:
    """``rapidocr 3.x.y`` if the package is installed, else ``None``."""
    try:
        return f"rapidocr {metadata.version('rapidocr')}"
    except metadata.PackageNotFoundError:
        return None


def rapidocr_words(result: Any) -> tuple[list[tuple[np.ndarray, str]], str]:
    """Word polygons with texts (``word_results``) and the page text (its lines, ``txts``, by
    ``\\n`` in its order) of a ``RapidOCROutput`` called with ``return_word_box=True``."""
    if not result.txts:  # nothing found: word_results is then a placeholder
        return [], ""
    lines = result.word_results
    words = [(np.asarray(box, np.float32), text) for line in lines for text, _, box in line if text.strip()]
    return words, "\n".join(result.txts)


def rapidocr_engine(threads: int) -> Engine:
    """RapidOCR's default models (PP-OCR detection, direction classifier and recognition, ONNX
    Runtime on ``threads`` threads) on a page image."""
    from rapidocr import RapidOCR

    ocr = RapidOCR(params={
        "Global.log_level": "error",  # not a warning per empty page
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })

    def run(image: np.ndarray, dpi: float | None) -> EngineOutput:
        start = time.perf_counter()
        result = ocr(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), return_word_box=True)
        words, text = rapidocr_words(result)
        return EngineOutput(words, text, {"ocr": time.perf_counter() - start})

    return run


class OtherEngine(NamedTuple):
    """An OCR engine to compare with: its version (``None`` when not installed), how to make it
    for a thread count, and what to say when it is missing."""

    version: Callable[[], str | None]
    engine: Callable[[int], Engine]
    missing: str


OTHER_ENGINES = {
    "tesseract": OtherEngine(
        tesseract_version, tesseract_engine, "tesseract is not on PATH (Debian: apt-get install tesseract-ocr)"
    ),
    "rapidocr": OtherEngine(
        rapidocr_version, rapidocr_engine, "rapidocr is not installed (pip install 'docvision[compare]')"
    ),
}


# ----------------------------------------------------------------------------- timing


@dataclass
class Summary:
    """Median and range of one quantity over repeats."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(statistics.median(values), min(values), max(values))

    def as_dict(self) -> dict[str, float]:
        return {"median": self.median, "min": self.low, "max": self.high}


@dataclass
class EngineBench:
    """An engine's speed over repeats and, with ground truth, its accuracy (from the last repeat)."""

    name: str
    pages: int
    pages_per_s: Summary
    stages: dict[str, Summary]
    detection: Counts | None = None
    end_to_end: EndToEnd | None = None
    text: TextErrors | None = None
    cuda_max_allocated_mib: float | None = None
    """On CUDA: the most GPU memory torch held for tensors over the warm-up and the timed passes."""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "engine": self.name,
            "pages": self.pages,
            "pages_per_s": self.pages_per_s.as_dict(),
            "seconds_per_page": {k: v.as_dict() for k, v in self.stages.items()},
        }
        if self.cuda_max_allocated_mib is not None:
            data["cuda_max_allocated_mib"] = self.cuda_max_allocated_mib
        if self.detection is not None and self.end_to_end is not None and self.text is not None:
            data["detection"] = self.detection.as_dict()
            data["end_to_end"] = {"exact": self.end_to_end.exact.as_dict(), "nocase": self.end_to_end.nocase.as_dict()}
            data["page_text"] = {"cer": self.text.cer, "wer": self.text.wer}
        return data


@dataclass
class Input:
    """A benchmark input: a PDF or image file, with ground truth per page index when known,
    or (``labeled``) a labeled-page dataset (:func:`docvision.datasets.formats.open_labeled`)."""

    path: Path
    truth: dict[int, LabeledPage] = field(default_factory=dict)
    labeled: bool = False


def _input_pages(item: Input, dpi: int) -> Iterator[tuple[LabeledPage | None, np.ndarray, float | None]]:
    """``(ground truth or None, image, dpi)`` for each page of ``item``, read lazily."""
    if item.labeled:
        dataset = open_labeled(item.path)
        for i in range(len(dataset)):
            page = dataset[i]
            yield page, page.image, None
        return
    pages = open_pages(item.path, dpi=dpi)
    try:
        for page in pages:
            yield item.truth.get(page.index), page.image, page.dpi
    finally:
        pages.close()


def _timed_pages(
    inputs: Sequence[Input], dpi: int, limit: int | None
) -> Iterator[tuple[LabeledPage | None, np.ndarray, float | None, float]]:
    """``(ground truth or None, image, dpi, rasterize seconds)`` for up to ``limit`` pages."""
    count = 0
    for item in inputs:
        pages = _input_pages(item, dpi)
        try:
            while limit is None or count < limit:
                start = time.perf_counter()
                page = next(pages, None)
                if page is None:
                    break
                yield *page, time.perf_counter() - start
                count += 1
        finally:
            pages.close()
        if limit is not None and count >= limit:
            return


def accuracy(outputs: Sequence[tuple[LabeledPage, EngineOutput]]) -> tuple[Counts, EndToEnd, TextErrors]:
    """Detection, end-to-end and page-text scores of engine outputs against their ground truth."""
    detection, e2e, text = Counts(), EndToEnd(Counts(), Counts()), TextErrors()
    for truth, out in outputs:
        gt = [(w.polygon, w.text, w.ignore) for w in truth.words]
        detection += match_detections([p for p, _ in out.words], [g for g, _, _ in gt], [i for *_, i in gt]).counts
        e2e += end_to_end(out.words, gt)
        text += page_text_errors(out.text, reference_text(truth))
    return detection, e2e, text


def bench_engine(
    name: str,
    engine: Stream,
    stages: Sequence[str],
    inputs: Sequence[Input],
    *,
    dpi: int,
    limit: int | None,
    repeats: int,
) -> EngineBench:
    """Warm up on one page, then time ``repeats`` passes over the pages; score the last pass
    (outside the timed loop) where pages have ground truth."""
    for _ in engine((image, page_dpi) for _, image, page_dpi, _ in _timed_pages(inputs, dpi, 1)):
        pass
    rates: list[float] = []
    per_stage: dict[str, list[float]] = {s: [] for s in stages}
    scored: list[tuple[LabeledPage, EngineOutput]] = []
    n = 0
    for _ in range(repeats):
        sums = dict.fromkeys(stages, 0.0)
        truths: deque[LabeledPage | None] = deque()

        def pages() -> Iterator[tuple[np.ndarray, float | None]]:
            for truth, image, page_dpi, raster_s in _timed_pages(inputs, dpi, limit):
                sums["rasterize"] += raster_s
                truths.append(truth)  # before the page is handed on, so before its output comes
                yield image, page_dpi

        scored, n = [], 0
        start = time.perf_counter()
        for out in engine(pages()):
            truth = truths.popleft()
            for stage, seconds in out.timings.items():
                sums[stage] += seconds
            n += 1
            if truth is not None:
                scored.append((truth, out))
        rates.append(n / (time.perf_counter() - start))
        for stage in stages:
            per_stage[stage].append(sums[stage] / max(n, 1))
    result = EngineBench(name, n, Summary.of(rates), {s: Summary.of(v) for s, v in per_stage.items()})
    if scored:
        result.detection, result.end_to_end, result.text = accuracy(scored)
    return result


# ----------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    """Resident set size of this process now (Linux ``/proc``; 0 where unavailable)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss_bytes() -> int:
    """Highest resident set size of this process so far (``VmHWM``; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def memory_run(pipeline: Any, pdf: Path, *, dpi: int, checkpoint: int = 10, progress: bool = False) -> dict[str, Any]:
    """Stream a long PDF through ``pipeline.iter_pages``, sampling memory after every page.

    Reports RSS after ``checkpoint`` pages, after each quarter of the pages and after the last one
    (streaming keeps them about equal), the highest sampled RSS, the process peak, pages/s and, on
    CUDA, the peak allocated memory.
    """
    cuda = pipeline.detector.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    before = rss_bytes()
    samples: list[int] = []
    start = time.perf_counter()
    pages = pipeline.iter_pages(str(pdf), dpi=dpi)
    for page in tqdm(pages, desc="long PDF", unit="page", disable=not progress):
        pipeline.document(str(pdf), [page]).export("json")
        samples.append(rss_bytes())
    seconds = time.perf_counter() - start
    mib = 1 / 2**20
    result: dict[str, Any] = {
        "pages": len(samples),
        "dpi": dpi,
        "seconds": seconds,
        "rss_mib_before": before * mib,
        "rss_mib_after_checkpoint": samples[min(checkpoint, len(samples)) - 1] * mib if samples else 0.0,
        "checkpoint": min(checkpoint, len(samples)),
        "rss_mib_after_last": samples[-1] * mib if samples else 0.0,
        "rss_mib_by_quarter": [samples[max(0, len(samples) * q // 4 - 1)] * mib for q in (1, 2, 3, 4)] if samples else [],
        "pages_per_s": len(samples) / seconds if seconds > 0 else 0.0,
        "rss_mib_max_sampled": max(samples, default=0) * mib,
        "process_peak_rss_mib": peak_rss_bytes() * mib,
    }
    if cuda:
        result["cuda_max_allocated_mib"] = torch.cuda.max_memory_allocated() * mib
    return result


# ----------------------------------------------------------------------------- machine


def machine_description(device: str) -> dict[str, Any]:
    """CPU model, cores, memory, torch version and threads, GPU when used."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0.0
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
    }
    if device == "cuda" and torch.cuda.is_available():
        gpu = torch.cuda.get_device_properties(0)
        info.update(gpu=gpu.name, gpu_memory_gib=round(gpu.total_memory / 2**30, 1), cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version())
    return info


def generated_inputs(directory: Path, n_pages: int, dpi: int) -> list[Input]:
    """The default benchmark set: ``n_pages`` generated letter pages in one PDF, with ground truth."""
    pages = generate_pages(n_pages, dpi=dpi)
    path = write_pdf(pages, directory / f"generated-{n_pages}p-{dpi}dpi.pdf", dpi=dpi)
    return [Input(path, dict(enumerate(pages)))]


def bench(
    pipeline: Any,
    *,
    inputs: Sequence[Path] = (),
    labeled: Sequence[Path] = (),
    pages: int = 4,
    repeats: int = 3,
    dpi: int = 200,
    device: str = "cpu",
    long_pdf: int = 0,
    others: Sequence[str] = (),
    progress: bool = False,
) -> dict[str, Any]:
    """Run the benchmark, with the :data:`OTHER_ENGINES` named in ``others`` on the same pages;
    returns the report (machine, engines, memory)."""
    with tempfile.TemporaryDirectory(prefix="docvision-bench-") as tmp:
        work = Path(tmp)
        given = [Input(Path(p)) for p in inputs] + [Input(Path(p), labeled=True) for p in labeled]
        items = given or generated_inputs(work, pages, dpi)
        limit = pages if given else None
        cuda = device == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        engines = [
            bench_engine(
                "docvision", docvision_engine(pipeline), DOCVISION_STAGES, items, dpi=dpi, limit=limit, repeats=repeats
            )
        ]
        if cuda:
            engines[0].cuda_max_allocated_mib = torch.cuda.max_memory_allocated() / 2**20
        rasterized = any(not item.labeled for item in items)
        report: dict[str, Any] = {
            "machine": machine_description(device),
            "dpi": dpi if rasterized else None,  # labeled pages keep their own resolution
            "repeats": repeats,
            "det_batch_pages": pipeline.batch_pages,
        }
        for name in others:
            other = OTHER_ENGINES[name]
            version = other.version()
            if version is None:
                raise DocvisionError(other.missing)
            report["machine"][name] = version
            engine = other.engine(torch.get_num_threads())
            engines.append(
                bench_engine(version, one_by_one(engine), OCR_STAGES, items, dpi=dpi, limit=limit, repeats=repeats)
            )
        report["engines"] = [e.as_dict() for e in engines]
        if long_pdf:
            pdf = write_pdf(
                generate_pages(4, dpi=dpi, seed=1000), work / f"long-{long_pdf}p.pdf", dpi=dpi, n_pages=long_pdf
            )
            report["memory"] = memory_run(pipeline, pdf, dpi=dpi, progress=progress)
    return report
