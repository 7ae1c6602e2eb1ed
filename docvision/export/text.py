"""Plain text export: reading order, blank line between blocks, form feed between pages."""

from docvision.document import Document


def to_text(document: Document) -> str:
    return document.text + "\n"
