"""Recognition errors broken down by kind of word, crop height and font, and the character
edits behind them: which data or capacity change would pay is read off these tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

HEIGHT_BINS = (0, 12, 16, 20, 25, 30, 40, 60)
"""Lower edges of the crop-height bins, in page pixels."""


@dataclass(frozen=True)
class Reading:
    """One ground-truth crop and what the recognizer read: ``tags`` name its font, set, ..."""

    truth: str
    read: str
    height: float
    tags: tuple[str, ...] = ()


def word_kinds(text: str) -> list[str]:
    """The kinds a word belongs to (several at once): its case, digits, punctuation inside or at
    its end, letters beyond ASCII, and its length."""
    letters = [c for c in text if c.isalpha()]
    kinds = []
    if letters:
        if all(c.isupper() for c in letters):
            kinds.append("case: all capitals" if len(letters) > 1 else "case: one capital")
        elif letters[0].isupper() and all(c.islower() for c in letters[1:]):
            kinds.append("case: capitalized")
        elif all(c.islower() for c in letters):
            kinds.append("case: lower")
        else:
            kinds.append("case: mixed")
    if any(c.isdigit() for c in text):
        kinds.append("digits: only" if all(c.isdigit() or not c.isalnum() for c in text) else "digits: with letters")
    core = text.strip(".,:;!?")
    if any(not c.isalnum() for c in core):
        kinds.append("punct: inside (-'@/.&)")
    if core != text:
        kinds.append("punct: trailing (.,:;!?)")
    if any(c.isalpha() and not c.isascii() for c in text):
        kinds.append("letters: beyond ASCII")
    n = len(text)
    kinds.append("length: 1-2" if n <= 2 else "length: 3-5" if n <= 5 else "length: 6-9" if n <= 9 else "length: 10+")
    return kinds


def height_bin(height: float) -> str:
    """The ``HEIGHT_BINS`` bin of a crop height, e.g. ``"16-19 px"``."""
    edges = [e for e in HEIGHT_BINS if e <= height]
    lo = edges[-1] if edges else 0
    i = HEIGHT_BINS.index(lo)
    return f"{lo}+ px" if i + 1 == len(HEIGHT_BINS) else f"{lo}-{HEIGHT_BINS[i + 1] - 1} px"


def accuracy_by(
    readings: Iterable[Reading], groups: Callable[[Reading], Iterable[str]]
) -> list[tuple[str, int, float]]:
    """``(group, words, word accuracy)`` for each group ``groups(reading)`` puts readings in,
    largest group first."""
    counts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in readings:
        for g in groups(r):
            counts[g][0] += 1
            counts[g][1] += r.read == r.truth
    return sorted(((g, n, ok / n) for g, (n, ok) in counts.items()), key=lambda row: (-row[1], row[0]))


def char_edits(pairs: Iterable[tuple[str, str]]) -> Counter[str]:
    """How often each character edit turns the truth into the reading over ``(truth, read)``
    pairs: ``"m -> n"``, ``"+ :"`` (inserted), ``"- ï"`` (dropped)."""
    edits: Counter[str] = Counter()
    for truth, read in pairs:
        for op in Levenshtein.editops(truth, read):
            if op.tag == "replace":
                edits[f"{truth[op.src_pos]} -> {read[op.dest_pos]}"] += 1
            elif op.tag == "insert":
                edits[f"+ {read[op.dest_pos]}"] += 1
            else:
                edits[f"- {truth[op.src_pos]}"] += 1
    return edits


def tables(readings: Sequence[Reading], top: int = 15) -> dict[str, list[tuple]]:
    """All breakdown tables of ``readings``: by kind, by crop height, by tag, and the ``top``
    character edits of the misread words."""
    wrong = [(r.truth, r.read) for r in readings if r.read != r.truth]
    heights = {row[0]: row for row in accuracy_by(readings, lambda r: [height_bin(r.height)])}
    return {
        "kind": accuracy_by(readings, lambda r: word_kinds(r.truth)),
        "height": [heights[b] for b in map(height_bin, HEIGHT_BINS) if b in heights],
        "tag": accuracy_by(readings, lambda r: r.tags),
        "edits": char_edits(wrong).most_common(top),
    }
