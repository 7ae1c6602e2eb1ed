"""Which words of a text layer to trust, and which parts of the page need OCR: pure functions of
a :class:`~docvision.textlayer.extract.PageLayer`.

A word is left out when it is not what a reader sees: invisible (rendering mode 3, as earlier
OCR engines write their text), under an opaque image or shape drawn after it, in the colour of
what lies under it (white on white), too small to see, off the page; or when its characters
lie: glyphs without Unicode (no ToUnicode map and no usable glyph names), control or private-use
code points, mojibake (UTF-8 read as Latin-1), and, given a lexicon, a page whose words of plain
letters are almost all unknown to it (a ToUnicode map that gives other letters: "Ifmmp" for
"Hello"). The page is OCRed where it is an image and where
words were left out for lying or being invisible (an earlier OCR's text over a scan); where
most of it needs OCR, or nothing of the layer is left, the whole page is.

Limits: the coverage and colour tests use the boxes of images and filled shapes (not their clip
paths, soft masks or exact outlines), and text drawn as vector outlines is seen by none of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import ftfy
import numpy as np

from docvision.document import BBox, Region, TextLayerUse
from docvision.textlayer.extract import INVISIBLE_MODES, LayerWord, PageLayer

INVISIBLE = "invisible text"
COVERED = "under an image or shape"
HIDDEN = "same colour as the background"
TINY = "too small to see"
OFF_PAGE = "off the page"
UNMAPPED = "unmapped characters"
MOJIBAKE = "mojibake"
UNKNOWN = "unknown words"
IMAGE = "image"
NO_LAYER = "no text layer"
REPLACE = frozenset({INVISIBLE, UNMAPPED, MOJIBAKE, UNKNOWN})
"""Problems whose area is OCRed: something is visible there that the layer does not say truly
(hidden, tiny and covered text shows nothing; what covers it is OCRed when it is an image)."""

MIN_FONT_SIZE = 1.0
"""Points: smaller text is hidden text (a zero-size font), not print."""
MIN_CONTRAST = 40
"""Largest difference of a colour channel (0-255) under which text is the colour of its background."""
COVER_SHARE = 0.5
"""Share of a word's box an image or shape must cover to hide it, or to be its background."""
MIN_IMAGE_SIDE = 0.15
"""Inches: narrower images (rules, bullets, dots) are not OCRed."""
MARGIN = 0.04
"""Inches around a region OCRed, so that its words are not cut at its edge."""
JOIN = 0.25
"""Inches: parts that need OCR this close are read as one region (fewer detector runs; what
it reads again of the layer's words is dropped by :func:`without_duplicates`)."""
WHOLE_PAGE = 0.5
"""Share of the page area above which the regions are read as one page."""
KEEP_OVERLAP = 0.5
"""Share of an OCR word's box on a word of the layer above which the layer's word wins."""
WHITE = (255, 255, 255)
MIN_WORDS = 40
"""Words of plain letters (4 or more, lower case after a capital) a page needs for the lexicon test."""
MIN_KNOWN = 0.02
"""Share of those a lexicon must know. Simulated pages of 80 / 200 words drawn by wordfreq's
frequencies, against the English list: shifted English caught 97% / 100% (of the pages with
enough words); German, French, Spanish, Polish, Czech, Hungarian, Turkish pages never flagged,
Finnish 1.3% / 0.3% (a language added to the ``lexicon`` setting is known too)."""
_PLAIN = re.compile(r"(?=.{4})[A-Z]?[a-z]+")


@dataclass(frozen=True)
class Plan:
    """What to read how on one page: ``words`` of the layer to keep, and the page's
    :class:`~docvision.document.TextLayerUse`, whose ``regions`` are to be OCRed."""

    words: list[LayerWord]
    use: TextLayerUse


