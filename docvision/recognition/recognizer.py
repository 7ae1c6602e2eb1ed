"""The recognition stage: word crops -> (text, confidence)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from docvision.models.crnn import CRNN
from docvision.recognition.crops import pad_batch, to_recognizer_input
from docvision.recognition.decode import ctc_greedy_decode
from docvision.recognition.lexicon import Lexicon, lexicon_decode
from docvision.recognition.vocab import Vocab

STEP = 4
"""Input columns per CRNN output step."""


def output_steps(width: int) -> int:
    """CRNN output steps covering an input ``width`` pixels wide."""
    return -(-width // STEP)


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
        """Text and confidence of each crop (RGB or grayscale uint8), in input order."""
        inputs = [to_recognizer_input(c, self.model.config.height) for c in crops]
        order = sorted(range(len(inputs)), key=lambda i: inputs[i].shape[1])
        results: list[tuple[str, float]] = [("", 0.0)] * len(inputs)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch, widths = pad_batch([inputs[i] for i in chunk])
            batch = batch.to(self.device).contiguous(memory_format=torch.channels_last)
            steps = torch.tensor([output_steps(w) for w in widths])
            with torch.inference_mode():
                probs = self.model(batch, steps).float().softmax(-1).cpu().numpy()
            for i, p, n in zip(chunk, probs, steps.tolist()):
                results[i] = (
                    lexicon_decode(p[:n], self.vocab, self.lexicon, self.lexicon_margin)
                    if self.lexicon is not None
                    else ctc_greedy_decode(p[:n], self.vocab)
                )
        return results
