"""The OCR pipeline: pages -> detection -> recognition -> layout -> Document."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from docvision import zoo
from docvision.config import CUDA_BATCH_PAGES, TEXT_LAYER_MODES, PipelineConfig, PostprocessConfig, load_yaml
from docvision.detection.detector import Detector, ScaledPage, ink_mask, scaled_page
from docvision.detection.postprocess import Detection
from docvision.detection.textsize import detection_scale, letter_height
from docvision.document import BBox, Document, Page, TextLayerUse, Word
from docvision.errors import WeightsError, naming
from docvision.geometry import IDENTITY, compose, invert, quarter_turns, rotate_image, transform, turn_image
from docvision.io import PageSource, open_document
from docvision.io.ahead import read_ahead
from docvision.io.sources import PageImage, PdfSource, Source, source_name
from docvision.layout import arrange, join_digit_groups
from docvision.models.weights import weights_dir
from docvision.orientation import (
    DESKEW_RANGE,
    QUARTER_MARGIN,
    SURELY_UPRIGHT,
    Looks,
    flip_sample,
    long_share,
    skew_angle,
    text_coverage,
    upside_down,
)
from docvision.recognition.crops import crop_quad, fit_to_lines, part_neighbours, widen_short, word_crops
from docvision.recognition.lexicon import Lexicon
from docvision.recognition.recognizer import Reading, Recognizer, confidence as crop_confidence
from docvision.recognition.split import sub_quad
from docvision.textlayer.read import plan_pdf_page, read_planned, whole_page
from docvision.zoo import UNTRAINED

RUNTIMES = ("auto", "torch", "int8", "openvino")
REC_RUNTIMES = ("auto", "torch", "onnx", "int8")
WEAK_BOX_READING = 0.7
"""Least reading confidence of a word from a box that scored under the box threshold (kept beside a
line's word: ``detection.postprocess.kept_on_lines``). The generated letters' "is" and "it" read at
0.998 and 0.81; of the 19 such boxes on the first 87 FUNSD pages none was a word, and 17 read under
0.6 ("53", "uist", "I")."""
log = logging.getLogger("docvision")


@dataclass
class _View:
    """The page as the pipeline reads it: the input image turned ``turns`` quarter turns counter-
    clockwise and maybe deskewed, the frame change ``to_view`` from the input to it, the image as
    its letters and ink are measured (``small``: :meth:`OCRPipeline._small`) and its words."""

    image: np.ndarray
    to_view: np.ndarray
    small: ScaledPage
    detections: list[Detection]
    turns: int = 0
    sample: tuple[list[float], list[float]] | None = None
    """Confidences of its :func:`~docvision.orientation.flip_sample` as it is and half-way round,
    once :meth:`OCRPipeline._sample_confidences` has read them (so they are read once per view)."""


class _Clock:
    """Adds the seconds spent in ``with clock(stage):`` to ``timings[stage]``."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _best(up: list[float], down: list[float]) -> float:
    """Mean confidence of a sample the better way up (0 for no sample)."""
    return max(float(np.mean(up)), float(np.mean(down))) if up else 0.0


def _flipped(crop: np.ndarray) -> np.ndarray:
    """A word crop turned half-way round."""
    return np.ascontiguousarray(crop[::-1, ::-1])


def _quads(detections: list[Detection]) -> list[np.ndarray]:
    """The quads the words of ``detections`` are cut along: short ones widened and fitted to their
    line, then neighbours parted (:mod:`docvision.recognition.crops`: ``widen_short``, ``fit_to_lines``,
    ``part_neighbours``)."""
    return part_neighbours(fit_to_lines([widen_short(crop_quad(d.polygon)) for d in detections]))


def _bbox(polygon: np.ndarray, width: float = np.inf, height: float = np.inf) -> BBox:
    """Axis-aligned box of ``polygon``, clipped to a page ``width`` x ``height``."""
    x0, y0 = polygon.min(axis=0)
    x1, y1 = polygon.max(axis=0)
    return max(float(x0), 0.0), max(float(y0), 0.0), min(float(x1), width), min(float(y1), height)


class OCRPipeline:
    """Composes the stages. Reusable for many inputs and from several threads.

    Built by :func:`load`, the models are read on the first use of ``detector`` or
    ``recognizer`` (``loader``): a PDF whose pages all have a trusted text layer never loads them.
    """

    def __init__(
        self,
        detector: Detector | None,
        recognizer: Recognizer | None,
        config: PipelineConfig,
        models: dict[str, str],
        loader: Callable[[], tuple[Detector, Recognizer]] | None = None,
        lexicon: Lexicon | None = None,
        device: torch.device | None = None,
    ):
        self._detector, self._recognizer, self._loader = detector, recognizer, loader
        self.device = device or (detector.device if detector is not None else torch.device("cpu"))
        """Where the models run (known before they are loaded)."""
        self._loading = threading.Lock()
        self.config = config
        self.models = models
        self.lexicon = lexicon
        """Known words: PDF pages whose words it almost never knows are OCRed (:mod:`docvision.textlayer.judge`)."""

    def _models(self) -> tuple[Detector, Recognizer]:
        with self._loading:
            if self._detector is None or self._recognizer is None:
                self._detector, self._recognizer = self._loader()
                log.debug("models %s: detector %s (%s), recognizer %s on %s", self.models,
                          type(self._detector.model).__name__, self._detector.engine,
                          type(self._recognizer.model).__name__, self._detector.device)
        return self._detector, self._recognizer

    @property
    def detector(self) -> Detector:
        return self._detector if self._detector is not None else self._models()[0]

    @property
    def recognizer(self) -> Recognizer:
        return self._recognizer if self._recognizer is not None else self._models()[1]

    @property
    def loaded(self) -> bool:
        """Whether the models have been read (they are on the first page that needs OCR)."""
        return self._detector is not None and self._recognizer is not None

    @property
    def batch_pages(self) -> int:
        """Pages whose first detection pass runs in one forward: ``det_batch_pages``, or by default
        :data:`~docvision.config.CUDA_BATCH_PAGES` on a GPU and 1 on CPUs."""
        return self.config.det_batch_pages or (CUDA_BATCH_PAGES if self.device.type == "cuda" else 1)

    @property
    def trained(self) -> bool:
        """False when either model runs with random weights (output is meaningless)."""
        return UNTRAINED not in self.models.values()

    def open(
        self, source: Source, *, pages: Sequence[int] | str | None = None, dpi: int | None = None, password: str | None = None
    ) -> PageSource:
        """Open and check an input with this pipeline's DPI, pixel cap, render timeout and PDF renderer."""
        return open_document(source, pages=pages, password=password, **self.config.open_options(dpi))

    def detection_scale(self, image: np.ndarray, small: ScaledPage | None = None) -> float:
        """The scale ``image`` is detected at: the detector's default (``det_max_side``), smaller when
        its letters measure more than ``det_max_letter`` there (see :mod:`docvision.detection.textsize`),
        measured on ``small``: ``image`` at the default scale, never enlarged (made when not given)."""
        scale = self.detector.input_scale(image)
        if not self.config.det_max_letter:
            return scale
        small = self._small(image) if small is None else small
        return detection_scale(scale, letter_height(small.grey, scale / small.scale), self.config.det_max_letter)

    def detect(self, image: np.ndarray, postprocess: PostprocessConfig | None = None) -> list[Detection]:
        """Word boxes of ``image`` at :meth:`detection_scale`, as they are: the first pass of
        :meth:`ocr_image`. ``postprocess`` as :meth:`Detector.detect`."""
        return self._detect(image, self._small(image), postprocess)

    def _small(self, image: np.ndarray) -> ScaledPage:
        """``image`` at the detector's default scale, never enlarged: resized once for the letter size,
        the ink the boxes hold (:func:`~docvision.orientation.text_coverage`) and, mostly, detection."""
        return scaled_page(image, min(self.detector.input_scale(image), 1.0))

    def _detect(
        self, image: np.ndarray, small: ScaledPage, postprocess: PostprocessConfig | None = None,
        scale: float | None = None,
    ) -> list[Detection]:
        """:meth:`detect` of ``image`` at ``scale`` (default its :meth:`detection_scale`), on ``small``
        (its :meth:`_small`) when that is its scale."""
        return self.detector.detect_page(self._detection_page(image, small, scale), postprocess)

    def _detection_page(self, image: np.ndarray, small: ScaledPage, scale: float | None = None) -> ScaledPage:
        """``image`` at ``scale`` (default its :meth:`detection_scale`): ``small`` (its :meth:`_small`) when
        that is its scale."""
        scale = self.detection_scale(image, small) if scale is None else scale
        return small if scale == small.scale else scaled_page(image, scale)

    def _detect_group(self, images: Sequence[np.ndarray]) -> list[tuple[ScaledPage, list[Detection]]]:
        """:meth:`_small` and :meth:`_detect` of each image, detected in one forward (:meth:`Detector.detect_pages`)."""
        smalls = [self._small(image) for image in images]
        pages = [self._detection_page(image, small) for image, small in zip(images, smalls)]
        return list(zip(smalls, self.detector.detect_pages(pages)))

    def ocr_image(
        self, image: np.ndarray, *, index: int = 0, dpi: float | None = None, detections: list[Detection] | None = None
    ) -> Page:
        """OCR one RGB page image (``H x W x 3`` uint8). ``detections``: its boxes from :meth:`detect`
        (skips that pass and the letter size; the page is still detected again if it turns out turned or skewed)."""
        start = time.perf_counter()
        small = self._small(image)
        detections = self._detect(image, small) if detections is None else detections
        return self._ocr(image, small, detections, index, dpi, time.perf_counter() - start)

    def _ocr(
        self, image: np.ndarray, small: ScaledPage, detections: list[Detection], index: int, dpi: float | None,
        detect_seconds: float,
    ) -> Page:
        """:meth:`ocr_image` of ``image`` (``small``: its :meth:`_small`) from its first detection pass,
        which took ``detect_seconds``."""
        height, width = image.shape[:2]
        timings = {"detect": detect_seconds, "recognize": 0.0}
        clock = _Clock(timings)
        with clock("detect"):
            view = _View(image, IDENTITY, small, detections)
            confidence, settled = None, False
            if self.config.orientation:
                view, confidence, settled = self._quarter_turn(view)
            if self.config.deskew:
                view = self._deskew(view)
        with clock("recognize"):
            quads, crops, readings = self._read(view)
            flipped = False
            if self.config.orientation and not settled:
                sample = flip_sample([d.polygon for d in view.detections])
                up, down = view.sample or ([crop_confidence(readings[i]) for i in sample], None)
                if up and np.mean(up) >= SURELY_UPRIGHT:
                    confidence = 1.0
                else:
                    down = self._confidences([_flipped(crops[i]) for i in sample]) if down is None else down
                    flipped, confidence = upside_down(up, down)
        if flipped:  # detected and read again, half-way round
            with clock("detect"):
                view = self._turned(view, 2)
            with clock("recognize"):
                quads, crops, readings = self._read(view)

        start = time.perf_counter()
        words = []
        box_thresh = self.detector.postprocess.box_thresh
        for det, quad, read in zip(view.detections, quads, readings):
            for reading in read:
                if det.score < box_thresh and reading.confidence < WEAK_BOX_READING:
                    continue
                polygon = det.polygon if len(read) == 1 else sub_quad(quad, reading.box)
                bbox = _bbox(polygon, view.image.shape[1], view.image.shape[0])
                words.append(Word(reading.text, bbox, polygon, reading.confidence * det.score))
        blocks = arrange(words, self.config.layout)  # in the page's upright frame
        for line in (line for block in blocks for line in block.lines):
            line.words = join_digit_groups(line.words)
        turns = view.turns % 4
        to_output = invert(view.to_view)
        if self.config.upright_boxes:
            to_output = compose(quarter_turns((width, height), turns), to_output)
            width, height = (height, width) if turns % 2 else (width, height)
        for word in (w for block in blocks for line in block.lines for w in line.words):
            polygon = transform(word.polygon, to_output)
            word.polygon = [(float(x), float(y)) for x, y in polygon]
            word.bbox = _bbox(polygon, width, height)
        timings["layout"] = time.perf_counter() - start
        orientation = (-90 * turns) % 360
        return Page(
            index, width, height, dpi, blocks, timings,
            orientation=orientation, orientation_confidence=confidence, upright=self.config.upright_boxes,
        )

    def _read(self, view: _View) -> tuple[list[np.ndarray], list[np.ndarray], list[list[Reading]]]:
        """The crop quads of ``view``'s words (:func:`_quads`), their crops and the recognizer's readings."""
        quads = _quads(view.detections)
        crops = word_crops(view.image, quads)
        return quads, crops, self.recognizer.read(crops)

    def _view(self, image: np.ndarray, to_view: np.ndarray, turns: int, scale: float | None = None) -> _View:
        """The view ``image`` (``to_view`` from the input), detected at ``scale`` (default its :meth:`detection_scale`)."""
        small = self._small(image)
        return _View(image, to_view, small, self._detect(image, small, scale=scale), turns)

    def _turned(self, view: _View, turns: int) -> _View:
        """``view`` turned ``turns`` quarter turns counter-clockwise, measured and detected again
        (:func:`~docvision.detection.textsize.letter_height` reads upright text)."""
        to_view = compose(quarter_turns((view.image.shape[1], view.image.shape[0]), turns), view.to_view)
        return self._view(turn_image(view.image, turns), to_view, view.turns + turns)

    def _quarter_turn(self, view: _View) -> tuple[_View, float | None, bool]:
        """``view``, or the page turned a quarter (and half-way round when upside down) when ``view``
        looks turned (:class:`~docvision.orientation.Looks`), the turned page looks more like words and its
        :func:`~docvision.orientation.flip_sample` reads no worse (the better way up of each; by at most
        :data:`~docvision.orientation.QUARTER_MARGIN`). Also the answer's confidence, when settled here:
        the share of the sample that agrees (:func:`~docvision.orientation.upside_down`) times the
        chosen page's share of the two pages' confidence; and whether it is (``False``: test ``view``
        for upside down once read)."""
        ink, work = ink_mask(view.small.grey), view.small.scale
        polygons = [d.polygon for d in view.detections]
        here = Looks(text_coverage(ink, [p * work for p in polygons]), long_share(polygons))
        if not here.turned:
            return view, None, False
        turned = self._turned(view, 1)
        back = invert(quarter_turns((view.image.shape[1], view.image.shape[0]), 1))
        polygons = [d.polygon for d in turned.detections]
        there = Looks(text_coverage(ink, [transform(p, back) * work for p in polygons]), long_share(polygons))
        if not there.better_than(here):
            return view, None, False
        up, down = self._sample_confidences(turned)
        best, other = _best(up, down), _best(*self._sample_confidences(view))
        if best < other - QUARTER_MARGIN:
            return view, None, False
        flipped, vote = upside_down(up, down)
        return (self._turned(turned, 2) if flipped else turned), vote * best / (best + other), True

    def _sample_confidences(self, view: _View) -> tuple[list[float], list[float]]:
        """Recognizer confidences of the :func:`~docvision.orientation.flip_sample` of ``view``'s words
        as they are and turned half-way round, cut as :meth:`_read` cuts them; kept in ``view.sample``."""
        if view.sample is None:
            quads = _quads(view.detections)
            sample = flip_sample([d.polygon for d in view.detections])
            crops = word_crops(view.image, [quads[i] for i in sample], quads)
            confidences = self._confidences(crops + [_flipped(c) for c in crops])
            view.sample = confidences[: len(crops)], confidences[len(crops) :]
        return view.sample

    def _confidences(self, crops: list[np.ndarray]) -> list[float]:
        return [confidence for _, confidence in self.recognizer.recognize(crops)] if crops else []

    def _deskew(self, view: _View) -> _View:
        """``view`` rotated straight and detected again when its words slant by ``DESKEW_RANGE`` degrees, at
        the scale ``view`` was detected at: the rotated canvas is larger, and fitting it to ``det_max_side``
        would shrink the letters (synthetic pages skewed 10 degrees: e2e F1 0.71 instead of 0.74)."""
        angle = skew_angle([d.polygon for d in view.detections])
        low, high = DESKEW_RANGE
        if angle is None or not low <= abs(angle) <= high:
            return view
        paper = tuple(int(v) for v in np.median(view.image[::8, ::8].reshape(-1, 3), axis=0))
        image, matrix = rotate_image(view.image, -angle, paper)
        return self._view(image, compose(matrix, view.to_view), view.turns, self.detection_scale(view.image, view.small))

    def iter_pages(self, source: Source | PageSource, *, text_layer: str | None = None, **options) -> Iterator[Page]:
        """OCR results page by page; ``options`` as :meth:`open`. One page in memory at a time on CPUs;
        with :attr:`batch_pages` > 1 (GPUs) a thread reads that many pages ahead, and the pages OCRed
        whole are detected that many in one forward (:meth:`ocr_pages`).
        ``text_layer`` (default: the config's) as :attr:`PipelineConfig.text_layer`."""
        mode = self.config.text_layer if text_layer is None else text_layer
        if mode not in TEXT_LAYER_MODES:
            raise ValueError(f"text_layer must be one of {', '.join(TEXT_LAYER_MODES)}, got {mode!r}")
        document = source if isinstance(source, PageSource) else self.open(source, **options)
        with document:
            if mode == "ocr" or not isinstance(document, PdfSource):
                for result in self.ocr_pages(document):
                    if isinstance(document, PdfSource):
                        result.text_layer = TextLayerUse("ocr", "--text-layer ocr")
                    yield result
            else:
                yield from self._layer_pages(document, mode)

    def _layer_pages(self, document: PdfSource, mode: str) -> Iterator[Page]:
        """The pages of ``document`` read through their text layers (:mod:`docvision.textlayer.read`),
        planned as they are read (ahead, with :attr:`batch_pages` > 1): a page OCRed whole (a scan) in
        the stream of :meth:`ocr_pages`, the others as planned."""
        knows = self.lexicon.knows if self.lexicon else None
        plans = {}

        def pages() -> Iterator[PageImage | Callable[[], Page]]:
            layout = self.config.layout
            for number in document.selected:
                with naming(document.name):
                    plan = plan_pdf_page(document, number, mode, knows)
                    image = document.render_regions(number, plan.boxes)[0] if plan.whole else None
                if image is None:
                    yield partial(_named, document.name, read_planned, document, plan, self.ocr_image, layout)
                else:
                    plans[number - 1] = plan
                    yield PageImage(number - 1, image, plan.dpi)

        for page in self._stream(pages()):
            plan = plans.pop(page.index, None)
            yield page if plan is None else whole_page(plan, page)

    def ocr_pages(self, pages: Iterable[PageImage]) -> Iterator[Page]:
        """OCR results of ``pages`` in order, as :meth:`ocr_image` gives them. With :attr:`batch_pages`
        > 1 a thread reads that many pages ahead and their first detection pass runs in one forward; an
        error reading a page is raised after the results of the pages before it."""
        return self._stream(pages)

    def _stream(self, items: Iterable[PageImage | Callable[[], Page]]) -> Iterator[Page]:
        """:meth:`ocr_pages` of a stream whose items are page images or pages read otherwise (a
        callable: called in its turn)."""
        size = self.batch_pages
        if size == 1:
            for item in items:
                yield item() if callable(item) else self.ocr_image(item.image, index=item.index, dpi=item.dpi)
            return
        ahead = read_ahead(items, size)
        group: list[PageImage] = []
        try:
            while True:
                try:
                    item = next(ahead, None)
                except Exception:
                    yield from self._ocr_group(group)
                    raise
                if isinstance(item, PageImage):
                    group.append(item)
                    if len(group) < size:
                        continue
                yield from self._ocr_group(group)
                group = []
                if item is None:
                    return
                if callable(item):
                    yield item()
        finally:
            ahead.close()

    def _ocr_group(self, group: Sequence[PageImage]) -> Iterator[Page]:
        """:meth:`ocr_image` of each page of ``group``, their first detection pass in one forward (its
        time shared evenly)."""
        if not group:
            return
        start = time.perf_counter()
        detected = self._detect_group([page.image for page in group])
        seconds = (time.perf_counter() - start) / len(group)
        for page, (small, detections) in zip(group, detected):
            yield self._ocr(page.image, small, detections, page.index, page.dpi, seconds)

    def __call__(
        self, source: Source | PageSource, *, on_page: Callable[[Document], None] | None = None, **options
    ) -> Document:
        """OCR a whole input; ``options`` as :meth:`open` and ``text_layer`` as :meth:`iter_pages`.
        ``on_page`` is called with the document after each page is added (a progress bar); interrupted
        (``KeyboardInterrupt``), the document it saw is marked partial with the pages done."""
        document = self.document(source.name if isinstance(source, PageSource) else source_name(source), [])
        try:
            for page in self.iter_pages(source, **options):
                document.pages.append(page)
                if on_page is not None:
                    on_page(document)
        except KeyboardInterrupt:
            document.partial = True
            raise
        finally:
            document.models = dict(self.models)  # as loaded, if a page needed them (an int8 model may be refused)
        return document

    def document(self, name: str, pages: list[Page]) -> Document:
        """The :class:`Document` of ``pages`` this pipeline read from the input ``name``."""
        return Document(name, dict(self.models), pages)


def _named(name: str, read: Callable[..., Page], *args) -> Page:
    """``read(*args)``, its input errors naming ``name``."""
    with naming(name):
        return read(*args)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {name!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise WeightsError("CUDA device requested but torch sees no GPU")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {name!r}: torch sees {torch.cuda.device_count()} GPU(s)")
    return device


def load(
    weights: str | Path | None = None,
    *,
    device: str = "auto",
    config: PipelineConfig | str | Path | None = None,
    threads: int | None = None,
) -> OCRPipeline:
    """Build the pipeline with weights from ``weights`` (a folder), ``$DOCVISION_WEIGHTS``
    or the package. Without weights in the package the models stay untrained (random)
    and ``pipeline.trained`` is False; a folder given explicitly must hold both models.
    Settings, manifests and files are checked here; the models are read on the first page that
    needs OCR (a damaged weights file is reported then).
    """
    if not isinstance(config, PipelineConfig):
        config = load_yaml(PipelineConfig, config) if config is not None else PipelineConfig()
    if config.det_runtime not in RUNTIMES:
        raise ValueError(f"det_runtime must be one of {', '.join(RUNTIMES)}, got {config.det_runtime!r}")
    if config.rec_runtime not in REC_RUNTIMES:
        raise ValueError(f"rec_runtime must be one of {', '.join(REC_RUNTIMES)}, got {config.rec_runtime!r}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if threads:
        torch.set_num_threads(threads)
    dev = _device(device)
    folder = zoo.open_weights(weights_dir(weights), config, dev)
    lexicon = Lexicon.from_wordfreq(config.lexicon) if config.lexicon else None
    return OCRPipeline(None, None, config, folder.models, partial(zoo.stages, folder, config, dev, lexicon), lexicon, dev)

