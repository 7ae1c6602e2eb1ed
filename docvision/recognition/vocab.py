"""Recognizer vocabulary: characters loaded from a file, index 0 is the CTC blank."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_VOCAB_FILE = Path(__file__).with_name("vocab.txt")


@dataclass(frozen=True)
class Vocab:
    """Characters of a recognizer. Class ``i + 1`` is ``chars[i]``; class 0 is the blank."""

    chars: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary has duplicate characters")
        if any(len(c) != 1 for c in self.chars):
            raise ValueError("vocabulary entries must be single characters")
        object.__setattr__(self, "_index", {c: i + 1 for i, c in enumerate(self.chars)})

    @classmethod
    def load(cls, path: str | Path = DEFAULT_VOCAB_FILE) -> "Vocab":
        """Read one character per line (a line holding a single space is the space)."""
        text = Path(path).read_text(encoding="utf-8")
        return cls(tuple(line for line in text.split("\n") if line != ""))

    @property
    def num_classes(self) -> int:
        """Number of CTC classes, blank included."""
        return len(self.chars) + 1

    def covers(self, text: str) -> bool:
        """Whether every character of ``text`` is in the vocabulary."""
        return all(c in self._index for c in text)

    def encode(self, text: str) -> list[int]:
        """Class indices of ``text``; raises ``KeyError`` naming an unknown character."""
        try:
            return [self._index[c] for c in text]
        except KeyError as err:
            raise KeyError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, indices: list[int]) -> str:
        """Text of class indices (blanks skipped, no CTC collapsing)."""
        return "".join(self.chars[i - 1] for i in indices if i > 0)
