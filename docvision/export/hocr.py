"""hOCR export: XHTML with ``ocr_page`` > ``ocr_carea`` > ``ocr_line`` > ``ocrx_word``.

A page read turned (``Page.orientation``, boxes of the page as input) carries ``textangle`` on the
page and its lines: the counter-clockwise angle of the text, as the hOCR specification defines it.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from docvision import __version__
from docvision.document import BBox, Document
from docvision.export.frames import text_angle


def _xml_chars(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (control characters, lone surrogates), as ``\\xNN`` escapes."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _bbox(box: BBox) -> str:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return f"bbox {x0} {y0} {x1} {y1}"


def to_hocr(document: Document) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        "<head>",
        f"<title>{escape(_xml_chars(document.source))}</title>",
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />',
        f'<meta name="ocr-system" content="docvision {__version__}" />',
        '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word" />',
    ]
    if document.partial:
        out.append('<meta name="docvision-partial" content="interrupted: only the pages finished before it" />')
    out += ["</head>", "<body>"]
    for page in document.pages:
        p = page.index + 1
        # hOCR quotes the file name; quoteattr below does the (single) XML escaping
        title = f'image "{_xml_chars(document.source)}"; {_bbox((0, 0, page.width, page.height))}; ppageno {page.index}'
        if page.dpi:
            title += f"; scan_res {int(round(page.dpi))} {int(round(page.dpi))}"
        angle = f"; textangle {text_angle(page)}" if text_angle(page) else ""
        title += angle
        out.append(f'<div class="ocr_page" id="page_{p}" title={quoteattr(title)}>')
        word_id = 0
        for b, block in enumerate(page.blocks, start=1):
            out.append(f'<div class="ocr_carea" id="block_{p}_{b}" title="{_bbox(block.bbox)}">')
            for n, line in enumerate(block.lines, start=1):
                out.append(f'<span class="ocr_line" id="line_{p}_{b}_{n}" title="{_bbox(line.bbox)}{angle}">')
                for word in line.words:
                    word_id += 1
                    conf = int(round(100 * word.confidence))
                    out.append(
                        f'<span class="ocrx_word" id="word_{p}_{word_id}"'
                        f' title="{_bbox(word.bbox)}; x_wconf {conf}">{escape(word.text)}</span>'
                    )
                out.append("</span>")
            out.append("</div>")
        out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
