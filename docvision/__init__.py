"""docvision: document OCR. PDFs and scanned pages to words with boxes, text and
confidence, in reading order.

    >>> import docvision
    >>> ocr = docvision.load()
    >>> doc = ocr("scan.pdf")
    >>> print(doc.export("text"))
    >>> for page in ocr.iter_pages("big.pdf"):
    ...     print(page.index, len(list(page.words())))

The API:

- ``load(weights=None, *, device="auto", config=None, threads=None)``: an :class:`OCRPipeline`;
  calling it on a file, bytes, a PIL image or a numpy array gives a :class:`Document`.
- ``Document`` > ``Page`` > ``Block`` > ``Line`` > ``Word``: the result, in reading order;
  ``Document.export(fmt)`` and ``Document.from_json(text)``.
- ``DocvisionError`` and its ``InputError`` (names the input), ``WeightsError``, ``MissingExtraError``.

The pipeline (and torch) is imported on first use of ``load`` / ``OCRPipeline``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docvision.document import Block, Document, Line, Page, Word
from docvision.errors import DocvisionError, InputError, MissingExtraError, WeightsError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from docvision.pipeline import OCRPipeline, load

_LAZY = ("OCRPipeline", "load")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from docvision import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'docvision' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazy names too, so that ``help(docvision)`` and completion show them."""
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Block",
    "DocvisionError",
    "Document",
    "InputError",
    "Line",
    "MissingExtraError",
    "OCRPipeline",
    "Page",
    "WeightsError",
    "Word",
    "__version__",
    "load",
]
