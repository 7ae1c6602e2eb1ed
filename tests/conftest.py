"""Shared fixtures of the core test suite: every input is generated here or in the test
(no binary fixtures in the repository), every model is tiny or a stand-in.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

from docvision.config import BackboneConfig, DetectorConfig, PipelineConfig, RecognizerConfig
from docvision.detection.detector import Detector
from docvision.export import SCHEMA_PATH
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.models.weights import PACKAGE_WEIGHTS, WEIGHTS_ENV, Manifest, save_weights
from docvision.pipeline import OCRPipeline
from docvision.recognition.recognizer import Recognizer
from docvision.recognition.vocab import Vocab

# Tiny inputs gain nothing from intra-op threads, and on a shared 2-core machine OpenMP
# spin-waiting made a 64x96 ResNet-18 forward pass 20x slower with 2 threads than with 1.
torch.set_num_threads(1)

SMALL_DETECTOR = DetectorConfig(backbone=BackboneConfig(depth=18, stages=(2, 3, 4), fpn_channels=32), head_channels=16)
SMALL_RECOGNIZER = RecognizerConfig(channels=(8, 8, 16, 16), lstm_hidden=16, lstm_layers=1)


@pytest.fixture(autouse=True)
def _no_weights_env(monkeypatch):
    """A developer's $DOCVISION_WEIGHTS must not change what the tests load."""
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)


# --------------------------------------------------------------------------- inputs


def page_image(width: int = 300, height: int = 200, boxes=((20, 20, 120, 40), (150, 20, 260, 40), (20, 80, 200, 100))):
    """A white RGB page with black word-like rectangles."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for box in boxes:
        draw.rectangle(box, fill="black")
    return image


def pdf_bytes(pages: int = 2, size: tuple[int, int] = (300, 200)) -> bytes:
    """A PDF of ``pages`` pages, each ``size`` points (rendered at 72 dpi: ``size`` pixels).
    Page i has i + 1 extra small rectangles, so pages differ."""
    images = []
    for i in range(pages):
        image = page_image(*size)
        draw = ImageDraw.Draw(image)
        for k in range(i + 1):
            draw.rectangle((20 + 30 * k, 140, 40 + 30 * k, 150), fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return out.getvalue()


@pytest.fixture(name="page_image")
def _page_image_fixture():
    """``page_image(width, height, boxes)`` -> PIL page with black rectangles."""
    return page_image


@pytest.fixture(name="pdf_bytes")
def _pdf_bytes_fixture():
    """``pdf_bytes(pages, size)`` -> bytes of a generated PDF."""
    return pdf_bytes


@pytest.fixture
def make_pdf(tmp_path) -> Callable[..., Path]:
    """``make_pdf(name="doc.pdf", pages=2, size=(300, 200))`` -> path of a generated PDF."""

    def make(name: str = "doc.pdf", pages: int = 2, size: tuple[int, int] = (300, 200)) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf_bytes(pages, size))
        return path

    return make


@pytest.fixture(scope="session")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def validate(schema) -> Callable[[dict], None]:
    """Raise ``jsonschema.ValidationError`` unless the instance follows the result schema."""
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)
    return validator.validate


# --------------------------------------------------------------------------- models


class InkModel(nn.Module):
    """Stand-in for DBNet: text probability 1 where the (normalized) input is dark, else 0.

    The map is derived from the input, so it follows whatever scaling and padding the
    detector applies, and detection finds the drawn rectangles.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.mean(dim=1, keepdim=True) < 0).float()


@pytest.fixture
def ink_model() -> InkModel:
    return InkModel()


@pytest.fixture(scope="session")
def vocab() -> Vocab:
    return Vocab.load()


@pytest.fixture
def small_crnn(vocab) -> CRNN:
    torch.manual_seed(0)
    return CRNN(vocab.num_classes, SMALL_RECOGNIZER).eval()


def make_ink_pipeline() -> OCRPipeline:
    """A pipeline whose detector finds dark rectangles and whose (random, seeded) recognizer
    gives some text: deterministic and fast, with real words flowing through every stage.
    (A plain function too, for worker processes.)"""
    torch.manual_seed(0)
    vocab = Vocab.load()
    crnn = CRNN(vocab.num_classes, SMALL_RECOGNIZER).eval()
    config = PipelineConfig(det_max_side=256)
    detector = Detector(InkModel(), max_side=config.det_max_side, postprocess=config.postprocess)
    recognizer = Recognizer(crnn, vocab, batch_size=4)
    return OCRPipeline(detector, recognizer, config, {"detector": "ink-test", "recognizer": "crnn-test"})


@pytest.fixture
def ink_pipeline() -> OCRPipeline:
    return make_ink_pipeline()


@pytest.fixture(scope="session")
def shipped() -> OCRPipeline:
    """The pipeline with the weights shipped in the package, default config (shared: do not change it)."""
    from docvision.pipeline import load

    return load(PACKAGE_WEIGHTS, device="cpu")


@pytest.fixture(scope="session")
def small_detector_config() -> DetectorConfig:
    """ResNet-18, 32-channel pyramid: the cheapest DBNet to build and run."""
    return SMALL_DETECTOR


@pytest.fixture(scope="session")
def small_weights(tmp_path_factory, vocab) -> Path:
    """A weights folder with a ResNet-18 DBNet and a slim CRNN (random, seeded)."""
    directory = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    save_weights(DBNet(SMALL_DETECTOR), directory, "detector", Manifest("dbnet", _config_dict(SMALL_DETECTOR), name="test-dbnet"))
    save_weights(
        CRNN(vocab.num_classes, SMALL_RECOGNIZER),
        directory,
        "recognizer",
        Manifest("crnn", _config_dict(SMALL_RECOGNIZER), name="test-crnn", vocabulary=list(vocab.chars)),
    )
    return directory


def _config_dict(config) -> dict:
    from docvision.config import to_dict

    return to_dict(config)


# --------------------------------------------------------------------------- shipped models

SCAN_LINES = ["Invoice 2026-0314 from Northwind Logistics", "Total due: EUR 1,284.50 within 30 days.",
              "Shipped from Rotterdam on 14 March 2026", "Questions: support@northwind.example"]


@pytest.fixture(scope="session")
def scanned_pdf(tmp_path_factory) -> Path:
    """A three-page scanned PDF at 150 dpi (DejaVu text on white, as img2pdf wraps scans): page 2
    is stored turned a quarter and shown upright by /Rotate 90, page 3 is shown turned a quarter
    (its text runs up the page, as a scan fed in sideways)."""
    import img2pdf
    import pikepdf
    from PIL import ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    image = Image.new("L", (1275, 600), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(SCAN_LINES):
        draw.text((90, 90 + 110 * i), line, font=font, fill=0)
    pages = []
    for turned in (image, image.rotate(90, expand=True), image.rotate(90, expand=True)):
        out = io.BytesIO()
        turned.save(out, "PNG", dpi=(150, 150))
        pages.append(out.getvalue())
    pdf = pikepdf.open(io.BytesIO(img2pdf.convert(pages)))
    pdf.pages[1].rotate(90, relative=False)
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    pdf.save(path)
    return path


@pytest.fixture(scope="session")
def scanned_document(shipped, scanned_pdf):
    """docvision's result for :func:`scanned_pdf` at its default 200 dpi."""
    return shipped(scanned_pdf)
