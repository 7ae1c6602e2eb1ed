"""The recognition stage: crops of one width share batches, results keep input order."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from docvision.config import RecognizerConfig
from docvision.models.crnn import CRNN
from docvision.recognition.recognizer import Recognizer
from docvision.recognition.vocab import Vocab

VOCAB = Vocab(tuple("0123456789x"))  # digit d is class d + 1, "x" is class 11


class FakeCRNN(nn.Module):
    """Reads each crop's ink level (0..9 tenths) and spells it as a digit at step 0; emits
    "x" at every step whose 4 input columns are all padding (zero ink), blank elsewhere."""

    def __init__(self):
        super().__init__()
        self.config = RecognizerConfig()
        self.classifier = nn.Linear(1, VOCAB.num_classes)
        self.batches: list[tuple[int, int]] = []

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        n, _, _, w = x.shape
        self.batches.append((n, w))
        steps = w // 4
        logits = torch.full((n, steps, VOCAB.num_classes), -10.0)
        logits[:, :, 0] = 10.0
        column_ink = x[:, 0].amax(dim=1)  # (n, w)
        padding = column_ink.reshape(n, steps, 4).amax(dim=2) == 0
        logits[padding] = -10.0
        logits[..., 11][padding] = 10.0
        digit = (x[:, 0, 16, 0] * 10).round().long()
        logits[torch.arange(n), 0] = -10.0
        logits[torch.arange(n), 0, digit + 1] = 10.0
        return logits


def crop(level: int, width: int) -> np.ndarray:
    """A grey crop whose ink (255 - value) / 255 is ``level / 10``, 32 px tall."""
    value = round(255 * (1 - level / 10))
    return np.full((32, width, 3), value, np.uint8)


def test_crops_of_one_width_share_batches_and_results_keep_input_order():
    model = FakeCRNN()
    recognizer = Recognizer(model, VOCAB, batch_size=2)
    levels = [3, 7, 1, 9, 5, 2]
    widths = [100, 12, 98, 40, 103, 99]  # at 32 px tall, widths round to 96, 16, 96, 40, 104, 96 (WIDTH_BUCKET)
    results = recognizer.recognize([crop(lv, w) for lv, w in zip(levels, widths)])
    assert [text for text, _ in results] == [str(lv) for lv in levels]  # no "x": no padding to read
    assert all(conf == pytest.approx(1.0) for _, conf in results)
    assert model.batches == [(2, 96), (1, 96), (1, 16), (1, 40), (1, 104)]


def test_empty_input():
    assert Recognizer(FakeCRNN(), VOCAB).recognize([]) == []


def test_grayscale_crops_accepted():
    (text, _), = Recognizer(FakeCRNN(), VOCAB).recognize([crop(4, 30)[:, :, 0]])
    assert text == "4"


def test_vocabulary_must_match_the_model():
    with pytest.raises(ValueError, match="classes"):
        Recognizer(CRNN(5, RecognizerConfig(channels=(8, 8, 8, 8), lstm_hidden=8)), VOCAB)


def test_real_crnn_end_to_end(small_crnn, vocab):
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for h, w in ((20, 17), (40, 64), (32, 120))]
    results = Recognizer(small_crnn, vocab, batch_size=2).recognize(crops)
    assert len(results) == 3
    for text, confidence in results:
        assert isinstance(text, str) and vocab.covers(text)
        assert 0.0 <= confidence <= 1.0


def test_a_crop_reads_the_same_alone_and_beside_a_wider_one(small_crnn, vocab):
    """The BiLSTM skips the padding (packed sequences), so batch company changes nothing."""
    crnn = small_crnn
    rng = np.random.default_rng(0)
    narrow = rng.integers(0, 255, (32, 60, 3), dtype=np.uint8)
    wide = rng.integers(0, 255, (32, 400, 3), dtype=np.uint8)
    recognizer = Recognizer(crnn, vocab, batch_size=8)
    (alone,) = recognizer.recognize([narrow])
    together, _ = recognizer.recognize([narrow, wide])
    assert alone[0] == together[0] and alone[1] == pytest.approx(together[1], abs=1e-5)


class WidthReader(nn.Module):
    """Reads "78" sure (0.99) from inputs at least twice as wide as tall, "1" unsure (0.6) from others."""

    def __init__(self):
        super().__init__()
        self.config = RecognizerConfig()
        self.classifier = nn.Linear(1, VOCAB.num_classes)

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        n, _, h, w = x.shape
        probs = torch.full((n, w // 4, VOCAB.num_classes), 1e-3)
        probs[:, :, 0] = 1.0
        wide = torch.tensor([s * 4 >= 2 * h for s in (steps.tolist() if steps is not None else [w // 4] * n)])
        if wide.any():  # wide inputs have the steps for two characters
            probs[wide, 0, 0], probs[wide, 0, 8] = 0.01, 0.99
            probs[wide, 2, 0], probs[wide, 2, 9] = 0.01, 0.99
        probs[~wide, 0, 0], probs[~wide, 0, 2] = 0.4, 0.6
        return probs.log()


def test_vertical_crops_are_read_turned():
    recognizer = Recognizer(WidthReader(), VOCAB)
    tall = np.full((120, 20, 3), 128, np.uint8)  # text up the margin
    narrow = np.full((40, 20, 3), 128, np.uint8)  # a single upright character
    (text, confidence), (single, _) = recognizer.recognize([tall, narrow])
    assert text == "78" and confidence == pytest.approx(0.99, abs=0.01)
    assert single == "1"  # not tall enough to be turned
