"""OCRmyPDF plugin: docvision as OCRmyPDF's OCR engine.

    ocrmypdf --plugin docvision.ocrmypdf in.pdf out.pdf

OCRmyPDF keeps doing what it does (page rasterizing, PDF/A, optimisation, the text layer);
docvision reads each page image it is given. Install with ``pip install docvision[ocrmypdf]``.
Options: ``--docvision-weights DIR``, ``--docvision-device`` (default cpu),
``--docvision-threads N`` (default: the CPUs shared out among OCRmyPDF's jobs).

The models load once per process, on the first page (OCRmyPDF's workers are threads of one
process by default), not once per page. docvision reads pages turned 90, 180 or 270 degrees
and skewed ones itself and gives their words on the page as OCRmyPDF rasterized it, each line
with its ``textangle``, so the text layer runs as the text does. It does not turn or straighten
the pages themselves: ``--rotate-pages`` and ``--deskew`` leave them as they are, and ``-l`` is
not used.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pikepdf
from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOptions
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from pydantic import BaseModel, Field

from docvision import __version__
from docvision.document import BBox, Document, Line, Page
from docvision.export import export
from docvision.export.frames import moved, text_angle, to_upright
from docvision.export.pdf import POINTS_PER_INCH, add_text_layer, letters_end
from docvision.geometry import invert, moved_box

if TYPE_CHECKING:
    from ocrmypdf._options import OcrOptions

    from docvision.pipeline import OCRPipeline

log = logging.getLogger(__name__)
TESSERACT_PLUGIN = "ocrmypdf.builtin_plugins.tesseract_ocr"


class DocvisionOptions(BaseModel):
    """The plugin's options, ``options.docvision.*`` in OCRmyPDF."""

    weights: str | None = None
    device: str = "cpu"
    threads: int | None = Field(default=None, ge=1)


@hookimpl
def initialize(plugin_manager) -> None:
    """docvision replaces Tesseract: without this, OCRmyPDF would still demand a tesseract binary."""
    plugin_manager.set_blocked(TESSERACT_PLUGIN)


@hookimpl
def register_options() -> dict[str, type[BaseModel]]:
    # OCRmyPDF 17's option checks read options.tesseract whichever engine runs, so its
    # (default) option model stays registered though the Tesseract plugin is blocked
    return {"docvision": DocvisionOptions, "tesseract": TesseractOptions}


@hookimpl
def add_options(parser) -> None:
    group = parser.add_argument_group("docvision", "docvision as the OCR engine")
    group.add_argument("--docvision-weights", metavar="DIR", help="folder with detector/recognizer weights (default: the package's)")
    group.add_argument("--docvision-device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    group.add_argument("--docvision-threads", type=int, metavar="N", help="torch threads (default: CPUs / jobs)")


@hookimpl
def check_options(options: OcrOptions) -> None:
    if options.languages and set(options.languages) != {"eng"}:
        log.warning("docvision reads Latin script and does not use -l %s", "+".join(options.languages))


_lock = threading.Lock()
_pipeline: OCRPipeline | None = None


def pipeline(options: OcrOptions) -> OCRPipeline:
    """This process's docvision pipeline, loaded on first use."""
    global _pipeline
    with _lock:
        if _pipeline is None:
            from docvision.pipeline import load

            settings = options.docvision
            threads = settings.threads or max(1, (os.cpu_count() or 1) // max(1, options.jobs or os.cpu_count() or 1))
            _pipeline = load(settings.weights, device=settings.device, threads=threads)
            if not _pipeline.trained:
                log.warning("docvision: no trained weights installed; the text will be meaningless")
        return _pipeline


def read_page(input_file: Path, options: OcrOptions, page_number: int = 0) -> Page:
    """docvision's result for the page image OCRmyPDF rasterized."""
    ocr = pipeline(options)
    (page,) = ocr.iter_pages(str(input_file))
    page.index = page_number
    return page


def _bbox(box: BBox) -> BoundingBox:
    return BoundingBox(left=box[0], top=box[1], right=box[2], bottom=box[3])


def _letters_boxes(line: Line, upright: np.ndarray) -> list[BoundingBox]:
    """The boxes of ``line``'s words up to :func:`letters_end` along their text (measured on the page
    turned ``upright``, a frame change, and placed back), as in docvision's own text layer: OCRmyPDF
    stretches a word over the box it is given, and poppler glues words whose boxes touch."""
    words = [moved(word, upright) for word in line.words]
    boxes = []
    for word, following in zip(words, [*words[1:], None]):
        x0, y0, _, y1 = word.bbox
        boxes.append(_bbox(moved_box((x0, y0, max(letters_end(word, following), x0), y1), invert(upright))))
    return boxes


def to_ocr_element(page: Page) -> OcrElement:
    """``page`` (its boxes of the page as input) as OCRmyPDF's tree: page > paragraph (a docvision
    block) > line (with its ``textangle`` on a page read turned) > word."""
    upright, angle = to_upright(page), text_angle(page) or None
    return OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=_bbox((0, 0, page.width, page.height)),
        dpi=page.dpi,
        page_number=page.index,
        children=[
            OcrElement(ocr_class=OcrClass.PARAGRAPH, bbox=_bbox(block.bbox), children=[
                OcrElement(ocr_class=OcrClass.LINE, bbox=_bbox(line.bbox), textangle=angle, children=[
                    OcrElement(ocr_class=OcrClass.WORD, bbox=box, text=w.text, confidence=float(w.confidence))
                    for w, box in zip(line.words, _letters_boxes(line, upright))
                ])
                for line in block.lines
            ])
            for block in page.blocks
        ],
    )


class DocvisionEngine(OcrEngine):
    """OCRmyPDF's OcrEngine backed by the docvision pipeline."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options: OcrOptions) -> str:
        return f"docvision {__version__}"

    def __str__(self) -> str:
        return f"docvision {__version__}"

    @staticmethod
    def languages(options: OcrOptions) -> set[str]:
        return set()  # not language-specific: OCRmyPDF then accepts any -l

    @staticmethod
    def get_orientation(input_file: Path, options: OcrOptions) -> OrientationConfidence:
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options: OcrOptions) -> float:
        return 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options: OcrOptions, page_number: int = 0) -> tuple[OcrElement, str]:
        page = read_page(input_file, options, page_number)
        return to_ocr_element(page), page.text

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: OcrOptions) -> None:
        page = read_page(input_file, options)
        output_hocr.write_text(export(Document(str(input_file), dict(pipeline(options).models), [page]), "hocr"), encoding="utf-8")
        output_text.write_text(page.text, encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: OcrOptions) -> None:
        """A text-only page the size of the image (``--pdf-renderer sandwich``), with
        docvision's own text layer."""
        page = read_page(input_file, options)
        dpi = page.dpi or POINTS_PER_INCH
        with pikepdf.new() as pdf:
            pdf.add_blank_page(page_size=(page.width * POINTS_PER_INCH / dpi, page.height * POINTS_PER_INCH / dpi))
            add_text_layer(pdf, [page])
            pdf.pages[0].contents_coalesce()  # OCRmyPDF's graft reads one content stream and font /F1
            pdf.save(output_pdf)
        output_text.write_text(page.text, encoding="utf-8")


@hookimpl
def get_ocr_engine(options: OcrOptions | None) -> OcrEngine | None:
    if options is not None and getattr(options, "ocr_engine", "auto") not in ("auto", "docvision"):
        return None
    return DocvisionEngine()
