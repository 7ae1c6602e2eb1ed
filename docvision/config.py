"""Typed configuration: dataclasses with defaults, optionally read from YAML."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import yaml

T = TypeVar("T")


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
    shrink_ratio: float = 0.4
    """The ratio the detector's training targets were shrunk with."""
    unclip_ratio: float = 1.0
    """How far a kernel is grown back: 1.0 undoes the training shrink exactly."""
    min_size: float = 3.0
    """Smallest side, in detector-input pixels, of a kept box."""
    max_candidates: int = 3000


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
    det_max_side: int = 1280
    """Longest side of the detector input: larger pages are scaled down to it, smaller ones up (see below)."""
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
    det_runtime: str = "auto"
    """``auto``: the int8 detector (``detector.int8.onnx``) on CPUs where the weights folder has one
    for its detector, else torch; ``torch``: always the fp32 torch model; ``int8``: the int8 one or an error."""
    rec_runtime: str = "auto"
    """``auto``: the recognizer runs in ONNX Runtime on CPUs (exported when loaded; torch if that
    fails), in torch on GPUs; ``torch`` or ``onnx``: always that one."""
    rec_batch_size: int = 64
    lexicon: tuple[str, ...] = ("en",)
    """wordfreq languages whose frequent words guide doubtful readings; empty: greedy decoding only."""
    lexicon_margin: float = 4.0
    """How much less likely (natural log) a dictionary word may be than the best reading and still win."""
    max_pixels: int = 60_000_000
    """Pages with more pixels are rendered at a lower DPI (PDF) or rejected (image)."""
    pdf_timeout: float = 120.0
    """Seconds allowed to render one PDF page."""
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)
    layout: LayoutConfig = field(default_factory=LayoutConfig)


def from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build dataclass ``cls`` from nested dicts; unknown keys raise ``ValueError``."""
    data = data or {}
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        items = get_args(hint)
        if is_dataclass(hint):
            kwargs[name] = from_dict(hint, value)
        elif get_origin(hint) is tuple and items and is_dataclass(items[0]) and isinstance(value, list):
            kwargs[name] = tuple(from_dict(items[0], v) for v in value)
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


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
    """Read a config dataclass from a YAML file."""
    return from_dict(cls, yaml.safe_load(Path(path).read_text()))


__all__ = [
    "BackboneConfig",
    "DetectorConfig",
    "LayoutConfig",
    "PipelineConfig",
    "PostprocessConfig",
    "RecognizerConfig",
    "from_dict",
    "load_yaml",
    "replace",
    "to_dict",
]
