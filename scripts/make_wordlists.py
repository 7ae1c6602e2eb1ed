"""Write the lexicon's shipped word lists, ``docvision/recognition/wordlists/<lang>.txt``: wordfreq's
100,000 most frequent words of each language, one a line in frequency order, so that ``docvision ocr``
reads them without wordfreq (58 MB with its data; it stays in the ``train`` extra for synthetic text).

    python scripts/make_wordlists.py [LANG ...]     # default: en; needs pip install 'docvision[train]'

Rerun after a wordfreq upgrade: tests/recognition/test_lexicon.py compares the files with wordfreq.
"""

from __future__ import annotations

import sys
from importlib.metadata import version

import wordfreq

from docvision.recognition.lexicon import SHIPPED_SIZE, WORDLISTS


def main(languages: list[str]) -> None:
    for lang in languages or ["en"]:
        words = [w.lower() for w in wordfreq.top_n_list(lang, SHIPPED_SIZE)]
        path = WORDLISTS / f"{lang}.txt"
        path.write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
        print(f"{path}: {len(words)} words, {path.stat().st_size:,} bytes (wordfreq {version('wordfreq')})")


if __name__ == "__main__":
    main(sys.argv[1:])
