"""Reading order: words -> lines -> blocks, top-to-bottom, left-to-right, text columns kept apart.

1. Word boxes are deskewed: rotated by the median slope between neighbouring words of a row.
2. A recursive XY-cut splits a region at every empty vertical band at least ``column_gap``
   line heights wide when each would-be column is a column of text (read left to right):
   at least ``MIN_COLUMN_ROWS`` rows, ``MIN_COLUMN_WIDTH`` line heights wide, rows filling
   ``MIN_FILL`` of its width on the median. Narrow or ragged would-be columns (form labels
   and values, table cells) are not split apart, so forms and tables read row by row. A
   would-be column lying wholly above or below the rest (a header, a page number) is cut off
   horizontally; a region without columns is cut at its widest empty horizontal band (read
   top to bottom).
3. In a region with no cut left, words sharing a row form one line, left to right.
4. Consecutive lines form a block while each starts just below the previous one and overlaps
   it horizontally.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from docvision.config import LayoutConfig
from docvision.document import Block, Line, Word, union_bbox

MIN_COLUMN_ROWS = 3
MIN_COLUMN_WIDTH = 8.0
"""In line heights: narrower would-be columns (labels, values, table cells) are not columns."""
MIN_FILL = 0.75
"""Median share of a column's width its rows span: text fills its column, form labels do not."""
TALL_ROW = 1.5
"""In median box heights: a taller box joins a row without stretching it (see :func:`rows`)."""


def _rotate_boxes(boxes: np.ndarray, slope: float) -> np.ndarray:
    """Axis-aligned boxes of ``boxes`` rotated by ``-atan(slope)`` about the origin."""
    if slope == 0.0:
        return boxes
    c, s = np.cos(np.arctan(slope)), np.sin(np.arctan(slope))
    xs, ys = boxes[:, [0, 2, 2, 0]], boxes[:, [1, 1, 3, 3]]
    rx, ry = c * xs + s * ys, -s * xs + c * ys
    return np.stack([rx.min(1), ry.min(1), rx.max(1), ry.max(1)], axis=1)


def skew_slope(boxes: np.ndarray) -> float:
    """Median ``dy / dx`` between the centres of each word and its right neighbour in the same row
    (a word of similar height starting within two heights to its right); 0 with fewer than 3 pairs."""
    h = boxes[:, 3] - boxes[:, 1]
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    order = np.argsort(boxes[:, 0], kind="stable")
    starts = boxes[order, 0]
    lo = np.searchsorted(starts, boxes[:, 2] - 0.5 * h)
    hi = np.maximum(np.searchsorted(starts, boxes[:, 2] + 2 * h), lo)
    # every word against the words starting in its window, as flat pairs (i, j), j by increasing start
    counts = hi - lo
    i = np.repeat(np.arange(len(boxes)), counts)
    j = order[np.repeat(lo, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)]
    near = (np.abs(cy[j] - cy[i]) < 0.5 * h[i]) & (np.abs(h[j] - h[i]) < 0.3 * h[i]) & (j != i)
    i, j = i[near], j[near]
    i, first = np.unique(i, return_index=True)  # each word's nearest neighbour: the first in its window
    j = j[first]
    slopes = (cy[j] - cy[i]) / np.maximum(cx[j] - cx[i], 1.0)
    return float(np.median(slopes)) if len(slopes) >= 3 else 0.0


def _gaps(intervals: np.ndarray) -> list[tuple[float, float]]:
    """Empty stretches between 1-D ``(start, end)`` intervals, as (position, width)."""
    order = np.argsort(intervals[:, 0], kind="stable")
    starts, reach = intervals[order[1:], 0], np.maximum.accumulate(intervals[order, 1])[:-1]
    empty = starts > reach
    return list(zip(((starts + reach) / 2)[empty].tolist(), (starts - reach)[empty].tolist()))


def _grow_rows(boxes: np.ndarray, centres: np.ndarray, members: np.ndarray) -> list[list[int]]:
    """``members`` (indices) grouped greedily by centre: a box joins the row its centre falls in, which
    grows to hold it."""
    found: list[list[int]] = []
    top = bottom = 0.0
    for i in members[np.argsort(centres[members], kind="stable")]:
        if found and top <= centres[i] <= bottom:
            found[-1].append(int(i))
            top, bottom = min(top, boxes[i, 1]), max(bottom, boxes[i, 3])
        else:
            found.append([int(i)])
            top, bottom = boxes[i, 1], boxes[i, 3]
    return found


def rows(boxes: np.ndarray) -> list[np.ndarray]:
    """Indices of ``boxes`` grouped into rows: a box joins the row its vertical centre falls in.

    Rows are grown from boxes of ordinary height; a box over ``TALL_ROW`` median heights (specks down
    a margin, words merged across lines) then joins the row its centre falls in without stretching
    it, so that it cannot pull two lines into one row, where their words would interleave. Tall
    boxes in no row (a title's words) form rows of their own.
    """
    centres = (boxes[:, 1] + boxes[:, 3]) / 2
    heights = boxes[:, 3] - boxes[:, 1]
    tall = heights > TALL_ROW * np.median(heights)
    found = _grow_rows(boxes, centres, np.flatnonzero(~tall))
    tops, bottoms = np.array([boxes[r, 1].min() for r in found]), np.array([boxes[r, 3].max() for r in found])
    middles = np.array([centres[r].mean() for r in found])
    alone = []
    for i in np.flatnonzero(tall):  # to the row holding its centre whose middle is nearest, else alone
        off = np.where((tops <= centres[i]) & (centres[i] <= bottoms), np.abs(middles - centres[i]), np.inf)
        if np.isfinite(off).any():
            found[int(off.argmin())].append(int(i))
        else:
            alone.append(i)
    found += _grow_rows(boxes, centres, np.array(alone, int))
    found.sort(key=lambda r: centres[r].min())
    return [np.array(sorted(row, key=lambda k: boxes[k, 0])) for row in found]


