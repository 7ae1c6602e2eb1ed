"""TSV export with Tesseract's columns and levels (1 page, 2 block, 3 paragraph, 4 line,
5 word), so scripts written for ``tesseract IMAGE OUT tsv`` read it unchanged.

docvision has no paragraphs: each block is one paragraph (``par_num`` 1).
"""

from __future__ import annotations

from docvision.document import BBox, Document

COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
           "left", "top", "width", "height", "conf", "text")


def _box(box: BBox) -> list[int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return [x0, y0, x1 - x0, y1 - y0]


def _row(level: int, numbers: tuple[int, int, int, int, int], box: BBox, conf: str = "-1", text: str = "") -> str:
    return "\t".join(map(str, (level, *numbers, *_box(box), conf, text)))


def to_tsv(document: Document) -> str:
    rows = ["\t".join(COLUMNS)]
    for page in document.pages:
        p = page.index + 1
        rows.append(_row(1, (p, 0, 0, 0, 0), (0, 0, page.width, page.height)))
        for b, block in enumerate(page.blocks, start=1):
            rows.append(_row(2, (p, b, 0, 0, 0), block.bbox))
            rows.append(_row(3, (p, b, 1, 0, 0), block.bbox))
            for n, line in enumerate(block.lines, start=1):
                rows.append(_row(4, (p, b, 1, n, 0), line.bbox))
                for w, word in enumerate(line.words, start=1):
                    text = " ".join(word.text.split())  # a tab or newline would break the row
                    rows.append(_row(5, (p, b, 1, n, w), word.bbox, f"{100 * float(word.confidence):.6f}", text))
    return "\n".join(rows) + "\n"
