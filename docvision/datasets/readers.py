"""Readers of labeled pages: page folders, ICDAR-2015 txt, FUNSD JSON, images/ + labels.json.

All are :class:`PageDataset` (a torch ``Dataset`` of :class:`LabeledPage`);
:func:`docvision.datasets.formats.open_labeled` picks the reader by looking at the path. A page whose image cannot be read is logged and
replaced by the next readable page, so a long training run never stops on one bad file.
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from docvision.datasets.labels import (
    RawWord,
    clean_words,
    page_json_labels,
    read_image,
)
from docvision.datasets.types import LabeledPage
from docvision.geometry import bbox_polygon

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


class PageDataset(Dataset):
    """The one interface of every labeled-page source: ``len()`` and ``[i] -> LabeledPage``."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, index: int) -> LabeledPage: ...


@dataclass(frozen=True)
class PageEntry:
    """One page of a file-based source: its id, image file and label file."""

    id: str
    image: Path
    label: Path


def _images_by_stem(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES}


def _read_json(path: Path) -> object:
    with open(path, encoding="utf-8-sig") as f:
        return json.load(f)


class FilePages(PageDataset):
    """Pages listed as :class:`PageEntry`; ``parse`` turns a label file into raw words and
    whether they are listed in reading order."""

    def __init__(self, entries: list[PageEntry], parse: Callable[[PageEntry], tuple[list[RawWord], bool]]) -> None:
        self.entries = entries
        self.parse = parse

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> LabeledPage:
        if not 0 <= index < len(self.entries):
            raise IndexError(index)
        for k in range(len(self.entries)):
            entry = self.entries[(index + k) % len(self.entries)]
            image = read_image(entry.image)
            if image is None:
                log.error("%s: unreadable image, page skipped", entry.image)
                continue
            try:
                raw, ordered = self.parse(entry)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
                log.error("%s: unreadable labels (%s), page skipped", entry.label, err)
                continue
            return LabeledPage(entry.id, image, clean_words(raw, image.shape[1], image.shape[0]), ordered)
        raise RuntimeError("no readable page in the dataset")


# ---- page folder: pages/<id>.<ext> + gt/<id>.json --------------------------------------------


def _pairs(image_dir: Path, label_dir: Path) -> list[PageEntry]:
    """``label_dir/<id>.json`` with the image of the same stem in ``image_dir``."""
    images = _images_by_stem(image_dir)
    entries = []
    for label in sorted(label_dir.glob("*.json")):
        if label.stem in images:
            entries.append(PageEntry(label.stem, images[label.stem], label))
        else:
            log.error("%s: no image for this label file in %s, page skipped", label, image_dir)
    return entries


def page_folder(root: str | Path) -> FilePages:
    """The page-folder format (``pages/`` + ``gt/``), as in shared/datasets and ``docvision synth``."""
    root = Path(root)
    return FilePages(
        _pairs(root / "pages", root / "gt"), lambda e: page_json_labels(_read_json(e.label), str(e.label))
    )


# ---- ICDAR 2015: one gt txt per image, "x1,y1,...,x4,y4,text" ---------------------------------


def parse_icdar_txt(text: str, source: str) -> list[RawWord]:
    """Words of an ICDAR-2015 ground-truth file (BOM tolerated; text may contain commas)."""
    raw = []
    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(",", 8)
        try:
            coords = [float(v) for v in parts[:8]]
        except ValueError:
            log.warning("%s:%d: not 'x1,y1,...,x4,y4,text', skipped", source, n)
            continue
        if len(coords) < 8 or len(parts) < 9:
            log.warning("%s:%d: fewer than 4 points or no text field, skipped", source, n)
            continue
        raw.append((f"{source}:{n}", parts[8], [coords[i : i + 2] for i in range(0, 8, 2)], False))
    return raw


def icdar2015(root: str | Path) -> FilePages:
    """ICDAR-2015 layout: images and ``gt_<stem>.txt`` (or ``<stem>.txt``) anywhere under ``root``."""
    root = Path(root)
    labels = {p.name: p for p in sorted(root.rglob("*.txt"))}
    entries = []
    for stem, image in sorted(_images_by_stem(root).items()):
        label = labels.get(f"gt_{stem}.txt") or labels.get(f"{stem}.txt")
        if label is None:
            log.error("%s: no gt_%s.txt, page skipped", image, stem)
            continue
        entries.append(PageEntry(stem, image, label))
    return FilePages(
        entries,
        lambda e: (parse_icdar_txt(e.label.read_text(encoding="utf-8-sig", errors="replace"), str(e.label)), False),
    )


# ---- FUNSD original: annotations/<id>.json {"form": [{"words": [{"box", "text"}]}]} + images/ ----


def parse_funsd(data: dict, source: str) -> list[RawWord]:
    """Words of a FUNSD annotation (every word of every form entity)."""
    raw = []
    for i, entity in enumerate(data["form"]):
        for j, w in enumerate(entity.get("words", [])):
            box = w.get("box")
            pts = bbox_polygon(box) if isinstance(box, list) and len(box) == 4 else box
            raw.append((f"{source}: form[{i}].words[{j}]", w.get("text", ""), pts, False))
    return raw


def funsd(root: str | Path) -> FilePages:
    """FUNSD's own layout: ``annotations/*.json`` and ``images/*.png``."""
    root = Path(root)
    return FilePages(
        _pairs(root / "images", root / "annotations"), lambda e: (parse_funsd(_read_json(e.label), str(e.label)), False)
    )


# ---- images/ + labels.json {"<file>": [{"text", "polygon" | "bbox"}] | {"words": [...]}} -------


def labels_json(root: str | Path) -> FilePages:
    """``images/`` plus one ``labels.json`` mapping each image file name to its words."""
    root = Path(root)
    label_file = root / "labels.json"
    data = _read_json(label_file)
    entries = []
    for name in sorted(data):
        image = root / "images" / name
        if image.is_file():
            entries.append(PageEntry(Path(name).stem, image, label_file))
        else:
            log.error("%s: image %s not found, page skipped", label_file, image)

    def parse(entry: PageEntry) -> tuple[list[RawWord], bool]:
        value = data[entry.image.name]
        labels = value if isinstance(value, dict) else {"words": value}
        return page_json_labels(labels, f"{label_file}: {entry.image.name}")

    return FilePages(entries, parse)


class RecognitionFolder(Dataset):
    """Word crops as ``images/`` + ``labels.json`` mapping file name to text: ``[i] -> (image, text)``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        data = _read_json(self.root / "labels.json")
        self.items = [(self.root / "images" / name, text) for name, text in sorted(data.items())]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray, str]:
        if not 0 <= index < len(self.items):
            raise IndexError(index)
        for k in range(len(self.items)):
            path, text = self.items[(index + k) % len(self.items)]
            image = read_image(path)
            if image is not None:
                return image, text
            log.error("%s: unreadable image, sample skipped", path)
        raise RuntimeError(f"{self.root}: no readable sample")
