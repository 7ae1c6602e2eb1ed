"""JSON export following ``schema/docvision-2.schema.json`` (version 1, without the pages'
orientation, is kept beside it for results written before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docvision.document import BBox, Document, Page

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
                            }
                            for word in line.words
                        ],
                    }
                    for line in block.lines
                ],
            }
            for block in page.blocks
        ],
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
    return json.dumps(to_dict(document), ensure_ascii=False, indent=1) + "\n"
