"""One PDF page read through its text layer: the layer's trusted words, OCR where it is needed
(only those regions are rendered), both in one page in reading order.

A region is OCRed on a white page of the page's size: the detector scales it as it would the
whole page (the scale it was trained for), and runs on the region's pixels only (its content box).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from docvision.config import LayoutConfig
from docvision.document import Page, Region, Word
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


def read_pdf_page(
    document: PdfSource, number: int, mode: str, ocr_image: OcrImage, layout: LayoutConfig,
    knows: Callable[[str], bool] | None = None,
) -> Page:
    """Page ``number`` (1-based) of ``document`` read under text-layer ``mode`` (``auto`` or
    ``only``); ``ocr_image`` reads what needs OCR (the models load on its first call); ``knows``:
    a lexicon's test of a word (:func:`~docvision.textlayer.judge.plan_page`)."""
    start = time.perf_counter()
    dpi, (width, height) = document.frame(number)
    with document.pdfium_page(number) as pdf_page:
        layer = read_page(pdf_page, (width, height))
    plan = plan_page(layer, mode, dpi, knows)
    timings = {"text_layer": time.perf_counter() - start}
    words = [pdf_word(w) for w in plan.words]
    if mode == "only" or not plan.use.regions:
        start = time.perf_counter()
        page = Page(number - 1, width, height, dpi, arrange(words, layout), timings, text_layer=plan.use)
        timings["layout"] = time.perf_counter() - start
        return page
    read = []
    boxes = [pixel_box(region, width, height) for region in plan.use.regions]
    for (x0, y0, x1, y1), pixels in zip(boxes, document.render_regions(number, boxes)):
        whole = (x1 - x0, y1 - y0) == (width, height)
        if whole:
            image = pixels
        else:  # on a blank page of the page's size: the detector sees the page's scale, and runs on the region only
            image = np.full((height, width, 3), 255, np.uint8)
            image[y0:y1, x0:x1] = pixels
        part = ocr_image(image, index=number - 1, dpi=dpi)
        if whole and not words and len(boxes) == 1:  # as OCR gave it
            part.timings["text_layer"] = timings["text_layer"]
            part.text_layer = plan.use
            return part
        for stage, seconds in part.timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
        read += list(part.words())
    start = time.perf_counter()
    kept = without_duplicates(read, np.array([w.bbox for w in words], np.float64).reshape(-1, 4))
    page = Page(number - 1, width, height, dpi, arrange(words + kept, layout), timings, text_layer=plan.use)
    timings["layout"] = timings.get("layout", 0.0) + time.perf_counter() - start
    return page
