"""The recognition stage: word crops -> (text, confidence)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from docvision.models.crnn import CRNN, STEP
from docvision.recognition.crops import as_grey, text_rows, to_recognizer_input
from docvision.recognition.decode import ctc_greedy_decode
from docvision.recognition.lexicon import Lexicon, lexicon_decode
from docvision.recognition.split import ROW_INK, UNREAD_GAP, ink_extent, ink_gaps, unread_spaces, word_spans
from docvision.recognition.vocab import Vocab

WIDTH_BUCKET = 8
"""Crops are read at widths rounded to a multiple of this, so that a batch holds crops of one
width: no padding for the BiLSTM to skip, and few distinct shapes. Measured with v4 on every 5th
FUNSD page / the four data/synth-examples pages: stretching to multiples of 8 reads 82.3% / 90.4%
of the words (16: 81.7% / 89.8%; padding to 8 instead: 79.4% / 90.9%; unbucketed torch: 81.0% / 90.8%)."""
VERTICAL = 3.0
"""Crops at least this many times taller than wide are also read turned a quarter both ways
(a document number printed up the margin); the most confident reading wins."""


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


def confidence(words: list[Reading]) -> float:
    """A crop's confidence: its least certain word's (0 when nothing was read)."""
    return min((w.confidence for w in words), default=0.0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in numpy: torch's would wake its thread pool for a few hundred microseconds of
    work after ONNX Runtime's threads (~5 ms a batch when other processes share the cores)."""
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return probs / probs.sum(axis=-1, keepdims=True)


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
        lexicon_beam: int = 80,
    ):
        if model.classifier.out_features != vocab.num_classes:
            raise ValueError(
                f"recognizer has {model.classifier.out_features} classes, vocabulary {vocab.num_classes}"
            )
        self.model = model.eval().to(device, memory_format=torch.channels_last)
        self.vocab = vocab
        self.batch_size = batch_size
        self.device = device
        self.lexicon, self.lexicon_margin, self.lexicon_beam = lexicon, lexicon_margin, lexicon_beam

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each crop (RGB or grayscale uint8), in input order; words
        read in one crop are joined by spaces, with the lowest of their confidences."""
        results = []
        for words in self.read(crops):
            text = " ".join(w.text for w in words)
            results.append((text, confidence(words)))
        return results

    def read(self, crops: Sequence[np.ndarray]) -> list[list[Reading]]:
        """The words of each crop (RGB or grayscale uint8), in input order: a crop is split where
        the recognizer reads a space (see :mod:`docvision.recognition.split`). A :data:`VERTICAL`
        crop read turned is one reading over the whole crop."""
        tall = [i for i, c in enumerate(crops) if c.shape[0] >= VERTICAL * c.shape[1]]
        turned = [np.rot90(crops[i], k) for i in tall for k in (1, 3)]
        results = self._read_upright([*crops, *turned])
        for n, i in enumerate(tall):
            best = max(results[len(crops) + 2 * n : len(crops) + 2 * n + 2], key=confidence)
            if confidence(best) > confidence(results[i]) and len("".join(w.text for w in best)) > 1:
                results[i] = [Reading(" ".join(w.text for w in best), confidence(best))]
        return results[: len(crops)]

    def _read_upright(self, crops: Sequence[np.ndarray]) -> list[list[Reading]]:
        crops = [as_grey(c) for c in crops]  # once for the rows and the input
        rows = [text_rows(c) for c in crops]
        height = self.model.config.height
        inputs = [to_recognizer_input(c[y0:y1], height, WIDTH_BUCKET) for c, (y0, y1) in zip(crops, rows)]
        by_width: defaultdict[int, list[int]] = defaultdict(list)
        for i, x in enumerate(inputs):
            by_width[x.shape[1]].append(i)
        results: list[list[Reading]] = [[] for _ in inputs]
        for members in by_width.values():
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                batch = torch.from_numpy(np.stack([inputs[i] for i in chunk])[:, None])
                with torch.inference_mode():
                    logits = self.model(batch.to(self.device).contiguous(memory_format=torch.channels_last))
                for i, p in zip(chunk, _softmax(logits.float().cpu().numpy())):
                    results[i] = self._words(p, inputs[i], rows[i], crops[i].shape[0])
        return results

    def _decode(self, probs: np.ndarray) -> tuple[str, float]:
        if self.lexicon is not None:
            return lexicon_decode(probs, self.vocab, self.lexicon, self.lexicon_margin, self.lexicon_beam)
        return ctc_greedy_decode(probs, self.vocab)

    def _words(self, probs: np.ndarray, image: np.ndarray, rows: tuple[int, int], crop_height: int) -> list[Reading]:
        """The words read in ``image`` (the recognizer's input of rows ``rows`` of a crop ``crop_height``
        tall), their boxes as fractions of the crop."""
        spans = word_spans(probs, self.vocab)
        if len(spans) == 1:
            text, confidence = self._decode(probs[spans[0][0] : spans[0][1]])
            return [Reading(text, confidence)] if text else []
        height, width = image.shape
        columns = image.mean(axis=0)
        spans = unread_spaces(spans, ink_gaps(columns), probs.argmax(axis=1), STEP, UNREAD_GAP * height)
        words = []
        for s, e in spans:
            text, confidence = self._decode(probs[s:e])
            if not text:
                continue
            chars = s + np.flatnonzero(probs[s:e].argmax(axis=1) != 0)
            lo, hi = ink_extent(columns, s * STEP, min(e * STEP, width), chars[0] * STEP, min(chars[-1] * STEP + STEP, width) - 1)
            top, bottom = ink_extent(image[:, lo:hi].mean(axis=1), 0, height, height // 2, height // 2, ROW_INK)
            y0, y1 = (rows[0] + (rows[1] - rows[0]) * y / height for y in (top, bottom))
            words.append(Reading(text, confidence, (lo / width, y0 / crop_height, hi / width, y1 / crop_height)))
        return words
