"""Drawing a page on separate ink layers, recording a tight polygon for every word drawn.

Labeled words go to the ``text`` layer only; rules, boxes, logos, stamps and pen marks go to the
``marks`` layer (dark) or the ``color`` layer (stamps, signatures). Keeping them apart makes the
ground truth checkable: all ``text`` ink lies inside word polygons, and the page has no other ink
outside the mark layers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from docvision.datasets.synth.fonts import FontInfo, load_font
from docvision.datasets.types import LabeledWord


def halftone(shape: tuple[int, int], coverage: float, period: float) -> np.ndarray:
    """A printed grey: round dots on a 45-degree grid of ``period`` pixels covering ``coverage``
    of the area (uint8 ink coverage, 255 inside a dot)."""
    y, x = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    u, v = (x + y) / np.sqrt(2), (x - y) / np.sqrt(2)
    du = u - period * np.round(u / period)
    dv = v - period * np.round(v / period)
    radius = period * np.sqrt(coverage / np.pi)
    return np.where(du * du + dv * dv <= radius * radius, np.uint8(255), np.uint8(0))


@dataclass
class Style:
    """A font at a pixel size."""

    font: FontInfo
    size_px: int

    @property
    def pil(self) -> ImageFont.FreeTypeFont:
        """The PIL font."""
        return load_font(self.font.path, self.size_px)

    def width(self, text: str) -> float:
        """Advance width of ``text`` in pixels."""
        return _advance(self.font.path, self.size_px, text)

    @property
    def space(self) -> float:
        """Width of a space in pixels."""
        return _advance(self.font.path, self.size_px, " ")


@functools.lru_cache(maxsize=65536)
def _advance(path: str, size_px: int, text: str) -> float:
    return load_font(path, size_px).getlength(text)


@dataclass
class Canvas:
    """Ink layers (``H x W`` uint8 coverage) of a page and the words drawn on it."""

    height: int
    width: int
    text: np.ndarray = field(init=False)
    marks: np.ndarray = field(init=False)
    color: np.ndarray = field(init=False)
    words: list[LabeledWord] = field(default_factory=list)
    lines: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = np.zeros((self.height, self.width), np.uint8)
        self.marks = np.zeros_like(self.text)
        self.color = np.zeros_like(self.text)


def render_word(text: str, style: Style) -> tuple[np.ndarray, int, int]:
    """Coverage mask of ``text`` cropped to its ink, and the ink's offset from the pen origin.

    The pen origin is the left end of the baseline. Returns an empty mask for invisible text.
    """
    font = style.pil
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    img = Image.new("L", (max(right - left, 1), max(bottom - top, 1)))
    ImageDraw.Draw(img).text((-left, -top), text, font=font, fill=255, anchor="ls")
    mask = np.asarray(img)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return mask[:0, :0], 0, 0
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], left + int(cols[0]), top + int(rows[0])


def split_tokens(tokens: list[str]) -> list[str]:
    """Whitespace-separated words of ``tokens`` (a label is one word, never holding a space)."""
    return [t for tok in tokens for t in tok.split()]


def capitals(text: str) -> str:
    """``text`` in capitals, leaving the letters whose capital is not one Latin-1 character."""
    return "".join(u if len(u := c.upper()) == 1 and ord(u) < 256 else c for c in text)


class PageBuilder:
    """Draws words, lines, paragraphs and marks onto a :class:`Canvas`; with ``caps``, every
    word in :func:`capitals`."""

    def __init__(self, canvas: Canvas, caps: bool = False) -> None:
        self.canvas = canvas
        self.caps = caps

    def word(self, x: float, baseline: float, text: str, style: Style) -> int | None:
        """Draw one word with its pen origin at ``(x, baseline)``; returns its index or ``None``.

        Characters the font lacks are dropped so the label always matches the ink; words that
        would leave the page are not drawn.
        """
        text = capitals(text) if self.caps else text
        text = "".join(c for c in text if style.font.covers(c)).strip()
        if not text:
            return None
        mask, dx, dy = render_word(text, style)
        return self._ink_word(text, mask, round(x) + dx, round(baseline) + dy)

    def _ink_word(self, text: str, mask: np.ndarray, x0: int, y0: int) -> int | None:
        """Put ``mask`` (coverage cropped to its ink) on the text layer at ``(x0, y0)`` as the word
        ``text``, its polygon the mask's box; ``None`` (nothing drawn) when it would leave the page."""
        h, w = mask.shape
        if w == 0 or x0 < 0 or y0 < 0 or x0 + w > self.canvas.width or y0 + h > self.canvas.height:
            return None
        region = self.canvas.text[y0 : y0 + h, x0 : x0 + w]
        np.maximum(region, mask, out=region)
        polygon = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], np.float32)
        self.canvas.words.append(LabeledWord(text, polygon))
        return len(self.canvas.words) - 1

    def line(
        self, x: float, baseline: float, tokens: list[str], style: Style, gap: float = 1.0, lead: int | None = None
    ) -> float:
        """Draw tokens left to right as one text line, after the word ``lead`` (e.g. a check box) if
        given; returns the pen position after it."""
        tokens = split_tokens(tokens)
        indices = [] if lead is None else [lead]
        for tok in tokens:
            i = self.word(x, baseline, tok, style)
            if i is not None:
                indices.append(i)
            x += style.width(tok) + style.space * gap
        if indices:
            self.canvas.lines.append(indices)
        return x - style.space * gap

    def line_at(self, x0: float, x1: float, baseline: float, tokens: list[str], style: Style, align: str) -> None:
        """Draw one line inside ``[x0, x1]`` aligned ``left``, ``right``, ``center`` or ``justify``."""
        tokens = split_tokens(tokens)
        widths = [style.width(t) for t in tokens]
        natural = sum(widths) + style.space * (len(tokens) - 1)
        if align == "justify" and len(tokens) > 1:
            gap = (x1 - x0 - sum(widths)) / (len(tokens) - 1) / style.space
            self.line(x0, baseline, tokens, style, gap=max(gap, 1.0))
            return
        start = {"left": x0, "right": x1 - natural, "center": (x0 + x1 - natural) / 2}.get(align, x0)
        self.line(start, baseline, tokens, style)

    def paragraph(
        self,
        x0: float,
        top: float,
        x1: float,
        y_max: float,
        tokens: list[str],
        style: Style,
        leading: float = 1.25,
        align: str = "left",
    ) -> float:
        """Flow ``tokens`` into lines between ``x0`` and ``x1`` from ``top``; returns the next free y.

        Stops at ``y_max``; a justified paragraph's last line is left-aligned.
        """
        step = style.size_px * leading
        ascent = style.pil.getmetrics()[0]
        baseline = top + ascent
        lines: list[list[str]] = [[]]
        used = 0.0
        for tok in split_tokens(tokens):
            w = style.width(tok)
            if lines[-1] and used + style.space + w > x1 - x0:
                lines.append([])
                used = 0.0
            used += (style.space if lines[-1] else 0.0) + w
            lines[-1].append(tok)
        for k, words in enumerate(lines):
            if baseline + style.size_px * 0.3 > y_max or not words:
                break
            last = k == len(lines) - 1
            self.line_at(x0, x1, baseline, words, style, "left" if (align == "justify" and last) else align)
            baseline += step
        return baseline - ascent

    # ---- non-text marks (never labeled) -------------------------------------------------------

    def rule(
        self,
        p0: tuple[float, float],
        p1: tuple[float, float],
        thickness: int = 1,
        layer: str = "marks",
        dashed: bool = False,
    ) -> None:
        """A straight (optionally dashed) line."""
        img = getattr(self.canvas, layer)
        a, b = np.asarray(p0, float), np.asarray(p1, float)
        if not dashed:
            cv2.line(img, tuple(map(int, a)), tuple(map(int, b)), 255, max(thickness, 1), cv2.LINE_AA)
            return
        n = max(int(np.linalg.norm(b - a) / (6 * thickness + 4)), 1)
        for t in range(0, n, 2):
            q0, q1 = a + (b - a) * t / n, a + (b - a) * min(t + 1, n) / n
            cv2.line(img, tuple(map(int, q0)), tuple(map(int, q1)), 255, max(thickness, 1), cv2.LINE_AA)

    def box(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        thickness: int = 1,
        fill: int = 0,
        screen: float = 0.0,
        layer: str = "marks",
    ) -> None:
        """A rectangle outline, optionally filled with a light shade (``fill`` coverage 0-255),
        flat or printed as a halftone dot screen of period ``screen`` pixels."""
        img = getattr(self.canvas, layer)
        if fill:
            region = img[int(y0) : int(y1), int(x0) : int(x1)]
            shade = halftone(region.shape, fill / 255, screen) if screen else np.uint8(fill)
            np.maximum(region, shade, out=region)
        if thickness:
            cv2.rectangle(img, (int(x0), int(y0)), (int(x1), int(y1)), 255, thickness, cv2.LINE_AA)

    def checkbox(
        self, x: float, y: float, size: float, mark: str | None, rng: np.random.Generator, style: Style
    ) -> int | None:
        """A square check box, empty (``mark`` ``None``) or marked by a hand ``"tick"`` or ``"cross"`` or
        a ``"typed"`` X in ``style``'s font; returns its word's index (``None`` when it would leave the page).

        A box is a word of its own, labeled ``☐`` or ``☑`` as FUNSD labels the boxes of its forms, so
        that the detector learns to find it and the recognizer to read it (its vocabulary has the signs).
        A tick may overshoot the box, as pens do; most of FUNSD's checked boxes hold a typed X.
        """
        pad = int(size)  # room for the overshoot, on a patch of its own cropped to its ink
        patch = np.zeros((3 * pad + 2, 3 * pad + 2), np.uint8)
        cv2.rectangle(patch, (pad, pad), (pad + int(size), pad + int(size)), 255, max(1, int(size / 12)), cv2.LINE_AA)
        if mark == "typed":
            glyph, _, _ = render_word("X" if rng.random() < 0.8 else "x", Style(style.font, max(4, round(size))))
            scale = min(1.0, 0.75 * size / max(glyph.shape))  # inside the box, clear of its border
            if scale < 1:
                glyph = cv2.resize(glyph, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            h, w = glyph.shape
            y0, x0 = pad + (int(size) - h + 1) // 2, pad + (int(size) - w + 1) // 2
            np.maximum(patch[y0 : y0 + h, x0 : x0 + w], glyph, out=patch[y0 : y0 + h, x0 : x0 + w])
        elif mark in ("tick", "cross"):
            if mark == "tick":  # 1-1.4 times the size, grown from its foot
                pts = np.array([[0.2, 0.5], [0.45, 0.8], [0.9, 0.05]])
                pts = [(pts - [0.45, 0.8]) * rng.uniform(1.0, 1.4) + [0.45, 0.8]]
            else:
                pts = [np.array([[0.15, 0.15], [0.85, 0.85]]), np.array([[0.85, 0.15], [0.15, 0.85]])]
            strokes = [(p * size + pad + rng.normal(0, size * 0.04, p.shape)).astype(np.int32) for p in pts]
            cv2.polylines(patch, strokes, False, 255, max(1, int(size / 8)), cv2.LINE_AA)
        elif mark is not None:
            raise ValueError(f"unknown check mark {mark!r} (expected None, 'typed', 'tick' or 'cross')")
        x0, y0, w, h = cv2.boundingRect(patch)
        ink = patch[y0 : y0 + h, x0 : x0 + w]
        return self._ink_word("☐" if mark is None else "☑", ink, int(x) - pad + x0, int(y) - pad + y0)

    def scribble(
        self, x0: float, y0: float, x1: float, y1: float, rng: np.random.Generator, layer: str = "color"
    ) -> None:
        """A signature-like pen stroke filling the rectangle."""
        n = int(rng.integers(40, 120))
        t = np.linspace(0, 1, n)
        loops = rng.uniform(3, 9)
        ys = 0.5 + 0.35 * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6)) * rng.uniform(
            0.5, 1, n
        ).cumsum() / np.arange(1, n + 1)
        xs = t + 0.04 * np.cos(2 * np.pi * loops * t * 1.3)
        pts = np.stack([x0 + xs * (x1 - x0), y0 + np.clip(ys, 0, 1) * (y1 - y0)], 1)
        pts = cv2.GaussianBlur(pts.reshape(-1, 1, 2), (1, 5), 0).astype(np.int32)
        cv2.polylines(getattr(self.canvas, layer), [pts], False, 255, max(1, int((y1 - y0) / 25)), cv2.LINE_AA)

    def logo(self, x: float, y: float, size: float, rng: np.random.Generator) -> None:
        """An abstract logo made of filled and outlined shapes."""
        img = self.canvas.marks
        c = (int(x + size / 2), int(y + size / 2))
        r = int(size / 2)
        kind = int(rng.integers(4))
        if kind == 0:
            cv2.circle(img, c, r, 255, max(2, r // 8), cv2.LINE_AA)
            cv2.circle(img, c, r // 2, 255, -1, cv2.LINE_AA)
        elif kind == 1:
            pts = np.array([[c[0], c[1] - r], [c[0] + r, c[1] + r], [c[0] - r, c[1] + r]], np.int32)
            cv2.fillPoly(img, [pts], 255, cv2.LINE_AA)
            cv2.circle(img, (c[0], c[1] + r // 3), r // 3, 0, -1, cv2.LINE_AA)
        elif kind == 2:
            for k in range(3):
                cv2.rectangle(
                    img,
                    (int(x) + k * r // 2, int(y) + k * r // 2),
                    (int(x) + k * r // 2 + r, int(y) + k * r // 2 + r),
                    255,
                    -1 if k == 1 else max(2, r // 10),
                )
        else:
            angles = np.linspace(0, 2 * np.pi, int(rng.integers(5, 9)), endpoint=False)
            pts = np.stack([c[0] + r * np.cos(angles), c[1] + r * np.sin(angles)], 1).astype(np.int32)
            cv2.fillPoly(img, [pts], 255, cv2.LINE_AA)
            cv2.ellipse(img, c, (r // 2, r // 4), float(rng.uniform(0, 180)), 0, 360, 0, -1, cv2.LINE_AA)

    def stamp(self, cx: float, cy: float, text: str, style: Style, rng: np.random.Generator) -> None:
        """A rotated rubber stamp (frame and text) on the colour layer.

        Its text is a mark, not a label: the detector should neither learn nor be blamed for it,
        so the stamp is also recorded as an ignored word covering it.
        """
        mask, _, _ = render_word(text, style)
        if mask.size == 0:
            return
        pad = style.size_px // 2
        h, w = mask.shape[0] + 2 * pad, mask.shape[1] + 2 * pad
        tile = np.zeros((h, w), np.uint8)
        tile[pad : pad + mask.shape[0], pad : pad + mask.shape[1]] = mask
        cv2.rectangle(tile, (1, 1), (w - 2, h - 2), 255, max(2, style.size_px // 8))
        angle = float(rng.uniform(-25, 25))
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        corners = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), m)[0]
        m[:, 2] += [cx, cy] - corners.mean(0)
        size = (self.canvas.width, self.canvas.height)
        ink = cv2.warpAffine(tile, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
        np.maximum(self.canvas.color, ink, out=self.canvas.color)
        polygon = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), m)[0]
        self.canvas.words.append(LabeledWord(text, polygon.astype(np.float32), ignore=True))
