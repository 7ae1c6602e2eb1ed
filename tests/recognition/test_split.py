"""Splitting a crop read as several words: CTC spans between spaces, ink trimming, sub-quads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from docvision.config import RecognizerConfig
from docvision.recognition.recognizer import Reading, Recognizer
from docvision.recognition.split import ink_extent, ink_gaps, read_gaps, sub_quad, unread_spaces, word_spans
from docvision.recognition.vocab import Vocab

VOCAB = Vocab(tuple("a b"))  # a=1, space=2, b=3, blank=0


def steps(classes: list[int]) -> np.ndarray:
    probs = np.full((len(classes), VOCAB.num_classes), 0.05, np.float32)
    probs[np.arange(len(classes)), classes] = 0.85
    return probs


class GapCRNN(nn.Module):
    """Reads "a" at the first inked step of each ink run and a space at the first step of paper
    after it (a step is inked when one of its 4 columns is); blank elsewhere."""

    def __init__(self):
        super().__init__()
        self.config = RecognizerConfig()
        self.classifier = nn.Linear(1, VOCAB.num_classes)

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        n, _, _, w = x.shape
        inked = x[:, 0].amax(dim=1).reshape(n, w // 4, 4).amax(dim=2) > 0.5
        before = torch.nn.functional.pad(inked, (1, 0))[:, :-1]
        logits = torch.full((n, w // 4, VOCAB.num_classes), -10.0)
        logits[..., 0] = 10.0
        logits[inked & ~before] = torch.tensor([-10.0, 10.0, -10.0, -10.0])
        logits[~inked & before] = torch.tensor([-10.0, -10.0, 10.0, -10.0])
        return logits


def test_spans_are_the_steps_between_spaces():
    assert word_spans(steps([0, 1, 0, 2, 0, 3, 3, 0]), VOCAB) == [(0, 3), (4, 8)]
    assert word_spans(steps([2, 0, 1, 2, 2, 3, 0, 2, 0]), VOCAB) == [(1, 3), (5, 7)]  # leading, doubled, trailing spaces
    assert word_spans(steps([0, 1, 0, 3]), VOCAB) == [(0, 4)]  # no space: one word
    assert word_spans(steps([0, 2, 0]), VOCAB) == [(0, 3)]  # only a space: left to the decoder
    assert word_spans(steps([1, 0]), Vocab(tuple("ab"))) == [(0, 2)]  # no space in the vocabulary


def test_ink_extent_trims_paper_but_not_letters():
    profile = np.full(40, 0.02)
    profile[8:16] = 0.6
    profile[28:36] = 0.5
    assert ink_extent(profile, 0, 24, 10, 14) == (8, 16)
    assert ink_extent(profile, 20, 40, 30, 33) == (28, 36)
    assert ink_extent(profile, 0, 24, 2, 20) == (2, 21)  # never past its characters
    profile[6:8] = 0.05  # a faint serif: ink at a low level only
    assert ink_extent(profile, 0, 24, 10, 14) == (8, 16)
    assert ink_extent(profile, 0, 24, 10, 14, level=0.02) == (6, 16)


def test_sub_quad_follows_a_rotated_box():
    quad = np.array([[0, 0], [100, 10], [98, 30], [-2, 20]], np.float32)
    np.testing.assert_allclose(sub_quad(quad, (0.25, 0, 0.5, 1)), [[25, 2.5], [50, 5], [48, 25], [23, 22.5]])
    np.testing.assert_allclose(sub_quad(quad, (0.25, 0.5, 0.5, 1)), [[24, 12.5], [49, 15], [48, 25], [23, 22.5]])
    np.testing.assert_allclose(sub_quad(quad, (0, 0, 1, 1)), quad)


def two_words(width: int = 160) -> np.ndarray:
    crop = np.full((32, width, 3), 255, np.uint8)
    crop[4:28, 8:48] = 0
    crop[8:24, 88:152] = 0
    return crop


def test_recognizer_reads_each_word_with_its_extent():
    recognizer = Recognizer(GapCRNN(), VOCAB)
    (words,) = recognizer.read([two_words()])
    assert [w.text for w in words] == ["a", "a"]
    assert words[0].box == pytest.approx((8 / 160, 4 / 32, 48 / 160, 28 / 32))  # each box on its own ink
    assert words[1].box == pytest.approx((88 / 160, 8 / 32, 152 / 160, 24 / 32))
    assert recognizer.recognize([two_words()]) == [("a a", pytest.approx(words[0].confidence))]
    one = two_words()
    one[:, 88:] = 255
    assert recognizer.read([one]) == [[Reading("a", pytest.approx(1.0))]]


def test_boxes_of_a_crop_read_cut_to_its_text_rows_are_fractions_of_the_whole_crop():
    tall = np.full((96, 160, 3), 255, np.uint8)
    tall[32:64] = two_words()  # ink rows 36-60 of 96: read from rows 31-65 (recognition.crops.text_rows)
    (words,) = Recognizer(GapCRNN(), VOCAB).read([tall])
    assert [w.text for w in words] == ["a", "a"]
    assert words[0].box == pytest.approx((8 / 160, 36 / 96, 48 / 160, 60 / 96), abs=0.03)
    assert words[1].box == pytest.approx((88 / 160, 40 / 96, 152 / 160, 56 / 96), abs=0.03)


def test_ink_gaps():
    profile = np.full(40, 0.02)
    profile[[2, 3, 10, 11, 30, 31, 34]] = 0.6
    assert ink_gaps(profile) == [(4, 10), (12, 30), (32, 34)]  # not the paper before the first ink or after the last
    assert ink_gaps(np.zeros(10)) == []


def test_unread_spaces_split_at_gaps_as_wide_as_the_read_ones():
    best = np.array([1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0])  # "a a" read, then a second "a" after a wide gap
    spans = [(0, 4), (5, 13)]
    read, unread, narrow = (4, 16), (34, 45), (26, 29)  # columns, 4 to a step
    assert unread_spaces(spans, [read, unread, narrow], best, 4) == [(0, 4), (5, 10), (10, 13)]
    assert unread_spaces(spans, [read, (34, 40), narrow], best, 4) == spans  # 6 < 0.7 x 12 columns
    assert unread_spaces([(0, 13)], [read, unread], best, 4) == [(0, 13)]  # no space read: no spacing known
    assert unread_spaces(spans, [read, unread, narrow], best, 4, least=12) == spans  # 11 columns: a letter gap
    assert unread_spaces(spans, [read, unread, narrow], best, 4, least=11) == [(0, 4), (5, 10), (10, 13)]
    best[10] = 1  # a character, not a blank, where the gap is: no cut through it
    assert unread_spaces(spans, [read, unread, narrow], best, 4) == spans


def test_unread_spaces_know_the_read_space_by_its_steps_not_by_its_width():
    """"J. S. Wigand" read "J.S. Wigand": the widest gap (after "J.") is the unread one."""
    best = np.array([1, 0, 3, 0, 0, 0, 1, 3, 2, 0, 1, 0, 1, 0])  # "J.S. Wig", the space at step 8
    spans = [(0, 8), (9, 14)]
    read, unread = (31, 38), (13, 23)  # columns, 4 to a step: the read gap narrower than the unread
    assert read_gaps(spans, [unread, read], 4) == [read]
    assert unread_spaces(spans, [unread, read], best, 4) == [(0, 4), (4, 8), (9, 14)]
    assert read_gaps(spans, [unread], 4) == []  # the space read over touching ink: no spacing known
    assert unread_spaces(spans, [unread], best, 4) == spans


class OneSpaceCRNN(GapCRNN):
    """:class:`GapCRNN` that reads only its first space."""

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        logits = super().forward(x, steps)
        space = logits.argmax(-1) == 2
        later = space.cumsum(dim=1) > 1
        logits[space & later] = torch.tensor([10.0, -10.0, -10.0, -10.0])
        return logits


def test_recognizer_splits_a_word_at_an_unread_space():
    crop = np.full((32, 240, 3), 255, np.uint8)
    for x0 in (8, 88, 168):
        crop[4:28, x0 : x0 + 40] = 0  # three words, evenly spaced; the recognizer reads one space
    (words,) = Recognizer(OneSpaceCRNN(), VOCAB).read([crop])
    assert [w.text for w in words] == ["a", "a", "a"]
    assert [w.box[0] for w in words] == pytest.approx([8 / 240, 88 / 240, 168 / 240])
