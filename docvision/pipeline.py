"""The OCR pipeline: pages -> detection -> recognition -> layout -> Document."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from docvision.config import TEXT_LAYER_MODES, DetectorConfig, PipelineConfig, RecognizerConfig, from_dict, load_yaml
from docvision.detection.detector import Detector
from docvision.detection.postprocess import Detection
from docvision.document import Document, Page, TextLayerUse, Word
from docvision.errors import WeightsError, naming
from docvision.io import PageSource, open_document
from docvision.io.sources import PdfSource, Source, display_name
from docvision.layout import arrange
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.models.fold import fold_batch_norms
from docvision.models.int8 import INT8_FILE, Int8Detector
from docvision.models.onnx_crnn import OnnxCRNN
from docvision.models.weights import (
    PACKAGE_WEIGHTS, Manifest, has_weights, load_weights, read_manifest, sha256_file, weights_dir,
)
from docvision.recognition.crops import crop_polygon, crop_quad, part_neighbours
from docvision.recognition.lexicon import Lexicon
from docvision.recognition.recognizer import Recognizer
from docvision.recognition.split import sub_quad
from docvision.recognition.vocab import Vocab
from docvision.textlayer.read import read_pdf_page

UNTRAINED = "untrained"
RUNTIMES = ("auto", "torch", "int8")
REC_RUNTIMES = ("auto", "torch", "onnx")
T = TypeVar("T")
log = logging.getLogger("docvision")


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
    ):
        self._detector, self._recognizer, self._loader = detector, recognizer, loader
        self._loading = threading.Lock()
        self.config = config
        self.models = models
        self.lexicon = lexicon
        """Known words: PDF pages whose words it almost never knows are OCRed (:mod:`docvision.textlayer.judge`)."""

    def _models(self) -> tuple[Detector, Recognizer]:
        with self._loading:
            if self._detector is None or self._recognizer is None:
                self._detector, self._recognizer = self._loader()
                log.debug("models %s: detector %s, recognizer %s on %s", self.models, type(self._detector.model).__name__,
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
    def trained(self) -> bool:
        """False when either model runs with random weights (output is meaningless)."""
        return UNTRAINED not in self.models.values()

    def open(
        self, source: Source, *, pages: Sequence[int] | str | None = None, dpi: int | None = None, password: str | None = None
    ) -> PageSource:
        """Open and check an input with this pipeline's DPI, pixel cap, render timeout and PDF renderer."""
        return open_document(source, pages=pages, password=password, **self.config.open_options(dpi))

    def ocr_image(
        self, image: np.ndarray, *, index: int = 0, dpi: float | None = None, detections: list[Detection] | None = None
    ) -> Page:
        """OCR one RGB page image (``H x W x 3`` uint8); ``detections`` skips the detector."""
        height, width = image.shape[:2]
        timings = {}
        start = time.perf_counter()
        if detections is None:
            detections = self.detector.detect(image)
        timings["detect"] = time.perf_counter() - start

        start = time.perf_counter()
        quads = part_neighbours([crop_quad(d.polygon) for d in detections])
        readings = self.recognizer.read([crop_polygon(image, q) for q in quads])
        timings["recognize"] = time.perf_counter() - start

        start = time.perf_counter()
        words = []
        for det, quad, read in zip(detections, quads, readings):
            for reading in read:
                polygon = det.polygon if len(read) == 1 else sub_quad(quad, reading.box)
                x0, y0 = polygon.min(axis=0)
                x1, y1 = polygon.max(axis=0)
                bbox = (max(float(x0), 0.0), max(float(y0), 0.0), min(float(x1), width), min(float(y1), height))
                points = [(float(x), float(y)) for x, y in polygon]
                words.append(Word(reading.text, bbox, points, reading.confidence * det.score))
        blocks = arrange(words, self.config.layout)
        timings["layout"] = time.perf_counter() - start
        return Page(index, width, height, dpi, blocks, timings)

    def iter_pages(self, source: Source | PageSource, *, text_layer: str | None = None, **options) -> Iterator[Page]:
        """OCR results page by page; ``options`` as :meth:`open`. One page in memory at a time.
        ``text_layer`` (default: the config's) as :attr:`PipelineConfig.text_layer`."""
        mode = self.config.text_layer if text_layer is None else text_layer
        if mode not in TEXT_LAYER_MODES:
            raise ValueError(f"text_layer must be one of {', '.join(TEXT_LAYER_MODES)}, got {mode!r}")
        document = source if isinstance(source, PageSource) else self.open(source, **options)
        with document:
            if mode == "ocr" or not isinstance(document, PdfSource):
                for page in document:
                    result = self.ocr_image(page.image, index=page.index, dpi=page.dpi)
                    if isinstance(document, PdfSource):
                        result.text_layer = TextLayerUse("ocr", "--text-layer ocr")
                    yield result
            else:
                knows = self.lexicon.knows if self.lexicon else None
                for number in document.selected:
                    with naming(document.name):
                        page = read_pdf_page(document, number, mode, self.ocr_image, self.config.layout, knows)
                    yield page

    def __call__(self, source: Source, **options) -> Document:
        """OCR a whole input; ``options`` as :meth:`open` and ``text_layer`` as :meth:`iter_pages`."""
        if isinstance(source, (str, os.PathLike)):
            name = display_name(source)
        else:  # the names the JSON schema documents
            name = "<bytes>" if isinstance(source, (bytes, bytearray)) else "<array>" if isinstance(source, np.ndarray) else "<image>"
        pages = list(self.iter_pages(source, **options))
        return Document(name, dict(self.models), pages)  # the models as loaded, if a page needed them


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


