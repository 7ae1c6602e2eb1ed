"""docvision: document OCR. PDFs and scanned pages to words with boxes, text and
confidence, in reading order.

    >>> import docvision
    >>> ocr = docvision.load()
    >>> doc = ocr("scan.pdf")
    >>> print(doc.export("text"))
    >>> for page in ocr.iter_pages("big.pdf"):
    ...     print(page.index, len(list(page.words())))
"""

__version__ = "0.1.0"

from docvision.document import Block, Document, Line, Page, Word  # noqa: E402
from docvision.errors import DocvisionError, InputError, WeightsError  # noqa: E402
from docvision.pipeline import OCRPipeline, load  # noqa: E402

__all__ = [
    "Block",
    "DocvisionError",
    "Document",
    "InputError",
    "Line",
    "OCRPipeline",
    "Page",
    "WeightsError",
    "Word",
    "__version__",
    "load",
]
