"""The weights shipped in ``docvision/weights/`` load, match their manifests and read text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import docvision
from docvision.config import PipelineConfig
from docvision.evaluation.metrics import page_text_errors
from docvision.models.int8 import Int8Detector, int8_file
from docvision.models.weights import PACKAGE_WEIGHTS, read_manifest, sha256_file

SHIPPED = ["detector", "recognizer"]
SAMPLES = Path(__file__).parents[2] / "data" / "samples"
SAMPLE_CER = 0.02
"""Page CER allowed on the bundled letter: see test_shipped_models_read_the_sample_pdf."""
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


def test_int8_models_belong_to_the_shipped_models():
    """A new model shipped without ``docvision quantize`` fails here (CPUs would fall back to fp32)."""
    ocr = docvision.load(device="cpu")
    assert Int8Detector(PACKAGE_WEIGHTS / int8_file("detector")).source_sha256 == read_manifest(PACKAGE_WEIGHTS, "detector").sha256
    assert ocr.recognizer.model.source_sha256 == read_manifest(PACKAGE_WEIGHTS, "recognizer").sha256
    for name in SHIPPED:
        assert read_manifest(PACKAGE_WEIGHTS, name).int8_sha256 == sha256_file(PACKAGE_WEIGHTS / int8_file(name))
        assert ocr.models[name].endswith("+int8")


@pytest.mark.parametrize("runtime", ["int8", "onnx"])
def test_shipped_recognizer_reads_printed_words(runtime):
    ocr = docvision.load(device="cpu", config=PipelineConfig(rec_runtime=runtime))
    assert ocr.trained
    results = ocr.recognizer.recognize([rendered(w) for w in WORDS])
    read = [text for text, _ in results]
    correct = sum(t == w for t, w in zip(read, WORDS))
    assert correct >= 8, list(zip(WORDS, read))  # clean print: at most 2 of 10 words wrong


@pytest.mark.parametrize("runtime", ["int8", "onnx"])
def test_shipped_recognizer_splits_a_box_holding_several_words(runtime):
    """One crop of three printed words reads as three words, left to right, boxes apart."""
    ocr = docvision.load(device="cpu", config=PipelineConfig(rec_runtime=runtime))
    (words,) = ocr.recognizer.read([rendered("J. S. Wigand")])
    assert [w.text for w in words] == ["J.", "S.", "Wigand"]
    edges = [(w.box[0], w.box[2]) for w in words]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(edges, edges[1:]))


@pytest.mark.parametrize("det_runtime, rec_runtime", [("int8", "int8"), ("torch", "torch"), ("openvino", "int8")])
def test_shipped_models_read_the_sample_pdf(det_runtime, rec_runtime):
    """The bundled two-column letter (scan-like, 200 dpi) read end to end in reading order,
    with the int8 models (the CPU default; the detector also in OpenVINO) and the fp32 ones.

    Measured page CER of the shipped models: 0.000, int8 and fp32 (before a crop's unread spaces were
    split at gaps as wide as its read ones, 0.0028: "of1" for "of 1"; recognizer v4: 0.0055, "1of1";
    before tall crops were read from their text rows 0.008, also "northwind.oxample"; before crops of
    overlapping neighbours were parted 0.014, also "consignment.", "mmupport@"; v3: 0.011; detector
    v0: 0.006, "northwind. «example"; v0 before it saw only the page's content box: 0.011). The bound
    leaves room for small numeric differences between torch builds and thread counts, and
    still fails for any real break: untrained models score 16.4 here (hundreds of garbage
    words), a wrong reading order (columns interleaved) 0.56."""
    if det_runtime == "openvino":
        pytest.importorskip("openvino")
    ocr = docvision.load(device="cpu", config=PipelineConfig(det_runtime=det_runtime, rec_runtime=rec_runtime))
    page = ocr(SAMPLES / "letter.pdf").pages[0]
    errors = page_text_errors(page.text, (SAMPLES / "letter.txt").read_text())
    assert errors.cer < SAMPLE_CER, page.text
