"""The weights shipped in ``docvision/weights/`` load, match their manifests and read text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import docvision
from docvision.models.weights import PACKAGE_WEIGHTS, read_manifest, sha256_file

SHIPPED = [n for n in ("detector", "recognizer") if (PACKAGE_WEIGHTS / f"{n}.safetensors").is_file()]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
WORDS = ["Invoice", "Total:", "2026-03-14", "€1,284.50", "Rotterdam", "support@northwind.example",
         "QUANTITY", "Müller", "(optional)", "No."]


def rendered(text: str, size: int = 28) -> np.ndarray:
    """A word printed on white with a few pixels of margin, as a detector would box it."""
    font = ImageFont.truetype(FONT, size)
    x0, y0, x1, y1 = font.getbbox(text)
    image = Image.new("RGB", (x1 - x0 + 8, y1 - y0 + 8), "white")
    ImageDraw.Draw(image).text((4 - x0, 4 - y0), text, font=font, fill="black")
    return np.asarray(image)


@pytest.mark.parametrize("name", SHIPPED)
def test_manifest_matches_the_file(name):
    manifest = read_manifest(PACKAGE_WEIGHTS, name)
    assert manifest.sha256 == sha256_file(PACKAGE_WEIGHTS / f"{name}.safetensors")
    assert manifest.training_data and "funsd" not in manifest.training_data.lower()  # research-only licence


@pytest.mark.skipif("recognizer" not in SHIPPED, reason="no recognizer weights shipped")
def test_shipped_recognizer_reads_printed_words():
    ocr = docvision.load(device="cpu")
    assert ocr.models["recognizer"] != "untrained"
    results = ocr.recognizer.recognize([rendered(w) for w in WORDS])
    read = [text for text, _ in results]
    correct = sum(t == w for t, w in zip(read, WORDS))
    assert correct >= 8, list(zip(WORDS, read))  # clean print: at most 2 of 10 words wrong