def _manifest(directory: Path, name: str, architecture: str) -> Manifest:
    manifest = read_manifest(directory, name)
    if manifest.architecture != architecture:
        raise WeightsError(f"{directory / (name + '.json')}: architecture {manifest.architecture!r}, expected {architecture!r}")
    return manifest


def _build(directory: Path, name: str, build: Callable[[], T]) -> T:
    """``build()``, with an invalid manifest config reported as a :class:`WeightsError`."""
    try:
        return build()
    except (ValueError, TypeError, KeyError) as err:
        raise WeightsError(f"{directory / (name + '.json')}: invalid model config or vocabulary ({err})") from None


def _int8_detector(directory: Path, runtime: str, device: torch.device, manifest: Manifest) -> Int8Detector | None:
    """The int8 detector of ``directory`` when ``runtime`` wants it, its sha256 is the manifest's
    (when recorded) and it belongs to the detector weights; None: run the torch model. ``int8``
    turns every obstacle into an error."""
    path = directory / INT8_FILE
    if runtime == "torch" or (runtime == "auto" and (device.type != "cpu" or not path.is_file())):
        return None
    if device.type != "cpu":
        problem = "the int8 detector runs on CPUs only"
    elif not path.is_file():
        problem = "file missing (docvision quantize writes it)"
    elif manifest.int8_sha256 and sha256_file(path) != manifest.int8_sha256:
        problem = "sha256 does not match detector.json (corrupt or replaced file; run docvision quantize again)"
    else:
        try:
            model = Int8Detector(path)
        except Exception as err:  # onnxruntime missing or the file unreadable
            problem = f"unusable ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        else:
            if model.source_sha256 == manifest.sha256:
                return model
            problem = "quantized from other detector weights (run docvision quantize again)"
    if runtime == "int8":
        raise WeightsError(f"{path}: {problem}")
    log.warning("%s: %s; using the fp32 detector", path, problem)
    return None


