"""Open any supported data source by looking at its path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from torch.utils.data import Dataset

from docvision.datasets.lmdb_store import DetectionLmdb, RecognitionLmdb, lmdb_kind
from docvision.datasets.readers import (
    PageDataset,
    RecognitionFolder,
    funsd,
    icdar2015,
    labels_json,
    page_folder,
)

PAGE_READERS: dict[str, Callable[[Path], PageDataset]] = {
    "detection-lmdb": DetectionLmdb,
    "page-folder": page_folder,
    "funsd": funsd,
    "labels-json": labels_json,
    "icdar2015": icdar2015,
}
CROP_READERS: dict[str, Callable[[Path], Dataset]] = {
    "recognition-lmdb": RecognitionLmdb,
    "recognition-json": RecognitionFolder,
}


def sniff_format(path: str | Path) -> str:
    """The format at ``path``: one of :data:`PAGE_READERS` or :data:`CROP_READERS` keys."""
    path = Path(path)
    kind = lmdb_kind(path)
    if kind:
        return f"{kind}-lmdb"
    if not path.is_dir():
        raise ValueError(f"{path}: not a folder or an LMDB")
    if (path / "gt").is_dir() and (path / "pages").is_dir():
        return "page-folder"
    if (path / "annotations").is_dir() and (path / "images").is_dir():
        return "funsd"
    if (path / "labels.json").is_file():
        data = json.loads((path / "labels.json").read_text(encoding="utf-8-sig"))
        return "recognition-json" if data and all(isinstance(v, str) for v in data.values()) else "labels-json"
    if any(path.rglob("*.txt")):
        return "icdar2015"
    raise ValueError(
        f"{path}: no supported format found (page folder, FUNSD, images/ + labels.json, ICDAR-2015 txt or LMDB)"
    )


def open_labeled(path: str | Path) -> PageDataset:
    """A :class:`PageDataset` for any labeled-page source."""
    fmt = sniff_format(path)
    if fmt not in PAGE_READERS:
        raise ValueError(f"{path}: {fmt} holds word crops, not pages")
    return PAGE_READERS[fmt](Path(path))


def open_crops(path: str | Path) -> Dataset:
    """A dataset of ``(image, text)`` recognition samples (LMDB or images/ + labels.json)."""
    fmt = sniff_format(path)
    if fmt not in CROP_READERS:
        raise ValueError(f"{path}: {fmt} holds pages, not word crops")
    return CROP_READERS[fmt](Path(path))