def _is_text_column(boxes: np.ndarray, line_height: float) -> bool:
    width = boxes[:, 2].max() - boxes[:, 0].min()
    grouped = rows(boxes)
    if len(grouped) < MIN_COLUMN_ROWS or width < MIN_COLUMN_WIDTH * line_height:
        return False
    fill = [(boxes[r, 2].max() - boxes[r, 0].min()) / width for r in grouped]
    return float(np.median(fill)) >= MIN_FILL


def _parts(b: np.ndarray, cuts: Sequence[float]) -> list[np.ndarray]:
    bins = np.searchsorted(np.asarray(cuts), (b[:, 0] + b[:, 2]) / 2)
    return [np.flatnonzero(bins == k) for k in range(len(cuts) + 1)]


def _split(boxes: np.ndarray, region: np.ndarray, column_gap: float, line_height: float) -> list[np.ndarray] | None:
    """One XY-cut step over the word indices ``region``: a header/footer and the rest, else its
    columns left to right, else top/bottom at the widest row gap, else ``None``."""
    b = boxes[region]
    cuts = [pos for pos, width in _gaps(b[:, [0, 2]]) if width >= column_gap * line_height]
    if cuts:
        parts = _parts(b, cuts)
        for part in parts:
            rest = np.delete(np.arange(len(region)), part)
            if b[part, 3].max() <= b[rest, 1].min():
                return [region[part], region[rest]]
            if b[part, 1].min() >= b[rest, 3].max():
                return [region[rest], region[part]]
        if all(_is_text_column(b[part], line_height) for part in parts):
            return [region[part] for part in parts]
    gaps = _gaps(b[:, [1, 3]])
    if gaps:
        cut = max(gaps, key=lambda g: g[1])[0]
        above = (b[:, 1] + b[:, 3]) / 2 < cut
        return [region[above], region[~above]]
    return None


def reading_lines(boxes: np.ndarray, column_gap: float, line_height: float) -> list[np.ndarray]:
    """Word indices of each line, lines in reading order (see module docstring); ``boxes``
    deskewed ``(N, 4)`` and both lengths in pixels."""
    lines: list[np.ndarray] = []
    stack = [np.arange(len(boxes))]
    while stack:
        region = stack.pop()
        parts = _split(boxes, region, column_gap, line_height) if len(region) > 1 else None
        if parts is None:
            lines += [region[row] for row in rows(boxes[region])]
        else:
            stack.extend(reversed([p for p in parts if len(p)]))
    return lines


def group_blocks(line_boxes: np.ndarray, block_gap: float) -> list[list[int]]:
    """Consecutive lines (deskewed boxes, in reading order) into blocks: the next line starts at
    most ``block_gap`` line heights below the previous one and overlaps it horizontally."""
    blocks: list[list[int]] = []
    for i, box in enumerate(line_boxes):
        if blocks:
            prev = line_boxes[blocks[-1][-1]]
            h = max(prev[3] - prev[1], box[3] - box[1], 1.0)
            gap = box[1] - prev[3]
            overlaps = min(prev[2], box[2]) > max(prev[0], box[0])
            if overlaps and -0.5 * h <= gap <= block_gap * h:
                blocks[-1].append(i)
                continue
        blocks.append([i])
    return blocks


def arrange(words: Sequence[Word], config: LayoutConfig = LayoutConfig()) -> list[Block]:
    """Blocks of lines of words, in reading order."""
    if not words:
        return []
    boxes = np.array([w.bbox for w in words], np.float64)
    boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1] + 1.0)
    boxes = _rotate_boxes(boxes, skew_slope(boxes))
    line_height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    lines = reading_lines(boxes, config.column_gap, line_height)
    line_boxes = np.array([[*boxes[ln, :2].min(0), *boxes[ln, 2:].max(0)] for ln in lines])
    return [
        Block([Line([words[i] for i in lines[k]]) for k in block])
        for block in group_blocks(line_boxes, config.block_gap)
    ]


_GROUPED = re.compile(r"[-+(€$£]?\d{1,3}(,\d{3})*,")
_GROUP = re.compile(r"\d{3}([,.]\d+)*[)%.,;:]?")
GROUP_GAP = 0.15
"""Widest gap (in word heights) between the two halves of a number split at its thousands comma
("78," "183" on a generated letter page: 0.107)."""


def join_digit_groups(words: Sequence[Word], gap: float = GROUP_GAP) -> list[Word]:
    """The words of one line, left to right, with each number the detector split at a thousands comma
    ("78," "183": boxes touching, often overlapping) made one word again ("78,183"; boxes joined, the
    lower confidence kept). Words apart by more than ``gap`` heights stay apart ("date," "5008.68": 0.21
    on generated letters; the split numbers there: -0.24 to 0.11)."""
    joined: list[Word] = []
    for word in words:
        last = joined[-1] if joined else None
        if (
            last is not None and last.source == word.source == "ocr"
            and _GROUPED.fullmatch(last.text) and _GROUP.fullmatch(word.text)
            and word.bbox[0] - last.bbox[2] <= gap * (last.bbox[3] - last.bbox[1])
        ):
            x0, y0, x1, y1 = union_bbox([last.bbox, word.bbox])
            polygon = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            joined[-1] = Word(last.text + word.text, (x0, y0, x1, y1), polygon, min(last.confidence, word.confidence))
        else:
            joined.append(word)
    return joined
