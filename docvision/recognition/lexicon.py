"""Lexicon-guided decoding: a doubtful reading is replaced by a dictionary word that the
recognizer itself finds nearly as likely ("Commitnents" -> "Commitments").

Only words of letters that the lexicon does not know are reconsidered, and only among the
candidates of a CTC prefix beam search over the recognizer's own output, so names, codes and
numbers keep their reading unless the model nearly preferred a dictionary word anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docvision.extras import require
from docvision.recognition.decode import ctc_beam_search, ctc_greedy_decode
from docvision.recognition.vocab import Vocab

_CORE = re.compile(r"^\W*(.*?)\W*$")
MIN_LETTERS = 3
"""Shorter words carry too little context to correct."""
WORDLISTS = Path(__file__).with_name("wordlists")
"""``<lang>.txt``: copies of wordfreq's lists (``scripts/make_wordlists.py``), so that OCR needs no wordfreq."""
SHIPPED_SIZE = 100_000
SURE = 0.7
"""Confidence from which a doubtful word is searched with :data:`NARROW_BEAM` readings only: a wider beam
found no more dictionary words among such readings (FUNSD's crops at full and half size, generated pages)."""
NARROW_BEAM = 10


def word_core(text: str) -> str:
    """``text`` without leading and trailing punctuation, lower-cased."""
    return _CORE.match(text).group(1).lower()  # always matches: every part may be empty


@dataclass(frozen=True)
class Lexicon:
    """A set of known words (lower case, no surrounding punctuation)."""

    words: frozenset[str]

    @classmethod
    def from_wordfreq(cls, languages: Sequence[str], size: int = SHIPPED_SIZE) -> "Lexicon":
        """The ``size`` most frequent words of each wordfreq language (``"en"``, ``"de"``, ...): from
        the copy in :data:`WORDLISTS` (English), else from wordfreq itself (the ``train`` extra)."""
        words: set[str] = set()
        for lang in languages:
            words.update(w.lower() for w in _top_words(lang, size))
        return cls(frozenset(words))

    def knows(self, text: str) -> bool:
        return word_core(text) in self.words

    def doubts(self, text: str) -> bool:
        """Whether ``text`` is a word of letters the lexicon does not know."""
        core = word_core(text)
        return len(core) >= MIN_LETTERS and core.isalpha() and core not in self.words


def _top_words(lang: str, size: int) -> list[str]:
    shipped = WORDLISTS / f"{lang}.txt"
    if lang.isalpha() and shipped.is_file() and size <= SHIPPED_SIZE:
        return shipped.read_text(encoding="utf-8").splitlines()[:size]
    wordfreq = require("wordfreq", "train")
    try:
        return wordfreq.top_n_list(lang, size)
    except LookupError as error:
        raise ValueError(f"lexicon: wordfreq has no word list for language {lang!r}") from error


def lexicon_decode(
    probs: np.ndarray, vocab: Vocab, lexicon: Lexicon, margin: float = 4.0, beam_width: int = 80
) -> tuple[str, float]:
    """Greedy CTC reading of ``probs`` ``(T, C)``, or, when the lexicon doubts it, the most
    likely beam-search candidate the lexicon knows whose log-probability is within ``margin``
    of the best candidate's. A replaced word's confidence is scaled by its probability
    relative to the best candidate. The search keeps ``beam_width`` readings for a word read
    with confidence under :data:`SURE` (small or blurred print, the word several doubtful
    letters away), :data:`NARROW_BEAM` for the others."""
    text, confidence = ctc_greedy_decode(probs, vocab)
    if not lexicon.doubts(text):
        return text, confidence
    candidates = ctc_beam_search(probs, beam_width if confidence < SURE else min(beam_width, NARROW_BEAM))
    if not candidates:
        return text, confidence
    best = candidates[0][1]
    for labels, logp in candidates:
        if logp < best - margin:
            break
        candidate = vocab.decode(list(labels))
        if lexicon.knows(candidate):
            return candidate, confidence * math.exp(logp - best)
    return text, confidence
