"""Greedy CTC decoding and its confidence."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from docvision.recognition.decode import ctc_beam_search, ctc_greedy_decode
from docvision.recognition.vocab import Vocab

VOCAB = Vocab(tuple("helo"))  # h=1 e=2 l=3 o=4, blank=0


def steps(classes, confidence=0.9, num_classes=5) -> np.ndarray:
    """One-hot-ish probabilities: ``confidence`` on each step's class, the rest spread."""
    probs = np.full((len(classes), num_classes), (1 - confidence) / (num_classes - 1), np.float32)
    probs[np.arange(len(classes)), classes] = confidence
    return probs


def test_repeats_collapse_and_blanks_vanish():
    assert ctc_greedy_decode(steps([1, 1, 0, 2, 2, 2, 3, 0, 0, 4]), VOCAB)[0] == "helo"


def test_blank_separates_doubled_letters():
    assert ctc_greedy_decode(steps([1, 2, 3, 0, 3, 4]), VOCAB)[0] == "hello"
    assert ctc_greedy_decode(steps([1, 2, 3, 3, 4]), VOCAB)[0] == "helo"


def test_confidence_is_the_least_certain_step():
    probs = steps([1, 2, 3, 0, 3, 4])
    probs[3] = [0.4, 0.3, 0.1, 0.1, 0.1]  # a doubtful blank
    text, confidence = ctc_greedy_decode(probs, VOCAB)
    assert text == "hello"
    assert confidence == pytest.approx(0.4)
    assert isinstance(confidence, float)


def test_all_blank_and_empty():
    assert ctc_greedy_decode(steps([0, 0, 0]), VOCAB) == ("", pytest.approx(0.9))
    assert ctc_greedy_decode(np.zeros((0, 5), np.float32), VOCAB) == ("", 0.0)


def test_beam_search_sums_the_paths_of_a_prefix():
    probs = np.array([[0.6, 0.4], [0.6, 0.4]])  # blank 0.6, "a" 0.4 at both steps
    (best, p_best), (second, p_second) = ctc_beam_search(probs)
    # the best single path is blank-blank (0.36), but "a" has three paths: 0.16 + 0.24 + 0.24
    assert best == (1,) and p_best == pytest.approx(np.log(0.64))
    assert second == () and p_second == pytest.approx(np.log(0.36))


def test_beam_search_keeps_doubled_letters_apart():
    candidates = dict(ctc_beam_search(steps([1, 2, 3, 0, 3, 4])))
    assert max(candidates, key=candidates.get) == (1, 2, 3, 3, 4)  # "hello"
    assert all(np.isfinite(lp) and lp <= 0 for lp in candidates.values())
    assert ctc_beam_search(np.zeros((0, 5))) == [((), 0.0)]


def test_beam_search_equals_the_sum_over_all_paths_with_steps_of_blank_alone():
    """Every label sequence's probability summed over its paths by brute force; steps 1 and 3 hold
    the blank alone (most steps of a word do), which the search takes a shortcut through."""
    probs = np.random.default_rng(3).dirichlet(np.ones(3), size=6)
    probs[[1, 3]] = [1 - 1e-4, 5e-5, 5e-5]  # the other classes under the prune threshold
    total: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(3), repeat=len(probs)):
        labels = tuple(c for i, c in enumerate(path) if c and (i == 0 or path[i - 1] != c))
        kept = np.where(probs[np.arange(len(path)), list(path)] > 1e-3, probs[np.arange(len(path)), list(path)], 0.0)
        total[labels] = total.get(labels, 0.0) + float(np.prod(kept))
    found = ctc_beam_search(probs, beam_width=100)
    assert len(found) == sum(p > 0 for p in total.values())
    for labels, log_p in found:
        assert log_p == pytest.approx(np.log(total[labels]), abs=1e-9)
    assert found[0][0] == max(total, key=total.get)
