"""Exporters of a :class:`~docvision.document.Document`: JSON (versioned schema), text, hOCR."""

from __future__ import annotations

from collections.abc import Callable

from docvision.document import Document
from docvision.export.hocr import to_hocr
from docvision.export.json import SCHEMA_PATH, SCHEMA_VERSION, to_dict, to_json
from docvision.export.text import to_text

EXPORTERS: dict[str, Callable[[Document], str]] = {"json": to_json, "text": to_text, "hocr": to_hocr}
SUFFIXES = {"json": ".json", "text": ".txt", "hocr": ".hocr"}


def export(document: Document, fmt: str) -> str:
    """``document`` serialized as ``fmt`` (one of :data:`EXPORTERS`)."""
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(EXPORTERS)}") from None
    return exporter(document)


__all__ = ["EXPORTERS", "SCHEMA_PATH", "SCHEMA_VERSION", "SUFFIXES", "export", "to_dict", "to_hocr", "to_json", "to_text"]
