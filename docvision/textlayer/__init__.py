"""Born-digital PDFs: words from the PDF's own text layer, OCR only where the page is an image.

:mod:`~docvision.textlayer.extract` reads a page's words and what paints over and under them
(PDFium); :mod:`~docvision.textlayer.judge` decides which words to trust and which parts of the
page need OCR (pure functions); :mod:`~docvision.textlayer.read` reads one page that way.
"""
