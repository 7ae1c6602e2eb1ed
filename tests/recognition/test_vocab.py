"""Vocabulary: data in a file, class 0 is the CTC blank."""

from __future__ import annotations

import string

import pytest

from docvision.recognition.vocab import DEFAULT_VOCAB_FILE, Vocab


def test_default_vocabulary_contents():
    vocab = Vocab.load()
    chars = set(vocab.chars)
    assert set(string.printable) - set("\t\n\r\x0b\x0c") <= chars  # printable ASCII, space included
    assert set("€£§°•–—‘’“”…") <= chars
    assert set("àáâäçèéêëïîôöùûüÿñßÀÉÖÜÑæøåÆØÅ") <= chars  # Latin-1 letters
    assert set("ŁłčěőűœŠšŽžąęśźżćńřůğış") <= chars  # Latin Extended-A: Polish, Czech, Hungarian, Turkish...
    assert not chars & set("\t\n\r")
    assert vocab.num_classes == len(vocab.chars) + 1
    assert vocab.covers("Total: 12,50 € — “ok” …")
    assert not vocab.covers("日本")


def test_load_file_with_space_line(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("a\n \nb\n", encoding="utf-8")
    vocab = Vocab.load(path)
    assert vocab.chars == ("a", " ", "b")
    assert Vocab.load(str(path)) == vocab


def test_encode_decode_round_trip():
    vocab = Vocab(("a", "b", " ", "é"))
    assert vocab.encode("ab é") == [1, 2, 3, 4]
    assert vocab.decode([1, 2, 3, 4]) == "ab é"
    assert vocab.decode([0, 1, 0, 0, 2]) == "ab"  # blanks skipped
    assert vocab.decode([1, 1]) == "aa"  # no CTC collapsing here


def test_unknown_character_error_names_it():
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        Vocab(("a",)).encode("az")


@pytest.mark.parametrize("chars", [("a", "a"), ("ab",), ("",)])
def test_invalid_vocabularies(chars):
    with pytest.raises(ValueError):
        Vocab(chars)


def test_default_file_is_shipped_with_the_package():
    assert DEFAULT_VOCAB_FILE.is_file()
    assert DEFAULT_VOCAB_FILE.parent.name == "recognition"
