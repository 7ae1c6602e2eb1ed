"""The recognition stage: word crops -> (text, confidence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from docvision.models.crnn import CRNN
from docvision.recognition.crops import pad_batch, to_recognizer_input
from docvision.recognition.decode import ctc_greedy_decode
from docvision.recognition.lexicon import Lexicon, lexicon_decode
from docvision.recognition.split import ROW_INK, ink_extent, word_spans
from docvision.recognition.vocab import Vocab

STEP = 4
"""Input columns per CRNN output step."""


def output_steps(width: int) -> int:
    """CRNN output steps covering an input ``width`` pixels wide."""
    return -(-width // STEP)


@dataclass(frozen=True)
class Reading:
    """One word read in a crop; ``box`` is its part of the crop, ``(x0, y0, x1, y1)`` as fractions
    of the crop's width and height (the whole crop for a crop read as one word)."""

    text: str
    confidence: float
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


class Recognizer:
    """CRNN + CTC decoding over batches of crops sorted by width; thread-safe. With a
    ``lexicon``, doubtful words are decoded by :func:`~docvision.recognition.lexicon.lexicon_decode`."""

    def __init__(
        self,
        model: CRNN,
        vocab: Vocab,
        *,
        batch_size: int = 64,
        device: torch.device = torch.device("cpu"),
        lexicon: Lexicon | None = None,
        lexicon_margin: float = 4.0,
    ):
        if model.classifier.out_features != vocab.num_classes:
            raise ValueError(
                f"recognizer has {model.classifier.out_features} classes, vocabulary {vocab.num_classes}"
            )
        self.model = model.eval().to(device, memory_format=torch.channels_last)
        self.vocab = vocab
        self.batch_size = batch_size
        self.device = device
        self.lexicon, self.lexicon_margin = lexicon, lexicon_margin

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each crop (RGB or grayscale uint8), in input order; words
        read in one crop are joined by spaces, with the lowest of their confidences."""
        results = []
        for words in self.read(crops):
            text = " ".join(w.text for w in words)
            results.append((text, min((w.confidence for w in words), default=0.0)))
        return results

    def read(self, crops: Sequence[np.ndarray]) -> list[list[Reading]]:
        """The words of each crop (RGB or grayscale uint8), in input order: a crop is split where
        the recognizer reads a space (see :mod:`docvision.recognition.split`)."""
        inputs = [to_recognizer_input(c, self.model.config.height) for c in crops]
        order = sorted(range(len(inputs)), key=lambda i: inputs[i].shape[1])
        results: list[list[Reading]] = [[] for _ in inputs]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch, widths = pad_batch([inputs[i] for i in chunk])
            batch = batch.to(self.device).contiguous(memory_format=torch.channels_last)
            steps = torch.tensor([output_steps(w) for w in widths])
            with torch.inference_mode():
                probs = self.model(batch, steps).float().softmax(-1).cpu().numpy()
            for i, p, n in zip(chunk, probs, steps.tolist()):
                results[i] = self._words(p[:n], inputs[i])
        return results

    def _decode(self, probs: np.ndarray) -> tuple[str, float]:
        if self.lexicon is not None:
            return lexicon_decode(probs, self.vocab, self.lexicon, self.lexicon_margin)
        return ctc_greedy_decode(probs, self.vocab)

    def _words(self, probs: np.ndarray, image: np.ndarray) -> list[Reading]:
        spans = word_spans(probs, self.vocab)
        if len(spans) == 1:
            text, confidence = self._decode(probs[spans[0][0] : spans[0][1]])
            return [Reading(text, confidence)] if text else []
        height, width = image.shape
        columns = image.mean(axis=0)
        words = []
        for s, e in spans:
            text, confidence = self._decode(probs[s:e])
            if not text:
                continue
            chars = s + np.flatnonzero(probs[s:e].argmax(axis=1) != 0)
            lo, hi = ink_extent(columns, s * STEP, min(e * STEP, width), chars[0] * STEP, min(chars[-1] * STEP + STEP, width) - 1)
            top, bottom = ink_extent(image[:, lo:hi].mean(axis=1), 0, height, height // 2, height // 2, ROW_INK)
            words.append(Reading(text, confidence, (lo / width, top / height, hi / width, bottom / height)))
        return words
