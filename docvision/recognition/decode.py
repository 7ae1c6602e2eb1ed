"""CTC decoding: greedy with a word confidence, and prefix beam search."""

from __future__ import annotations

import math

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
    at a step are skipped.

    Each step scores every beam's extensions at once as a (beams x classes) array, so a wide
    beam (the lexicon's second look at doubtful words) costs little more than a narrow one."""
    prefixes: list[tuple[int, ...]] = [()]
    blank, label = np.ones(1), np.zeros(1)  # per prefix: probability of ending in a blank / in its last label
    last = np.full(1, -1)
    log_scale = 0.0
    for step in probs:
        classes = np.flatnonzero(step > prune)
        if len(classes) == 1 and classes[0] == 0:
            # Only the blank (most steps of a word): every prefix keeps its rank and now ends in a blank.
            log_scale += math.log(float(step[0]))
            blank, label = blank + label, np.zeros_like(label)
            continue
        p_blank = float(step[0]) if step[0] > prune else 0.0
        labels = classes[classes != 0]
        p = step[labels].astype(np.float64)
        # Staying: a blank ends any prefix; the last label repeated collapses into it.
        repeat = np.where(last >= 0, step[np.maximum(last, 0)], 0.0)
        stay_blank = (blank + label) * p_blank
        stay_label = label * np.where(repeat > prune, repeat, 0.0)
        # Growing by one label: after a blank, or after another label (a repeat needs a blank in between).
        grow = (blank + label)[:, None] * p[None, :]
        same = last[:, None] == labels[None, :]
        grow[same] = (blank[:, None] * p[None, :])[same]
        # A grown prefix that is already a beam adds to that beam instead.
        index = {prefix: i for i, prefix in enumerate(prefixes)}
        column = {c: j for j, c in enumerate(labels.tolist())}
        for i, prefix in enumerate(prefixes):
            if prefix and (parent := index.get(prefix[:-1])) is not None and (j := column.get(prefix[-1])) is not None:
                stay_label[i] += grow[parent, j]
                grow[parent, j] = 0.0
        scores = np.concatenate([stay_blank + stay_label, grow.ravel()])
        keep = np.argsort(-scores, kind="stable")[:beam_width]
        keep = keep[scores[keep] > 0]
        n = len(prefixes)
        new_prefixes, new_blank, new_label, new_last = [], [], [], []
        for k in keep.tolist():
            if k < n:
                new_prefixes.append(prefixes[k])
                new_blank.append(stay_blank[k])
                new_label.append(stay_label[k])
                new_last.append(last[k])
            else:
                parent, j = divmod(k - n, len(labels))
                c = int(labels[j])
                new_prefixes.append(prefixes[parent] + (c,))
                new_blank.append(0.0)
                new_label.append(grow[parent, j])
                new_last.append(c)
        prefixes, last = new_prefixes, np.array(new_last, dtype=np.int64)
        blank, label = np.array(new_blank), np.array(new_label)
        total = float(blank.sum() + label.sum()) or 1.0
        log_scale += math.log(total)  # renormalized each step against underflow
        blank, label = blank / total, label / total
    return [(prefix, math.log(b + n) + log_scale) for prefix, b, n in zip(prefixes, blank.tolist(), label.tolist())]
