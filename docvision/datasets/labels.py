"""Label hygiene and the page-folder JSON form shared by every reader and writer.

Rules for bad labels (each one logged with its file and line or word index, never raised):
fewer than 3 points, non-finite or zero-area polygons are skipped; polygons reaching outside
the page are clipped to it (skipped when nothing is left); empty text or ``###`` keeps the box
with ``ignore=True``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.extras import require
from docvision.geometry import bbox_polygon

shapely = require("shapely", "eval")

log = logging.getLogger(__name__)

IGNORE_TEXT = "###"
RawWord = tuple[str, str, object, bool]
"""``(where, text, points, ignore)``: ``where`` names the place in the file for messages."""


def clean_word(where: str, text: str, points: object, ignore: bool, width: int, height: int) -> LabeledWord | None:
    """Apply the bad-label rules to one word; ``None`` means skip it."""
    try:
        poly = np.asarray(points, np.float32).reshape(-1, 2)
    except (TypeError, ValueError):
        log.warning("%s: unreadable coordinates, skipped", where)
        return None
    if len(poly) < 3:
        log.warning("%s: polygon has %d points (< 3), skipped", where, len(poly))
        return None
    if not np.isfinite(poly).all():
        log.warning("%s: non-finite coordinates, skipped", where)
        return None
    shape = shapely.Polygon(poly)
    if shape.area <= 0:
        log.warning("%s: zero-area polygon, skipped", where)
        return None
    if poly.min() < 0 or poly[:, 0].max() > width or poly[:, 1].max() > height:
        inside = shapely.make_valid(shape).intersection(shapely.box(0, 0, width, height))
        if inside.is_empty or inside.area <= 0:
            log.warning("%s: polygon lies outside the %dx%d page, skipped", where, width, height)
            return None
        log.warning("%s: polygon reaches outside the %dx%d page, clipped", where, width, height)
        if not isinstance(inside, shapely.Polygon):
            inside = inside.convex_hull
        poly = np.asarray(inside.exterior.coords[:-1], np.float32)
    text = text.strip() if isinstance(text, str) else ""
    if not text or text == IGNORE_TEXT:
        if not ignore:
            log.info("%s: empty or '###' text, kept as ignored", where)
        return LabeledWord("", poly, True)
    return LabeledWord(text, poly, bool(ignore))


def clean_words(raw: Iterable[RawWord], width: int, height: int) -> list[LabeledWord]:
    """Apply :func:`clean_word` to every word, dropping the skipped ones."""
    words = (clean_word(where, text, pts, ign, width, height) for where, text, pts, ign in raw)
    return [w for w in words if w is not None]


def page_json_labels(data: dict, source: str) -> tuple[list[RawWord], bool]:
    """Raw words of a page-folder JSON dict (``polygon`` preferred over ``bbox``) and whether
    they are listed in reading order (``"reading_order": true``, see :func:`page_json`)."""
    raw = []
    for i, w in enumerate(data.get("words", [])):
        pts = w.get("polygon")
        if pts is None:
            box = w.get("bbox")
            pts = bbox_polygon(box) if isinstance(box, list) and len(box) == 4 else box
        raw.append((f"{source}: word {i}", w.get("text", ""), pts, bool(w.get("ignore", False))))
    return raw, bool(data.get("reading_order", False))


def page_json(page: LabeledPage, lines: Sequence[Sequence[int]] | None = None) -> dict:
    """Page-folder JSON of a page (with ``polygon``, ``"reading_order": true`` when its words are
    listed in reading order and, when given, ``lines``)."""
    h, w = page.image.shape[:2]

    def bbox(poly: np.ndarray) -> list[float]:
        return [round(float(v), 2) for v in (*poly.min(0), *poly.max(0))]

    words = []
    for word in page.words:
        item = {"text": word.text, "bbox": bbox(word.polygon), "polygon": np.round(word.polygon, 2).tolist()}
        if word.ignore:
            item["ignore"] = True
        words.append(item)
    data: dict = {"width": w, "height": h, "words": words}
    if page.ordered:
        data["reading_order"] = True
    if lines is not None:
        data["lines"] = [
            {
                "text": " ".join(page.words[i].text for i in line),
                "bbox": bbox(np.concatenate([page.words[i].polygon for i in line])),
                "words": list(line),
            }
            for line in lines
        ]
    return data


def decode_image(buf: bytes | np.ndarray) -> np.ndarray | None:
    """RGB uint8 image from encoded bytes (PNG, JPEG, TIFF, ...), or ``None`` if undecodable."""
    arr = np.frombuffer(buf, np.uint8) if isinstance(buf, bytes) else buf
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR) if arr.size else None
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_image(path: str | Path) -> np.ndarray | None:
    """RGB uint8 image of a file, or ``None`` if it is missing or undecodable."""
    try:
        return decode_image(np.fromfile(str(path), np.uint8))
    except OSError:
        return None


def encode_image(image: np.ndarray, ext: str = ".png") -> bytes:
    """Encode an RGB (or grayscale) uint8 image as PNG or JPEG bytes; gray RGB is stored as gray."""
    if (
        image.ndim == 3
        and np.array_equal(image[..., 0], image[..., 1])
        and np.array_equal(image[..., 1], image[..., 2])
    ):
        image = image[..., 0]
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buf = cv2.imencode(ext, bgr)
    if not ok:
        raise ValueError(f"could not encode image as {ext}")
    return buf.tobytes()


def write_page(root: str | Path, page: LabeledPage, lines: Sequence[Sequence[int]] | None = None) -> None:
    """Add a page to a page folder: ``pages/<id>.png`` and ``gt/<id>.json``."""
    root = Path(root)
    (root / "pages").mkdir(parents=True, exist_ok=True)
    (root / "gt").mkdir(parents=True, exist_ok=True)
    (root / "pages" / f"{page.id}.png").write_bytes(encode_image(page.image))
    with open(root / "gt" / f"{page.id}.json", "w", encoding="utf-8") as f:
        json.dump(page_json(page, lines), f, ensure_ascii=False)
