"""Lexicon-guided decoding: doubtful words only, and only to what the model nearly read."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from docvision.errors import MissingExtraError
from docvision.recognition import lexicon
from docvision.recognition.lexicon import Lexicon, lexicon_decode, word_core
from docvision.recognition.vocab import Vocab

VOCAB = Vocab(tuple("abcdefghijklmnopqrstuvwxyzC:1"))
LEXICON = Lexicon(frozenset({"commitments", "cat"}))


def reading(text: str, doubt: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Per-step probabilities spelling ``text`` (a blank after each letter); at letter index i
    of ``doubt``, a rival letter takes the given share of that step."""
    probs = np.full((2 * len(text), VOCAB.num_classes), 1e-4)
    for i, char in enumerate(text):
        probs[2 * i, VOCAB.encode(char)[0]] = 1.0
        probs[2 * i + 1, 0] = 1.0
        if doubt and i in doubt:
            rival, share = doubt[i]
            probs[2 * i, VOCAB.encode(char)[0]] = 1 - share
            probs[2 * i, VOCAB.encode(rival)[0]] = share
    return probs / probs.sum(1, keepdims=True)


def test_a_nearly_read_dictionary_word_replaces_a_doubtful_one():
    probs = reading("Commitnents:", {6: ("m", 0.4)})  # 'n' 0.6 vs 'm' 0.4 at "Commit_ents"
    text, confidence = lexicon_decode(probs, VOCAB, LEXICON)
    assert text == "Commitments:"  # case and punctuation come with the candidate
    assert 0 < confidence < 0.4  # scaled down: the model preferred the other reading


def test_readings_stay_when_known_unlikely_or_not_words(monkeypatch):
    probs = reading("Commitnents", {6: ("m", 0.4)})
    assert lexicon_decode(probs, VOCAB, LEXICON, margin=0.1)[0] == "Commitnents"  # 0.4 vs 0.6 is too far
    # "cat1" and "ca" are known and nearly read, but digits and two letters are not doubted
    assert lexicon_decode(reading("cut1", {1: ("a", 0.4)}), VOCAB, Lexicon(frozenset({"cat1"})))[0] == "cut1"
    assert lexicon_decode(reading("cu", {1: ("a", 0.4)}), VOCAB, Lexicon(frozenset({"ca"})))[0] == "cu"
    monkeypatch.setattr(lexicon, "ctc_beam_search", lambda *a, **k: pytest.fail("searched a known word"))
    assert lexicon_decode(reading("cat", {1: ("u", 0.4)}), VOCAB, LEXICON)[0] == "cat"


def test_lexicon_from_wordfreq():
    lexicon = Lexicon.from_wordfreq(["en"], size=20_000)
    assert lexicon.knows("Development,") and lexicon.knows("THE") and not lexicon.knows("developient")
    assert lexicon.doubts("DEVELOPIENT") and not lexicon.doubts("Development") and not lexicon.doubts("C273")
    assert word_core("(From:") == "from"
    with pytest.raises(ValueError, match="no word list for language 'xx'"):
        Lexicon.from_wordfreq(["xx"])


def test_shipped_word_list_is_wordfreqs(monkeypatch):
    """The English list ships (scripts/make_wordlists.py) and equals wordfreq's: OCR needs no wordfreq,
    other languages and sizes do (the train extra)."""
    import wordfreq

    shipped = (lexicon.WORDLISTS / "en.txt").read_text(encoding="utf-8").splitlines()
    assert shipped == [w.lower() for w in wordfreq.top_n_list("en", lexicon.SHIPPED_SIZE)]
    monkeypatch.setitem(sys.modules, "wordfreq", None)
    assert Lexicon.from_wordfreq(["en"], size=20_000).words == frozenset(shipped[:20_000])
    with pytest.raises(MissingExtraError, match=r"wordfreq is not installed .*docvision\[train\]"):
        Lexicon.from_wordfreq(["de"])
    with pytest.raises(MissingExtraError):
        Lexicon.from_wordfreq(["en"], size=lexicon.SHIPPED_SIZE + 1)
    monkeypatch.delitem(sys.modules, "wordfreq")
    assert Lexicon.from_wordfreq(["de"], size=1000).knows("und")


def test_a_wide_beam_finds_the_word_under_many_doubtful_letters():
    """Four letters each nearly a tie (0.55 / 0.45): the dictionary word takes the rival at all four, the
    last of 16 readings, which a beam of 10 has dropped and the default beam keeps."""
    probs = reading("kammitnentz", {0: ("c", 0.45), 1: ("o", 0.45), 6: ("m", 0.45), 10: ("s", 0.45)})
    assert lexicon_decode(probs, VOCAB, LEXICON, beam_width=10)[0] == "kammitnentz"
    assert lexicon_decode(probs, VOCAB, LEXICON)[0] == "commitments"


def test_a_confident_reading_is_searched_with_the_narrow_beam(monkeypatch):
    widths = []
    search = lexicon.ctc_beam_search
    monkeypatch.setattr(lexicon, "ctc_beam_search", lambda probs, width: widths.append(width) or search(probs, width))
    lexicon_decode(reading("Commitnents", {6: ("m", 0.2)}), VOCAB, LEXICON)  # confidence 0.8
    lexicon_decode(reading("Commitnents", {6: ("m", 0.4)}), VOCAB, LEXICON)  # 0.6
    assert widths == [lexicon.NARROW_BEAM, 80]
