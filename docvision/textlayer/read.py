"""One PDF page read through its text layer: the layer's trusted words, OCR where it is needed
(only those regions are rendered), both in one page in reading order.

A region is OCRed on a white page of the page's size: the detector scales it as it would the
whole page (the scale it was trained for), and runs on the region's pixels only (its content box).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from docvision.config import LayoutConfig
from docvision.document import Page, Region, TextLayerUse, Word
from docvision.io.sources import PdfSource
from docvision.layout import arrange
from docvision.textlayer.extract import LayerWord, read_page
from docvision.textlayer.judge import plan_page, without_duplicates

OcrImage = Callable[..., Page]
""":meth:`docvision.pipeline.OCRPipeline.ocr_image`: ``(image, *, index, dpi) -> Page``."""


def pdf_word(word: LayerWord) -> Word:
    x0, y0, x1, y1 = word.bbox
    return Word(word.text, word.bbox, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], 1.0, "pdf", round(word.font_size, 2))


def pixel_box(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    """``region`` widened to whole pixels within the page."""
    x0, y0, x1, y1 = region.bbox
    return max(int(x0), 0), max(int(y0), 0), min(math.ceil(x1), width), min(math.ceil(y1), height)


@dataclass
class PagePlan:
    """How page ``number`` of a PDF is read (:func:`plan_pdf_page`): rendered at ``dpi`` to ``size``
    pixels, the layer's ``words`` kept and the pixel ``boxes`` of the regions ``use`` says to OCR."""

    number: int
    dpi: int
    size: tuple[int, int]
    use: TextLayerUse
    words: list[Word]
    boxes: list[tuple[int, int, int, int]]
    timings: dict[str, float]

    @property
    def whole(self) -> bool:
        """Whether the page is one region OCRed whole, with no word of the layer (a scan): its result
        is the OCR's (:func:`whole_page`)."""
        return not self.words and self.boxes == [(0, 0, *self.size)]


def plan_pdf_page(
    document: PdfSource, number: int, mode: str, knows: Callable[[str], bool] | None = None
) -> PagePlan:
    """The :class:`PagePlan` of page ``number`` (1-based) of ``document`` under text-layer ``mode``
    (``auto`` or ``only``: no region is OCRed); ``knows``: a lexicon's test of a word
    (:func:`~docvision.textlayer.judge.plan_page`)."""
    start = time.perf_counter()
    dpi, (width, height) = document.frame(number)
    with document.pdfium_page(number) as pdf_page:
        layer = read_page(pdf_page, (width, height))
    plan = plan_page(layer, mode, dpi, knows)
    boxes = [] if mode == "only" else [pixel_box(region, width, height) for region in plan.use.regions]
    words = [pdf_word(w) for w in plan.words]
    return PagePlan(number, dpi, (width, height), plan.use, words, boxes, {"text_layer": time.perf_counter() - start})


def whole_page(plan: PagePlan, part: Page) -> Page:
    """``part``, the OCR of the whole page of ``plan`` (:attr:`PagePlan.whole`), as the page's result."""
    part.timings["text_layer"] = plan.timings["text_layer"]
    part.text_layer = plan.use
    return part


def read_planned(document: PdfSource, plan: PagePlan, ocr_image: OcrImage, layout: LayoutConfig) -> Page:
    """The page of ``plan``: its layer's words and the OCR of its regions (only those are rendered)
    by ``ocr_image`` (the models load on its first call), in reading order."""
    (width, height), index, timings, words = plan.size, plan.number - 1, dict(plan.timings), plan.words
    if not plan.boxes:
        start = time.perf_counter()
        page = Page(index, width, height, plan.dpi, arrange(words, layout), timings, text_layer=plan.use)
        timings["layout"] = time.perf_counter() - start
        return page
    if plan.whole:
        (pixels,) = document.render_regions(plan.number, plan.boxes)
        return whole_page(plan, ocr_image(pixels, index=index, dpi=plan.dpi))
    read = []
    for (x0, y0, x1, y1), pixels in zip(plan.boxes, document.render_regions(plan.number, plan.boxes)):
        if (x1 - x0, y1 - y0) == (width, height):
            image = pixels
        else:  # on a blank page of the page's size: the detector sees the page's scale, and runs on the region only
            image = np.full((height, width, 3), 255, np.uint8)
            image[y0:y1, x0:x1] = pixels
        part = ocr_image(image, index=index, dpi=plan.dpi)
        for stage, seconds in part.timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
        read += list(part.words())
    start = time.perf_counter()
    kept = without_duplicates(read, np.array([w.bbox for w in words], np.float64).reshape(-1, 4))
    page = Page(index, width, height, plan.dpi, arrange(words + kept, layout), timings, text_layer=plan.use)
    timings["layout"] = timings.get("layout", 0.0) + time.perf_counter() - start
    return page
