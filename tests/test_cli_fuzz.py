"""Fuzzing ``docvision ocr`` with seeded mutants of small PDFs and images, in one real process per
renderer: every input ends as a page or as one error line naming it; never a traceback, an
internal error, a hang, a crash or a 1 x 1 page. ``DOCVISION_FUZZ_SEED=N`` explores other mutants."""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, NumberObject, RectangleObject

import docvision
from tests.conftest import page_image, pdf_bytes

SEED = int(os.environ.get("DOCVISION_FUZZ_SEED", "23"))
MUTANTS_PER_BASE = 10
ODD_NUMBERS = [b"0", b"-1", b"1", b"-0.0", b"14400000", b"1e308", b"99999999999", b"4294967296", b"2147483647",
               b"0.0001", b"nan", b"3.4e38", b"-99999"]
"""Numbers put in place of a PDF's own (boxes, counts, lengths, offsets, /Rotate)."""


def vector_pdf() -> bytes:
    """Two pages drawn with PDF operators: a rotated one with a CropBox inside its MediaBox, and a plain one."""
    writer = PdfWriter()
    for rotate in (90, 0):
        page = writer.add_blank_page(width=300, height=200)
        content = DecodedStreamObject()
        content.set_data(b"0 0 0 rg 20 150 100 12 re f 150 150 110 12 re f 20 100 180 12 re f "
                         b"0.8 0 0 RG 4 w 10 10 m 290 190 l S")
        page[NameObject("/Contents")] = writer._add_object(content)
        page.cropbox = RectangleObject([10, 10, 290, 190])
        page[NameObject("/Rotate")] = NumberObject(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, **options) -> bytes:
    out = io.BytesIO()
    page_image(150, 100).save(out, fmt, **options)
    return out.getvalue()


def tiff_pages() -> bytes:
    frames = [page_image(120, 80).convert(mode) for mode in ("L", "RGB", "1")]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    return out.getvalue()


def bases() -> dict[str, bytes]:
    return {
        "pdf": pdf_bytes(2, (300, 200)),
        "vector.pdf": vector_pdf(),
        "png": image_bytes("PNG", dpi=(150, 150)),
        "jpg": image_bytes("JPEG", quality=80, exif=Image.Exif().tobytes()),
        "tiff": tiff_pages(),
        "gif": image_bytes("GIF"),
    }


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flipped bytes, a cut, inserted junk, a repeated slice, a zeroed run, or (PDF) an odd number."""
    data = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 1:
        del data[rng.randrange(1, len(data)):]
    elif kind == 2:
        at = rng.randrange(len(data))
        data[at:at] = rng.randbytes(rng.randint(1, 64))
    elif kind == 3:
        a = rng.randrange(len(data))
        b = min(len(data), a + rng.randint(1, 256))
        data[b:b] = data[a:b] * rng.randint(1, 4)
    elif kind == 4:
        a = rng.randrange(len(data))
        b = min(len(data), a + rng.randint(1, 512))
        data[a:b] = bytes(b - a)
    else:
        numbers = list(re.finditer(rb"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", data))
        for m in sorted(rng.sample(numbers, min(len(numbers), rng.randint(1, 3))), key=lambda m: -m.start()):
            data[m.start():m.end()] = rng.choice(ODD_NUMBERS)
        if not numbers:
            data[rng.randrange(len(data))] ^= 0xFF
    return bytes(data)


def corpus(folder: Path, seed: int) -> list[Path]:
    """The bases and their mutants, written to ``folder``: ``case-NNN.<ext>``."""
    rng = random.Random(seed)
    folder.mkdir()
    paths = []
    for name, data in bases().items():
        suffix = "." + name.rsplit(".", 1)[-1]
        for variant in [data] + [mutate(data, rng) for _ in range(MUTANTS_PER_BASE)]:
            path = folder / f"case-{len(paths):03d}{suffix}"
            path.write_bytes(variant)
            paths.append(path)
    return paths


def run_batch(paths: list[Path], out: Path, weights: Path, *options: str) -> subprocess.CompletedProcess:
    root = Path(docvision.__file__).resolve().parent.parent
    command = [sys.executable, "-m", "docvision", "ocr", *map(str, paths), "-o", str(out), "--weights", str(weights),
               "--dpi", "36", "--det-max-side", "128", "--threads", "1", *options]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=150)


@pytest.mark.parametrize("renderer", ["pdfium", "poppler"])
def test_fuzzed_inputs_end_as_a_page_or_one_error_line(tmp_path, small_weights, validate, renderer):
    paths = corpus(tmp_path / "in", SEED)
    if renderer == "poppler":  # the images are read the same way whatever the renderer
        paths = [p for p in paths if p.suffix == ".pdf"]
    result = run_batch(paths, tmp_path / "out", small_weights, "--renderer", renderer)
    lines = result.stderr.splitlines()
    context = f"seed {SEED}, exit {result.returncode}:\n{result.stderr[-3000:]}"
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, context
    assert all(line.startswith("docvision: ") for line in lines), context
    failed = 0
    for path in paths:
        mine = [line for line in lines if line.startswith(f"docvision: {path}: ")]
        errors = [line for line in mine if line.startswith(f"docvision: {path}: error: ")]
        assert not [line for line in mine if "internal error" in line], context
        output = tmp_path / "out" / f"{path.stem}.json"
        if errors:
            failed += 1
            assert len(errors) == 1 and not output.exists(), (path, mine)
            continue
        data = json.loads(output.read_text(encoding="utf-8"))
        validate(data)
        assert data["pages"], path
        sizes = [(p["width"], p["height"]) for p in data["pages"]]
        assert all(w * h > 1 for w, h in sizes), (path, sizes)
    assert len(lines) >= failed and result.returncode == (1 if failed else 0)
    assert 0 < failed < len(paths)  # the mutants do break some inputs, and the bases stay readable
    for base in paths[:: MUTANTS_PER_BASE + 1]:
        assert (tmp_path / "out" / f"{base.stem}.json").is_file(), base
