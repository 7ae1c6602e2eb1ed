"""Weights files: fp16 safetensors plus a JSON manifest beside them.

``<dir>/detector.safetensors`` + ``<dir>/detector.json`` (likewise ``recognizer``).
The manifest records the architecture, its config, the vocabulary (recognizer),
the sha256 of the tensors file, the training data and the measured metrics.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from docvision.errors import WeightsError
from docvision.io.outputs import sha256_file

PACKAGE_WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
WEIGHTS_ENV = "DOCVISION_WEIGHTS"
MANIFEST_VERSION = 1


@dataclass
class Manifest:
    architecture: str
    """``dbnet`` or ``crnn``."""
    config: dict[str, Any]
    name: str = ""
    """Identifier reported in results, e.g. ``dbnet_resnet50-synth-v1``."""
    sha256: str = ""
    int8_sha256: str = ""
    """sha256 of the int8 model ``<name>.int8.onnx`` (``docvision quantize``); empty when there is none."""
    vocabulary: list[str] | None = None
    mean: list[float] | None = None
    """Detector: the RGB (0-255) mean and ``std`` its inputs were standardized with in training;
    None (manifests before they were recorded): :data:`~docvision.detection.detector.MEAN` and ``STD``."""
    std: list[float] | None = None
    max_side: int | None = None
    """Detector: the longest page side its training scaled pages to, which the pipeline detects at unless
    ``det_max_side`` says otherwise; None (manifests before it was recorded): :data:`~docvision.config.DET_MAX_SIDE`."""
    shrink_ratio: float | None = None
    """Detector: the shrink ratio of its training targets, which post-processing must grow back by;
    None: :data:`~docvision.config.SHRINK_RATIO`."""
    training_data: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    version: int = MANIFEST_VERSION


def weights_dir(path: str | Path | None = None) -> Path:
    """The weights folder: ``path``, else ``$DOCVISION_WEIGHTS``, else the package's own."""
    if path is not None:
        return Path(path)
    env = os.environ.get(WEIGHTS_ENV)
    return Path(env) if env else PACKAGE_WEIGHTS




def save_weights(model: torch.nn.Module, directory: str | Path, name: str, manifest: Manifest) -> Path:
    """Write ``name.safetensors`` (floats as fp16, or fp32 where fp16 would overflow) and
    ``name.json``; returns the tensors path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: _stored(v.detach()).contiguous().cpu() for k, v in model.state_dict().items()}
    path = directory / f"{name}.safetensors"
    save_file(tensors, str(path))
    manifest.sha256 = sha256_file(path)
    write_manifest(directory, name, manifest)
    return path


def write_manifest(directory: Path, name: str, manifest: Manifest) -> None:
    data = asdict(manifest)
    for key in ("int8_sha256", "mean", "std", "shrink_ratio"):  # unset: the manifest older versions read
        if data[key] in ("", None):
            del data[key]
    (directory / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _stored(tensor: torch.Tensor) -> torch.Tensor:
    """fp16 for floats that fit it; fp32 for those that don't (a BatchNorm running variance
    trained from scratch can exceed fp16's 65504 and would load as inf)."""
    if not tensor.is_floating_point():
        return tensor
    fits = tensor.numel() == 0 or float(tensor.abs().max()) <= torch.finfo(torch.float16).max
    return tensor.half() if fits else tensor.float()


def _first(keys: list[str], n: int = 3) -> str:
    """The first ``n`` tensor names, for an error message."""
    return ", ".join(keys[:n]) + (" ..." if len(keys) > n else "")


def has_weights(directory: Path, name: str) -> bool:
    return (directory / f"{name}.safetensors").is_file() or (directory / f"{name}.json").is_file()


def read_manifest(directory: Path, name: str) -> Manifest:
    path = directory / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError:
        raise WeightsError(f"{path}: manifest missing") from None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
        raise WeightsError(f"{path}: not a valid weights manifest ({err})") from None


def load_weights(model: torch.nn.Module, directory: Path, name: str, manifest: Manifest) -> None:
    """Check the sha256 and the tensor names/shapes, then load into ``model`` (as its dtype)."""
    path = directory / f"{name}.safetensors"
    if not path.is_file():
        raise WeightsError(f"{path}: weights file missing")
    if manifest.sha256 and sha256_file(path) != manifest.sha256:
        raise WeightsError(f"{path}: sha256 does not match its manifest (corrupt or replaced file)")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise WeightsError(f"{path}: unreadable safetensors file ({err})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in set(expected) & set(tensors) if expected[k].shape != tensors[k].shape)
    if missing or unexpected or wrong:
        detail = "; ".join(
            f"{label}: {_first(keys)}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
            if keys
        )
        raise WeightsError(f"{path}: does not match the {manifest.architecture} model ({detail})")
    broken = sorted(k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all())
    if broken:
        raise WeightsError(f"{path}: non-finite values in {_first(broken)}")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
