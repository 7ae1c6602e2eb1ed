"""Typed configuration: dataclasses with defaults, optionally read from YAML."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

T = TypeVar("T")
TEXT_LAYER_MODES = ("auto", "ocr", "only")
"""``--text-layer``: see :attr:`PipelineConfig.text_layer`."""
SHRINK_RATIO = 0.4
"""How far the detector's training targets shrink each word (DBNet's ``r``); post-processing grows
kernels back by the same ratio: the trainer records it in the detector's manifest, the pipeline reads it there."""
DET_MAX_SIDE = 1280
"""Longest side of the detector input for detectors whose manifest does not record the size they were
trained at (``max_side``, which the trainer records since 2026-12-06; the shipped v1 predates it)."""
CUDA_BATCH_PAGES = 8
"""Pages detected in one forward on a GPU by default (``det_batch_pages`` 0)."""
RENDERERS = ("pdfium", "poppler")
"""PDF renderers: ``pdfium`` in process (6-10x faster here; a password never leaves the process),
``poppler``: pdftoppm in a child process (needs poppler-utils)."""


@dataclass(frozen=True)
class BackboneConfig:
    depth: int = 50
    """ResNet depth: 18, 34 or 50."""
    stages: tuple[int, ...] = (2, 3, 4)
    """ResNet stages (1-4, i.e. ``layer1..layer4``) fed to the feature pyramid."""
    fpn_channels: int = 256


@dataclass(frozen=True)
class DetectorConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    head_channels: int = 64
    k: float = 50.0
    """Steepness of the differentiable binarization 1 / (1 + exp(-k (P - T)))."""


@dataclass(frozen=True)
class RecognizerConfig:
    height: int = 32
    """Input height of word crops; width follows the aspect ratio."""
    channels: tuple[int, ...] = (32, 64, 96, 128)
    lstm_hidden: int = 128
    lstm_layers: int = 2


@dataclass(frozen=True)
class PostprocessConfig:
    """Probability map to word polygons (DBNet post-processing)."""

    bin_thresh: float = 0.3
    box_thresh: float = 0.5
    line_margin: float = 0.05
    """Boxes scoring up to this much under ``box_thresh`` are kept when a kept box lies beside them on
    their line a word space away (``detection.postprocess.kept_on_lines``); 0 turns that off."""
    shrink_ratio: float = SHRINK_RATIO
    """The ratio the detector's training targets were shrunk with (the pipeline takes its detector
    manifest's, when recorded)."""
    unclip_ratio: float = 1.0
    """How far a kernel is grown back: 1.0 undoes the training shrink exactly."""
    min_size: float = 3.0
    """Smallest side, in detector-input pixels, of a kept box."""
    join_overlap: float = 0.3
    """Boxes on one line overlapping by more than this share of the shorter one's height are joined: a word
    cut at a faint spot of the map (``detection.postprocess.joined_on_lines``); 0 turns that off."""
    max_candidates: int = 3000

    def __post_init__(self) -> None:
        for name in ("bin_thresh", "box_thresh", "line_margin", "join_overlap"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}")
        if not 0 < self.shrink_ratio < 1:
            raise ValueError(f"shrink_ratio must be between 0 and 1 (exclusive), got {self.shrink_ratio!r}")
        for name in ("unclip_ratio", "max_candidates"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.min_size < 0:
            raise ValueError(f"min_size must be 0 or more, got {self.min_size!r}")


@dataclass(frozen=True)
class LayoutConfig:
    column_gap: float = 1.0
    """Smallest empty vertical band that separates columns, in line heights."""
    block_gap: float = 0.8
    """Largest vertical gap between lines of one block, in line heights."""


@dataclass(frozen=True)
class PipelineConfig:
    dpi: int = 200
    """PDF render resolution: 8 pt text stays ~20 px tall for the recognizer."""
    det_max_side: int = 0
    """Longest side of the detector input: larger pages are scaled down to it, smaller ones up (see below).
    0: the size the detector was trained at (its manifest's ``max_side``; :data:`DET_MAX_SIDE` if not recorded)."""
    det_max_upscale: float = 2.0
    """Most a smaller page is scaled up towards ``det_max_side``; 1.0: never up. Small print on
    low-resolution scans is found and split into words better at the larger size."""
    det_max_letter: float = 20.0
    """Largest median letter height (pixels at the detector input, at the ``det_max_side`` scale) the
    detector reads well: a page of larger letters (a small image of large print) is detected at the
    scale that brings them to 10 px (see :mod:`docvision.detection.textsize`). 0: off."""
    orientation: bool = True
    """Find pages turned a quarter or upside down and read them upright (see :mod:`docvision.orientation`)."""
    deskew: bool = True
    """Straighten pages whose words slant 2-20 degrees before reading them."""
    upright_boxes: bool = False
    """Give word boxes in the pixels of the page turned upright instead of the page as it was input."""
    det_batch_pages: int = 0
    """Pages whose first detection pass runs in one forward, read ahead by a thread while the models work
    (:meth:`~docvision.pipeline.OCRPipeline.iter_pages`); 0: :data:`CUDA_BATCH_PAGES` on a GPU, 1 on CPUs
    (one page in memory; a batch does not pay there)."""
    det_runtime: str = "auto"
    """``auto``: the int8 detector (``detector.int8.onnx``) on CPUs where the weights folder has one
    for its detector (in OpenVINO on cores with AMX when the ``openvino`` extra is installed, else in ONNX
    Runtime), else torch; ``torch``: always the fp32 torch model; ``int8`` / ``openvino``: the int8 one in
    ONNX Runtime / OpenVINO, or an error."""
    rec_runtime: str = "auto"
    """``auto``: on CPUs the int8 recognizer (``recognizer.int8.onnx``) where the weights folder has one
    for its recognizer, else the fp32 one in ONNX Runtime (exported when loaded; torch if that fails);
    torch on GPUs. ``torch``, ``onnx`` (fp32) or ``int8``: always that one (``int8``: or an error)."""
    rec_batch_size: int = 64
    lexicon: tuple[str, ...] = ("en",)
    """wordfreq languages whose frequent words guide doubtful readings; empty: greedy decoding only."""
    lexicon_margin: float = 4.0
    """How much less likely (natural log) a dictionary word may be than the best reading and still win."""
    lexicon_beam: int = 80
    """Readings of a doubtful word read with confidence under 0.7 searched for a dictionary word (10 for
    the others): a wide beam finds the word under small print's blurred letters (FUNSD's words at half
    size: 52.2% read against 49.4% with 10)."""
    max_pixels: int = 60_000_000
    """Pages with more pixels are rendered at a lower DPI (PDF) or rejected (image)."""
    pdf_timeout: float = 120.0
    """Seconds allowed to render one PDF page."""
    renderer: str = "pdfium"
    """PDF renderer: ``pdfium`` (in process, 6-10x faster) or ``poppler`` (pdftoppm; no passwords)."""
    text_layer: str = "auto"
    """PDF text layers: ``auto`` takes the words of a trusted layer and OCRs only the rest (images,
    text that lies), ``ocr`` OCRs every page, ``only`` never OCRs (see :mod:`docvision.textlayer`)."""
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)
    layout: LayoutConfig = field(default_factory=LayoutConfig)

    def __post_init__(self) -> None:
        for name in ("dpi", "rec_batch_size", "lexicon_beam", "max_pixels", "det_max_upscale", "pdf_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("det_max_side", "det_batch_pages"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (automatic) or more, got {getattr(self, name)!r}")
        if self.renderer not in RENDERERS:
            raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, got {self.renderer!r}")
        if self.text_layer not in TEXT_LAYER_MODES:
            raise ValueError(f"text_layer must be one of {', '.join(TEXT_LAYER_MODES)}, got {self.text_layer!r}")

    def open_options(self, dpi: int | None = None) -> dict[str, Any]:
        """Keyword arguments of :func:`docvision.io.open_document` under this config (``dpi`` overrides)."""
        return {"dpi": self.dpi if dpi is None else dpi, "max_pixels": self.max_pixels, "timeout": self.pdf_timeout,
                "renderer": self.renderer}


