"""CTC decoding: greedy with a word confidence, and prefix beam search."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from docvision.recognition.vocab import Vocab


def ctc_greedy_decode(probs: np.ndarray, vocab: Vocab) -> tuple[str, float]:
    """Text and confidence of one sequence of per-step class probabilities ``(T, C)``.

    Best class per step, repeats collapsed, blanks (class 0) removed. The
    confidence is the lowest best-class probability over the steps: the
    probability of the least certain decision, so a single doubtful character
    makes the whole word doubtful. An empty sequence gives ``("", 0.0)``.
    """
    if len(probs) == 0:
        return "", 0.0
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    text = vocab.decode(best[keep].tolist())
    return text, float(probs.max(axis=1).min())


def ctc_beam_search(
    probs: np.ndarray, beam_width: int = 10, prune: float = 1e-3
) -> list[tuple[tuple[int, ...], float]]:
    """The ``beam_width`` most likely label sequences of ``probs`` ``(T, C)`` (blank = 0) with
    their log-probabilities, best first: a CTC prefix beam search that sums over all paths
    of a prefix (so it can prefer a reading no single path shows). Classes below ``prune``
    at a step are skipped."""
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}  # prefix -> (ends in blank, not)
    log_scale = 0.0
    for step in probs:
        classes = np.flatnonzero(step > prune)
        if len(classes) == 1 and classes[0] == 0:
            # Only the blank (most steps of a word): every prefix keeps its rank and now ends in a blank.
            log_scale += math.log(float(step[0]))
            beams = {prefix: (blank + label, 0.0) for prefix, (blank, label) in beams.items()}
            continue
        choices = [(c, float(step[c])) for c in classes.tolist()]
        grown: defaultdict[tuple[int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (blank, label) in beams.items():
            last = prefix[-1] if prefix else -1
            for c, p in choices:
                if c == 0:
                    grown[prefix][0] += (blank + label) * p
                elif c == last:
                    grown[prefix + (c,)][1] += blank * p  # a repeat needs a blank in between
                    grown[prefix][1] += label * p  # else it collapses into the last label
                else:
                    grown[prefix + (c,)][1] += (blank + label) * p
        ranked = sorted(grown.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam_width]
        kept = [(prefix, (b, n)) for prefix, (b, n) in ranked if b + n > 0]
        total = sum(b + n for _, (b, n) in kept) or 1.0
        log_scale += math.log(total)  # renormalized each step against underflow
        beams = {prefix: (b / total, n / total) for prefix, (b, n) in kept}
    return [(prefix, math.log(b + n) + log_scale) for prefix, (b, n) in beams.items()]
