"""Exporters of a :class:`~docvision.document.Document`: JSON (versioned schema), text, hOCR,
ALTO 4.4, Tesseract's TSV, and the searchable PDF (:func:`docvision.export.pdf.to_pdf`, which
needs the input file too and is imported on use)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from docvision.document import Document
from docvision.export.alto import to_alto
from docvision.export.hocr import to_hocr
from docvision.export.json import SCHEMA_PATH, SCHEMA_VERSION, to_dict, to_json
from docvision.export.text import to_text
from docvision.export.tsv import to_tsv

EXPORTERS: dict[str, Callable[[Document], str]] = {
    "json": to_json, "text": to_text, "hocr": to_hocr, "alto": to_alto, "tsv": to_tsv,
}
FORMATS = (*EXPORTERS, "pdf")
SUFFIXES = {"json": ".json", "text": ".txt", "hocr": ".hocr", "alto": ".alto.xml", "tsv": ".tsv", "pdf": ".pdf"}
FORMAT_BY_SUFFIX = {
    ".json": "json", ".txt": "text", ".hocr": "hocr", ".html": "hocr", ".xml": "alto", ".tsv": "tsv", ".pdf": "pdf",
}


def format_for(path: str | Path) -> str:
    """The format that the name of ``path`` asks for: by its suffix, json without one."""
    suffix = Path(path).suffix.lower()
    if not suffix:
        return "json"
    try:
        return FORMAT_BY_SUFFIX[suffix]
    except KeyError:
        known = " ".join(FORMAT_BY_SUFFIX)
        raise ValueError(f"{path}: unknown output suffix {suffix!r} (use one of {known}, or --format)") from None


def export(document: Document, fmt: str) -> str:
    """``document`` serialized as ``fmt`` (one of :data:`EXPORTERS`)."""
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        hint = " (the PDF needs the input too: docvision.export.pdf.to_pdf)" if fmt == "pdf" else ""
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(EXPORTERS)}{hint}") from None
    return exporter(document)


__all__ = [
    "EXPORTERS", "FORMATS", "FORMAT_BY_SUFFIX", "SCHEMA_PATH", "SCHEMA_VERSION", "SUFFIXES",
    "export", "format_for", "to_alto", "to_dict", "to_hocr", "to_json", "to_text", "to_tsv",
]