def from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build dataclass ``cls`` from nested dicts; unknown keys and values of the wrong type raise ``ValueError``."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected a mapping of settings, got {type(data).__name__} {data!r}")
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(map(str, unknown)))}")
    return cls(**{name: _checked(f"{cls.__name__}.{name}", hints[name], value) for name, value in data.items()})


def _checked(where: str, hint: Any, value: Any) -> Any:
    """``value`` as a field of type ``hint`` wants it (lists become tuples, dicts dataclasses), or ``ValueError``."""
    origin, args = get_origin(hint), get_args(hint)
    if is_dataclass(hint):
        return from_dict(hint, value)
    if origin in (Union, UnionType):  # X | None
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        return _checked(where, others[0], value) if len(others) == 1 else value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where}: expected a list, got {value!r}")
        if args and args[-1] is not Ellipsis and len(args) != len(value):
            raise ValueError(f"{where}: expected {len(args)} values, got {len(value)}")
        kinds = [args[0]] * len(value) if args and args[-1] is Ellipsis else list(args) or [Any] * len(value)
        return tuple(_checked(f"{where}[{i}]", kind, v) for i, (kind, v) in enumerate(zip(kinds, value)))
    expected = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(hint)
    if expected and (not isinstance(value, expected) or (isinstance(value, bool) and hint is not bool)):
        raise ValueError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value


def to_dict(config: Any) -> dict[str, Any]:
    """Plain nested dict of a config dataclass (tuples become lists)."""
    return yaml.safe_load(yaml.safe_dump(_listify(asdict(config))))


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    return value


def load_yaml(cls: type[T], path: str | Path) -> T:
    """Read a config dataclass from a YAML file; every problem is a one-line ``ValueError`` naming the file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"{path}: not valid YAML ({getattr(err, 'problem', None) or 'syntax error'}{where})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    try:
        return from_dict(cls, data)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None


__all__ = [
    "BackboneConfig",
    "CUDA_BATCH_PAGES",
    "DetectorConfig",
    "LayoutConfig",
    "PipelineConfig",
    "PostprocessConfig",
    "RENDERERS",
    "RecognizerConfig",
    "from_dict",
    "load_yaml",
    "replace",
    "to_dict",
]