def _garbage(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd"


def _lies(text: str, unmapped: int) -> str:
    """Why the characters of ``text`` cannot be taken as they are, or '' (a minority of unreadable
    glyphs, such as TeX's circle of a copyright sign, is dropped by :func:`readable`, as pdftotext does)."""
    if 2 * max(unmapped, sum(map(_garbage, text))) > len(text):
        return UNMAPPED
    return MOJIBAKE if ftfy.is_bad(text) else ""


def readable(text: str) -> str:
    """``text`` without control, private-use, unassigned and replacement characters."""
    return "".join(ch for ch in text if not _garbage(ch))


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area of the intersection of every box of ``a`` (N, 4) with every box of ``b`` (M, 4): (N, M)."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def unknown(texts: Sequence[str], knows: Callable[[str], bool]) -> bool:
    """Whether the words of plain letters among ``texts`` are enough and almost all unknown to ``knows``."""
    plain = [core for text in texts if (core := text.strip(".,;:!?\"'()[]")) and _PLAIN.fullmatch(core)]
    return len(plain) >= MIN_WORDS and sum(map(knows, plain)) < MIN_KNOWN * len(plain)


def word_problems(layer: PageLayer, knows: Callable[[str], bool] | None = None) -> list[str]:
    """Why each word of ``layer`` is not to be trusted ('' for a trusted word), in the order of
    the module docstring: what hides a word first, then what its characters say; ``knows``: a
    lexicon's test of a word, for :func:`unknown` (None: no such test)."""
    words = layer.words
    if not words:
        return []
    boxes = np.array([w.bbox for w in words], np.float64)
    area = np.maximum(_area(boxes), 1e-6)
    order = np.array([w.order for w in words])
    covered = np.zeros(len(words), bool)
    background = [WHITE] * len(words)
    if layer.paints:
        paint_boxes = np.array([p.bbox for p in layer.paints], np.float64)
        paint_order = np.array([p.order for p in layer.paints])
        opaque = np.array([p.opaque for p in layer.paints])
        on = _overlap(boxes, paint_boxes) >= COVER_SHARE * area[:, None]
        after = paint_order[None, :] > order[:, None]
        covered = (on & after & opaque[None, :] & (order[:, None] >= 0)).any(1)
        under = on & ~after
        for i in np.flatnonzero(under.any(1)):
            paint = layer.paints[int(np.flatnonzero(under[i])[-1])]  # the last one drawn under the word
            background[i] = paint.color[:3] if paint.kind == "fill" and paint.opaque else None
    inside = (boxes[:, 2] > 0) & (boxes[:, 0] < layer.width) & (boxes[:, 3] > 0) & (boxes[:, 1] < layer.height)
    moji = ftfy.is_bad(" ".join(w.text for w in words))  # one look at the page spares one per word
    problems = []
    for i, word in enumerate(words):
        if word.mode in INVISIBLE_MODES or word.color[3] == 0:
            problems.append(INVISIBLE)
        elif not inside[i]:
            problems.append(OFF_PAGE)
        elif word.font_size < MIN_FONT_SIZE:
            problems.append(TINY)
        elif covered[i]:
            problems.append(COVERED)
        elif background[i] is not None and max(abs(a - b) for a, b in zip(word.color[:3], background[i])) < MIN_CONTRAST:
            problems.append(HIDDEN)
        else:
            suspect = word.unmapped or moji or not word.text.isprintable() or "\ufffd" in word.text
            problems.append(_lies(word.text, word.unmapped) if suspect else "")
    if knows is not None and unknown([w.text for w, p in zip(words, problems) if not p], knows):
        problems = [p or UNKNOWN for p in problems]
    return problems


def merge_boxes(boxes: Sequence[BBox], gap: float) -> list[tuple[BBox, list[int]]]:
    """``boxes`` joined where they come within ``gap`` of each other (again until none do): each
    joined box with the indices of the boxes it holds, top to bottom."""
    groups = [(tuple(map(float, b)), [i]) for i, b in enumerate(boxes)]
    while len(groups) > 1:
        grown = np.array([g[0] for g in groups]) + np.array([-gap, -gap, gap, gap]) / 2
        near = _overlap(grown, grown) > 0
        label = np.arange(len(groups))
        while True:  # each box takes the smallest label of its neighbours, until the groups are connected
            spread = np.where(near, label[None, :], len(groups)).min(1)
            if np.array_equal(spread, label):
                break
            label = spread
        if len(set(label.tolist())) == len(groups):
            break
        merged: dict[int, tuple[BBox, list[int]]] = {}
        for (box, members), k in zip(groups, label.tolist()):
            old, held = merged.get(k, (box, []))
            merged[k] = ((min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3])),
                         held + members)
        groups = list(merged.values())
    return sorted(groups, key=lambda g: (g[0][1], g[0][0]))


