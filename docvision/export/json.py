"""JSON export following ``schema/docvision-2.schema.json`` (version 1, without the pages'
orientation, is kept beside it for results written before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docvision.document import BBox, Block, Document, Line, Page, Region, TextLayerUse, Word

SCHEMA_VERSION = "docvision/2"
SCHEMA_PATH = Path(__file__).with_name("schema") / "docvision-2.schema.json"


def _box(box: BBox) -> list[float]:
    return [round(float(v), 1) for v in box]


def page_to_dict(page: Page) -> dict[str, Any]:
    return {
        "index": page.index,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "orientation": page.orientation,
        "orientation_confidence": None if page.orientation_confidence is None else round(page.orientation_confidence, 4),
        "upright": page.upright,
        "blocks": [
            {
                "bbox": _box(block.bbox),
                "lines": [
                    {
                        "bbox": _box(line.bbox),
                        "words": [
                            {
                                "text": word.text,
                                "bbox": _box(word.bbox),
                                "polygon": [[round(float(x), 1), round(float(y), 1)] for x, y in word.polygon],
                                "confidence": round(float(word.confidence), 4),
                                "source": word.source,
                                **({} if word.font_size is None else {"font_size": round(float(word.font_size), 2)}),
                            }
                            for word in line.words
                        ],
                    }
                    for line in block.lines
                ],
            }
            for block in page.blocks
        ],
        "text_layer": None if page.text_layer is None else {
            "path": page.text_layer.path,
            "reason": page.text_layer.reason,
            "regions": [{"bbox": _box(r.bbox), "reason": r.reason} for r in page.text_layer.regions],
        },
    }


def to_dict(document: Document) -> dict[str, Any]:
    data = {
        "schema": SCHEMA_VERSION,
        "source": document.source,
        "models": dict(document.models),
        "pages": [page_to_dict(page) for page in document.pages],
    }
    if document.partial:
        data["partial"] = True
    return data


def to_json(document: Document) -> str:
    return dumps(to_dict(document))


def dumps(data: dict[str, Any]) -> str:
    """JSON text of :func:`to_dict` or :func:`page_to_dict` output, as docvision writes it: indented
    down to the words, each word (and each list of numbers) on one line. Written by the C encoder
    per word: ``json.dumps(indent=...)`` falls back to the pure-Python one, which took half the time
    of a born-digital page (``docs/benchmarks.md``)."""
    return _dumps(data, 0) + "\n"


def _dumps(value: Any, depth: int) -> str:
    if not value or _flat(value):
        return json.dumps(value, ensure_ascii=False)
    pad = "\n" + " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{json.dumps(k, ensure_ascii=False)}: {_dumps(v, depth + 1)}" for k, v in value.items()]
        return "{" + pad + ("," + pad).join(items) + "\n" + " " * depth + "}"
    return "[" + pad + ("," + pad).join(_dumps(v, depth + 1) for v in value) + "\n" + " " * depth + "]"


def _flat(value: Any) -> bool:
    """Written on one line: a scalar, a word, a list of numbers or of number pairs (a box, a polygon)."""
    if isinstance(value, dict):
        return "polygon" in value
    if isinstance(value, list):
        return all(not isinstance(v, dict) and _flat(v) for v in value)
    return True


def from_dict(data: dict[str, Any]) -> Document:
    """The :class:`Document` of :func:`to_dict`'s output (line and block boxes follow from the words)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"not a {SCHEMA_VERSION} JSON export (schema: {found!r})")
    try:
        pages = [_page(page) for page in data["pages"]]
        return Document(data["source"], dict(data["models"]), pages, partial=bool(data.get("partial", False)))
    except (KeyError, TypeError) as err:
        raise ValueError(f"malformed {SCHEMA_VERSION} JSON export ({type(err).__name__}: {err})") from None


def _word(w: dict[str, Any]) -> Word:
    polygon = [tuple(p) for p in w["polygon"]]
    return Word(w["text"], tuple(w["bbox"]), polygon, w["confidence"], w["source"], w.get("font_size"))


def _page(page: dict[str, Any]) -> Page:
    layer = page.get("text_layer")
    return Page(
        page["index"], page["width"], page["height"], page["dpi"],
        [Block([Line([_word(w) for w in line["words"]]) for line in block["lines"]]) for block in page["blocks"]],
        text_layer=None if layer is None else TextLayerUse(
            layer["path"], layer["reason"], [Region(tuple(r["bbox"]), r["reason"]) for r in layer["regions"]]
        ),
        orientation=page["orientation"], orientation_confidence=page["orientation_confidence"], upright=page["upright"],
    )


def from_json(text: str | bytes) -> Document:
    """The :class:`Document` of :func:`to_json`'s output."""
    return from_dict(json.loads(text))