def _recognizer_model(crnn: CRNN, runtime: str, device: torch.device) -> torch.nn.Module:
    """``crnn`` in ONNX Runtime where ``runtime`` asks for it (``auto``: on CPUs)."""
    if runtime == "torch" or (runtime == "auto" and device.type != "cpu"):
        return crnn
    try:
        return OnnxCRNN(crnn)
    except Exception as err:  # the exporter or ONNX Runtime of this install refused: torch still reads
        if runtime == "onnx":
            raise WeightsError(f"recognizer: ONNX Runtime unusable ({str(err).splitlines()[0]})") from None
        log.warning("recognizer: ONNX Runtime unusable (%s); using torch", str(err).splitlines()[0])
        return crnn


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
    directory = weights_dir(weights)
    explicit = directory != PACKAGE_WEIGHTS
    models: dict[str, str] = {}
    manifests: dict[str, Manifest] = {}

    if has_weights(directory, "detector"):
        manifests["detector"] = _manifest(directory, "detector", "dbnet")
        models["detector"] = manifests["detector"].name
        if _wants_int8(directory, config.det_runtime, dev):
            models["detector"] += "+int8"
    elif explicit:
        raise WeightsError(f"{directory / 'detector.safetensors'}: weights file missing")
    elif config.det_runtime == "int8":
        raise WeightsError(f"{directory / 'detector.safetensors'}: weights file missing (det_runtime int8)")
    else:
        models["detector"] = UNTRAINED

    if has_weights(directory, "recognizer"):
        manifests["recognizer"] = _manifest(directory, "recognizer", "crnn")
        if not manifests["recognizer"].vocabulary:
            raise WeightsError(f"{directory / 'recognizer.json'}: manifest has no vocabulary")
        models["recognizer"] = manifests["recognizer"].name
    elif explicit:
        raise WeightsError(f"{directory / 'recognizer.safetensors'}: weights file missing")
    else:
        models["recognizer"] = UNTRAINED

    with torch.device("meta"):  # the manifests' configs checked as the models will be built (no memory, no weights)
        if "detector" in manifests:
            _build(directory, "detector", lambda: DBNet(from_dict(DetectorConfig, manifests["detector"].config)))
        if "recognizer" in manifests:
            vocab = _build(directory, "recognizer", lambda: Vocab(tuple(manifests["recognizer"].vocabulary)))
            _build(directory, "recognizer",
                   lambda: CRNN(vocab.num_classes, from_dict(RecognizerConfig, manifests["recognizer"].config)))
    # asked for by name, the int8 detector is checked now (an error rather than a warning)
    int8 = _int8_detector(directory, "int8", dev, manifests["detector"]) if config.det_runtime == "int8" else None
    lexicon = Lexicon.from_wordfreq(config.lexicon) if config.lexicon else None

    def build() -> tuple[Detector, Recognizer]:
        return _load_models(directory, manifests, config, dev, models, int8, lexicon)

    return OCRPipeline(None, None, config, models, build, lexicon)


def _wants_int8(directory: Path, runtime: str, device: torch.device) -> bool:
    """Whether :func:`_int8_detector` is asked for the int8 detector (it may still refuse it)."""
    return runtime == "int8" or (runtime == "auto" and device.type == "cpu" and (directory / INT8_FILE).is_file())


def _load_models(
    directory: Path,
    manifests: dict[str, Manifest],
    config: PipelineConfig,
    dev: torch.device,
    models: dict[str, str],
    int8: Int8Detector | None,
    lexicon: Lexicon | None,
) -> tuple[Detector, Recognizer]:
    """The detector (``int8`` when given) and recognizer :func:`load` checked (``models`` is corrected
    if the int8 detector is refused)."""
    if "detector" in manifests:
        manifest = manifests["detector"]
        int8 = int8 or _int8_detector(directory, config.det_runtime, dev, manifest)
        if int8 is not None:
            det_model: torch.nn.Module = int8
        else:
            models["detector"] = manifest.name
            dbnet = _build(directory, "detector", lambda: DBNet(from_dict(DetectorConfig, manifest.config)))
            load_weights(dbnet, directory, "detector", manifest)
            det_model = fold_batch_norms(dbnet)
    else:
        det_model = fold_batch_norms(DBNet(DetectorConfig()))

    if "recognizer" in manifests:
        manifest = manifests["recognizer"]
        vocab = _build(directory, "recognizer", lambda: Vocab(tuple(manifest.vocabulary)))
        crnn = _build(directory, "recognizer", lambda: CRNN(vocab.num_classes, from_dict(RecognizerConfig, manifest.config)))
        load_weights(crnn, directory, "recognizer", manifest)
    else:
        vocab = Vocab.load()
        crnn = CRNN(vocab.num_classes, RecognizerConfig())

    # inference only: torch models run with their BatchNorms folded into the convolutions (same outputs, less time)
    detector = Detector(
        det_model, max_side=config.det_max_side, max_upscale=config.det_max_upscale, postprocess=config.postprocess, device=dev
    )
    recognizer = Recognizer(
        _recognizer_model(fold_batch_norms(crnn), config.rec_runtime, dev),
        vocab,
        batch_size=config.rec_batch_size,
        device=dev,
        lexicon=lexicon,
        lexicon_margin=config.lexicon_margin,
    )
    return detector, recognizer