def plan_page(layer: PageLayer, mode: str, dpi: float, knows: Callable[[str], bool] | None = None) -> Plan:
    """Which words of ``layer`` (a page rendered at ``dpi``) to keep and which regions to OCR under
    text-layer ``mode`` ``auto`` or ``only`` (``ocr`` is not planned: the page is simply OCRed);
    ``knows`` as :func:`word_problems`."""
    if mode not in ("auto", "only"):
        raise ValueError(f"text layer mode must be auto or only to plan a page, got {mode!r}")
    width, height = layer.width, layer.height
    problems = word_problems(layer, knows)
    kept = [w if w.text.isprintable() and "\ufffd" not in w.text else replace(w, text=readable(w.text))
            for w, p in zip(layer.words, problems) if not p]
    candidates: list[tuple[BBox, str]] = [(w.bbox, p) for w, p in zip(layer.words, problems) if p in REPLACE]
    for paint in layer.paints:
        x0, y0, x1, y1 = max(paint.bbox[0], 0), max(paint.bbox[1], 0), min(paint.bbox[2], width), min(paint.bbox[3], height)
        if paint.kind == "image" and min(x1 - x0, y1 - y0) >= MIN_IMAGE_SIDE * dpi:
            candidates.append(((x0, y0, x1, y1), IMAGE))

    def why(members) -> str:
        return ", ".join(sorted({candidates[i][1] for i in members}, key=[IMAGE, *sorted(REPLACE)].index))

    margin = MARGIN * dpi
    groups = merge_boxes([b for b, _ in candidates], JOIN * dpi)
    regions = [Region((max(x0 - margin, 0.0), max(y0 - margin, 0.0), min(x1 + margin, width), min(y1 + margin, height)),
                      why(members)) for (x0, y0, x1, y1), members in groups]
    area = sum((r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1]) for r in regions)
    if layer.chars == 0 or not kept or area > WHOLE_PAGE * width * height:
        reason = NO_LAYER if layer.chars == 0 else why(range(len(candidates))) or "nothing of the layer kept"
        regions = [Region((0.0, 0.0, float(width), float(height)), reason)]
    dropped = Counter(p for p in problems if p)
    reason = NO_LAYER if layer.chars == 0 else "; ".join(
        f"{n} word{'s' * (n > 1)} left out: {p}" for p, n in dropped.most_common())
    if not regions:
        path = "used"
    elif mode == "only":
        path, reason = "partial", "; ".join(filter(None, [reason, "not OCRed (--text-layer only)"]))
    elif layer.chars == 0:
        path = "ocr"
    else:
        path = "mixed" if kept else "replaced"
    return Plan(kept, TextLayerUse(path, reason, regions))


def without_duplicates(ocr_words: Sequence, layer_boxes: np.ndarray) -> list:
    """The OCR words (anything with a ``bbox``) that do not lie mostly on a word the layer gave."""
    if not len(ocr_words) or not len(layer_boxes):
        return list(ocr_words)
    boxes = np.array([w.bbox for w in ocr_words], np.float64)
    on = _overlap(boxes, layer_boxes).sum(1) > KEEP_OVERLAP * np.maximum(_area(boxes), 1e-6)
    return [w for w, dup in zip(ocr_words, on) if not dup]
