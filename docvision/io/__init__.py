"""Reading inputs (PDF, images, arrays) page by page, and writing outputs atomically."""

from docvision.io.outputs import remove_temporaries, write_atomic
from docvision.io.sources import PageImage, PageSource, open_document, open_pages, parse_page_ranges

__all__ = [
    "PageImage", "PageSource", "open_document", "open_pages", "parse_page_ranges", "remove_temporaries", "write_atomic",
]
