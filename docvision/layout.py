"""Reading order: words -> lines -> blocks, top-to-bottom, left-to-right, columns kept apart.

1. Words join a line when they overlap vertically and the horizontal gap is
   small relative to their height (a column gutter is wider than a space).
2. Lines are ordered by a recursive XY-cut that prefers vertical cuts: a region
   is split at every empty vertical band at least ``column_gap`` line heights
   wide (columns, read left to right) unless a would-be column lies wholly
   above or below the rest (a centred header or page number); otherwise at its
   widest empty horizontal band (read top to bottom); a region with neither is
   one column.
3. Consecutive lines in that order form a block while each starts just below
   the previous one and overlaps it horizontally.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from docvision.config import LayoutConfig
from docvision.document import BBox, Block, Line, Word

MIN_OVERLAP = 0.5
"""Vertical overlap, as a fraction of the smaller height, for two words to share a line."""


def _height(box: BBox) -> float:
    return max(box[3] - box[1], 1.0)


def _vertical_overlap(a: BBox, b: BBox) -> float:
    return min(a[3], b[3]) - max(a[1], b[1])


def group_lines(words: Sequence[Word], line_gap: float = 1.0) -> list[Line]:
    """Words into lines, each line's words left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bbox[0], w.bbox[1])):
        best, best_overlap = None, 0.0
        for line in lines:
            last = line[-1].bbox
            h = min(_height(last), _height(word.bbox))
            overlap = _vertical_overlap(last, word.bbox)
            gap = word.bbox[0] - last[2]
            if overlap >= MIN_OVERLAP * h and -0.5 * h <= gap <= line_gap * max(_height(last), _height(word.bbox)):
                if overlap / h > best_overlap:
                    best, best_overlap = line, overlap / h
        if best is None:
            lines.append([word])
        else:
            best.append(word)
    return [Line(words) for words in lines]


def _gaps(intervals: np.ndarray) -> list[tuple[float, float]]:
    """Empty stretches between 1-D ``(start, end)`` intervals, as (position, width)."""
    order = np.argsort(intervals[:, 0], kind="stable")
    gaps, reach = [], intervals[order[0], 1]
    for start, end in intervals[order[1:]]:
        if start > reach:
            gaps.append(((start + reach) / 2, start - reach))
        reach = max(reach, end)
    return gaps


def _split(lines: list[Line], column_gap: float) -> list[list[Line]] | None:
    """One XY-cut step: columns left to right, else top/bottom at the widest row gap,
    else ``None`` (the region is a single column)."""
    boxes = np.array([line.bbox for line in lines], dtype=np.float64)
    columns = [pos for pos, width in _gaps(boxes[:, [0, 2]]) if width >= column_gap]
    if columns:
        bins = np.searchsorted(np.array(columns), (boxes[:, 0] + boxes[:, 2]) / 2)
        parts = [np.flatnonzero(bins == b) for b in range(len(columns) + 1)]
        if not any(_stands_apart(boxes, part) for part in parts):
            return [[lines[i] for i in part] for part in parts]
    rows = _gaps(boxes[:, [1, 3]])
    if rows:
        cut = max(rows, key=lambda g: g[1])[0]
        centers = (boxes[:, 1] + boxes[:, 3]) / 2
        return [[ln for ln, c in zip(lines, centers) if c < cut], [ln for ln, c in zip(lines, centers) if c >= cut]]
    return None


def _stands_apart(boxes: np.ndarray, part: np.ndarray) -> bool:
    """Whether the lines ``part`` lie wholly above or below all the others: a header, footer
    or page number over or under a gutter, to be cut off horizontally, not a column."""
    others = np.delete(boxes, part, axis=0)
    return bool(boxes[part, 3].max() <= others[:, 1].min() or boxes[part, 1].min() >= others[:, 3].max())


def xy_cut(lines: Sequence[Line], column_gap: float) -> list[Line]:
    """Lines in reading order (see module docstring); ``column_gap`` is in pixels."""
    ordered: list[Line] = []
    stack = [list(lines)]
    while stack:
        region = stack.pop()
        parts = _split(region, column_gap) if len(region) > 1 else None
        if parts is None:
            ordered.extend(sorted(region, key=lambda ln: (ln.bbox[1], ln.bbox[0])))
        else:
            stack.extend(reversed([p for p in parts if p]))
    return ordered


def group_blocks(ordered: Sequence[Line], block_gap: float) -> list[Block]:
    """Consecutive lines into blocks: the next line starts at most ``block_gap`` line
    heights below the previous one and overlaps it horizontally."""
    blocks: list[list[Line]] = []
    for line in ordered:
        if blocks:
            prev = blocks[-1][-1].bbox
            box = line.bbox
            h = max(_height(prev), _height(box))
            gap = box[1] - prev[3]
            overlaps = min(prev[2], box[2]) > max(prev[0], box[0])
            if overlaps and -0.5 * h <= gap <= block_gap * h:
                blocks[-1].append(line)
                continue
        blocks.append([line])
    return [Block(lines) for lines in blocks]


def arrange(words: Sequence[Word], config: LayoutConfig = LayoutConfig()) -> list[Block]:
    """Blocks of lines of words, in reading order."""
    if not words:
        return []
    lines = group_lines(words, config.line_gap)
    line_height = float(np.median([_height(line.bbox) for line in lines]))
    return group_blocks(xy_cut(lines, config.column_gap * line_height), config.block_gap)
