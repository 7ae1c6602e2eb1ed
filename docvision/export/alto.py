"""ALTO 4.4 XML export: Page > PrintSpace > TextBlock > TextLine > String / SP, in pixels.

A page read turned (``Page.orientation``, boxes of the page as input) has ``ROTATION`` (degrees
counter-clockwise) on the Page (ALTO 4.4) and its TextBlocks (earlier ALTO); an SP spans the
gap between two words along their text, its ``WIDTH`` measured that way. Deterministic (no
processing date), so the same Document always gives the same file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

from docvision import __version__
from docvision.document import BBox, Document, Line, Point, Word
from docvision.export.frames import text_angle, to_upright
from docvision.geometry import invert, moved_box

NAMESPACE = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = f"{NAMESPACE} http://www.loc.gov/alto/v4/alto-4-4.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold (C0 controls, lone surrogates, U+FFFE/F) replaced by U+FFFD."""
    return INVALID_XML.sub("\ufffd", text)


def _num(value: float) -> str:
    """Pixels to one decimal, without a trailing ``.0``."""
    return f"{round(float(value), 1) + 0.0:.1f}".removesuffix(".0")  # + 0.0: no "-0"


def _position(box: BBox) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"HPOS": _num(x0), "VPOS": _num(y0), "WIDTH": _num(x1 - x0), "HEIGHT": _num(y1 - y0)}


def _is_upright(word: Word) -> bool:
    """True when the word polygon is its bbox (then a Shape adds nothing)."""
    x0, y0, x1, y1 = word.bbox
    return all(min(abs(x - x0), abs(x - x1)) < 0.5 and min(abs(y - y0), abs(y - y1)) < 0.5 for x, y in word.polygon)


def _points(polygon: list[Point]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in polygon)


def _spaces(line: Line, upright: np.ndarray) -> list[dict[str, str]]:
    """The SP attributes of the gaps between ``line``'s words, measured on the page turned
    ``upright`` (a frame change) and placed back on the page."""
    boxes = [moved_box(word.bbox, upright) for word in line.words]
    _, top, _, bottom = moved_box(line.bbox, upright)
    back = invert(upright)
    spaces = []
    for before, box in zip(boxes, boxes[1:]):
        left, right = before[2], max(before[2], box[0])
        x0, y0, _, _ = moved_box((left, top, right, bottom), back)
        spaces.append({"HPOS": _num(x0), "VPOS": _num(y0), "WIDTH": _num(right - left)})
    return spaces


def to_alto(document: Document) -> str:
    if not document.pages:
        raise ValueError("ALTO needs at least one page; the document has none")
    ET.register_namespace("", NAMESPACE)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_tag("alto"), {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION, "SCHEMAVERSION": "4.4"})
    description = ET.SubElement(root, _tag("Description"))
    ET.SubElement(description, _tag("MeasurementUnit")).text = "pixel"
    ET.SubElement(ET.SubElement(description, _tag("sourceImageInformation")), _tag("fileName")).text = _xml_text(document.source)
    processing = ET.SubElement(description, _tag("Processing"), ID="docvision_ocr")
    ET.SubElement(processing, _tag("processingCategory")).text = "contentGeneration"
    settings = "; ".join(f"{name}={model}" for name, model in sorted(document.models.items()))
    ET.SubElement(processing, _tag("processingStepSettings")).text = f"models: {settings}"
    software = ET.SubElement(processing, _tag("processingSoftware"))
    ET.SubElement(software, _tag("softwareName")).text = "docvision"
    ET.SubElement(software, _tag("softwareVersion")).text = __version__

    layout = ET.SubElement(root, _tag("Layout"))
    for page in document.pages:
        p = page.index + 1
        rotation = {"ROTATION": str(text_angle(page))} if text_angle(page) else {}
        page_el = ET.SubElement(
            layout, _tag("Page"), ID=f"page_{p}", PHYSICAL_IMG_NR=str(p), PROCESSING="docvision_ocr",
            WIDTH=str(page.width), HEIGHT=str(page.height), **rotation,
        )
        space = ET.SubElement(page_el, _tag("PrintSpace"), _position((0, 0, page.width, page.height)))
        upright = to_upright(page)
        word_id = 0
        for b, block in enumerate(page.blocks, start=1):
            block_el = ET.SubElement(space, _tag("TextBlock"), ID=f"block_{p}_{b}", **_position(block.bbox), **rotation)
            for n, line in enumerate(block.lines, start=1):
                line_el = ET.SubElement(block_el, _tag("TextLine"), ID=f"line_{p}_{b}_{n}", **_position(line.bbox))
                for word, gap in zip(line.words, [None, *_spaces(line, upright)]):
                    if gap:  # the gap between the previous word and this one
                        ET.SubElement(line_el, _tag("SP"), gap)
                    word_id += 1
                    string = ET.SubElement(
                        line_el, _tag("String"), ID=f"string_{p}_{word_id}", CONTENT=_xml_text(word.text),
                        WC=f"{min(max(float(word.confidence), 0.0), 1.0):.4f}", **_position(word.bbox),
                    )
                    if not _is_upright(word):
                        shape = ET.SubElement(string, _tag("Shape"))
                        ET.SubElement(shape, _tag("Polygon"), POINTS=_points(word.polygon))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
