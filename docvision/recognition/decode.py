"""CTC greedy decoding with a word confidence."""

from __future__ import annotations

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
