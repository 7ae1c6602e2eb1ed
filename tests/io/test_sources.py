"""Inputs as a stream of pages: PDF, images, bytes, PIL, numpy; every bad input is an
InputError with a one-line reason."""

from __future__ import annotations

import io
import logging
import struct
import tempfile
import zlib

import numpy as np
import pdf2image
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from docvision.errors import InputError
from docvision.io import PageImage, open_document, open_pages, parse_page_ranges
from docvision.io.sources import MIN_DPI


def pages_of(source, **options) -> list[PageImage]:
    document = open_document(source, **options)
    try:
        return list(document)
    finally:
        document.close()


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert message and "\n" not in message
    return message


@pytest.fixture
def spy_render(monkeypatch):
    """Record every ``convert_from_path`` call (still rendering for real)."""
    calls = []
    real = pdf2image.convert_from_path

    def spy(path, **kwargs):
        calls.append(kwargs)
        return real(path, **kwargs)

    monkeypatch.setattr(pdf2image, "convert_from_path", spy)
    return calls


# --------------------------------------------------------------------------- page ranges


@pytest.mark.parametrize(
    "spec, pages",
    [("1", [1]), ("1-3,7", [1, 2, 3, 7]), (" 7 , 2-3, 3 ", [2, 3, 7]), ("4-4", [4]), ("2,1", [1, 2])],
)
def test_parse_page_ranges(spec, pages):
    assert parse_page_ranges(spec) == pages


@pytest.mark.parametrize("spec", ["", "0", "3-1", "a", "1-", "-2", "1,,2", "1.5", "1-2-3"])
def test_parse_page_ranges_rejects(spec):
    with pytest.raises(ValueError, match="invalid page range"):
        parse_page_ranges(spec)


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_are_rendered_one_at_a_time(make_pdf, spy_render):
    document = open_document(make_pdf(pages=3), dpi=72)
    assert len(document) == 3 and spy_render == []
    pages = iter(document)
    first = next(pages)
    assert len(spy_render) == 1 and (spy_render[0]["first_page"], spy_render[0]["last_page"]) == (1, 1)
    assert spy_render[0]["fmt"] == "ppm"  # never PNG: 10-50x slower through pdftoppm
    assert (first.index, first.image.shape, first.image.dtype, first.dpi) == (0, (200, 300, 3), np.uint8, 72)
    second = next(pages)
    assert len(spy_render) == 2 and spy_render[1]["first_page"] == 2 and second.index == 1
    assert not np.array_equal(first.image, second.image)
    assert [p.index for p in pages] == [2]
    assert first.image[30, 50].tolist() == [0, 0, 0] and first.image[5, 5].tolist() == [255, 255, 255]


def test_pdf_page_selection(make_pdf, spy_render):
    path = make_pdf(pages=3)
    assert [p.index for p in pages_of(path, dpi=36, pages="1,3")] == [0, 2]
    assert [c["first_page"] for c in spy_render] == [1, 3]
    assert [p.index for p in pages_of(path, dpi=36, pages=[2])] == [1]
    assert len(open_document(path, pages="2-3")) == 2


def test_pdf_dpi(make_pdf):
    (page,) = pages_of(make_pdf(pages=1), dpi=144)
    assert page.image.shape == (400, 600, 3) and page.dpi == 144


def test_pdf_pages_out_of_range(make_pdf):
    with pytest.raises(InputError, match=r"page 3 out of range \(document has 2 pages\)") as err:
        open_document(make_pdf(), pages="2-3")
    assert_one_line(err)
    with pytest.raises(InputError, match="invalid page range"):
        open_document(make_pdf(), pages="x")


def test_pdf_bytes_use_a_temporary_file_removed_on_close(pdf_bytes, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    document = open_document(pdf_bytes(2), dpi=36)
    assert len(list(tmp_path.iterdir())) == 1
    assert [p.image.shape for p in document] == [(100, 150, 3)] * 2
    document.close()
    assert list(tmp_path.iterdir()) == []
    # open_pages closes even when the caller stops early
    pages = open_pages(pdf_bytes(2), dpi=36)
    next(pages)
    pages.close()
    assert list(tmp_path.iterdir()) == []
    # and nothing is left when the bytes are not a readable PDF
    with pytest.raises(InputError):
        open_document(b"%PDF-1.4\n" + b"x" * 100)
    assert list(tmp_path.iterdir()) == []


def encrypt(source, target, password="secret"):
    writer = PdfWriter()
    writer.append(PdfReader(str(source)))
    writer.encrypt(user_password=password, owner_password="owner-pw", algorithm="RC4-128")
    writer.write(str(target))
    return target


def test_encrypted_pdf(make_pdf, tmp_path):
    path = encrypt(make_pdf(), tmp_path / "locked.pdf")
    with pytest.raises(InputError, match=r"encrypted PDF: a password is needed \(--password\)") as err:
        open_document(path)
    assert_one_line(err)
    with pytest.raises(InputError, match="wrong password"):
        open_document(path, password="nope")
    assert [p.index for p in pages_of(path, dpi=36, password="secret")] == [0, 1]


def test_zero_page_pdf(tmp_path):
    path = tmp_path / "empty-doc.pdf"
    PdfWriter().write(str(path))
    with pytest.raises(InputError, match="no pages") as err:
        open_document(path)
    assert_one_line(err)


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_pdf(pdf_bytes, tmp_path, cut):
    data = pdf_bytes(2)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(InputError, match="corrupt or truncated PDF") as err:
        pages_of(path)
    assert_one_line(err)


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(InputError, match="corrupt or truncated PDF") as err:
        open_document(path)
    assert_one_line(err)


def blank_pdf(path, width_in, height_in):
    writer = PdfWriter()
    writer.add_blank_page(width=width_in * 72, height=height_in * 72)
    writer.write(str(path))
    return path


def test_huge_pdf_page_is_rendered_at_a_lower_dpi(tmp_path, caplog):
    path = blank_pdf(tmp_path / "poster.pdf", 20, 20)  # 2000 x 2000 px at 100 dpi
    with caplog.at_level(logging.WARNING):
        (page,) = pages_of(path, dpi=100, max_pixels=2_000_000)
    assert page.dpi == 70 and page.image.shape == (1400, 1400, 3)
    assert "rendering at 70 dpi" in caplog.text and "20 x 20 in" in caplog.text


def test_absurd_pdf_page_with_the_default_cap(tmp_path, caplog, monkeypatch):
    """200 x 200 in at 200 dpi would be 1.6 gigapixels: rendered at 38 dpi instead (the
    render itself is faked: 58 megapixels of white are not worth the test time)."""
    rendered = []
    monkeypatch.setattr(
        pdf2image, "convert_from_path", lambda path, **kw: rendered.append(kw["dpi"]) or [Image.new("RGB", (8, 8), "white")]
    )
    path = blank_pdf(tmp_path / "absurd.pdf", 200, 200)
    with caplog.at_level(logging.WARNING):
        (page,) = pages_of(path)
    assert rendered == [38] and page.dpi == 38
    assert 200 * 38 * 200 * 38 <= 60_000_000
    assert "200 x 200 in" in caplog.text


def test_pdf_page_too_large_even_at_min_dpi(tmp_path):
    path = blank_pdf(tmp_path / "absurd.pdf", 200, 200)
    document = open_document(path, dpi=100, max_pixels=1_000_000)  # opening is fine ...
    with pytest.raises(InputError, match=rf"page 1: page size 200 x 200 in is absurd .* {MIN_DPI} dpi") as err:
        list(document)  # ... the page is refused before it is rendered
    assert_one_line(err)


def test_poppler_missing(make_pdf, monkeypatch):
    def missing(*args, **kwargs):
        raise pdf2image.exceptions.PDFInfoNotInstalledError("nope")

    monkeypatch.setattr(pdf2image, "pdfinfo_from_path", missing)
    with pytest.raises(InputError, match="poppler-utils"):
        open_document(make_pdf())


def test_render_timeout(make_pdf, monkeypatch):
    def slow(*args, **kwargs):
        raise pdf2image.exceptions.PDFPopplerTimeoutError("slow")

    monkeypatch.setattr(pdf2image, "convert_from_path", slow)
    with pytest.raises(InputError, match="page 1: rendering timed out after 5 s"):
        pages_of(make_pdf(), timeout=5)


# --------------------------------------------------------------------------- images


def test_png_and_jpeg_files(page_image, tmp_path):
    image = page_image(120, 80, [(10, 10, 60, 30)])
    image.save(tmp_path / "p.png", dpi=(300, 300))
    image.save(tmp_path / "p.jpg", quality=95, dpi=(150, 150))
    (png,) = pages_of(tmp_path / "p.png")
    (jpg,) = pages_of(str(tmp_path / "p.jpg"))
    assert np.array_equal(png.image, np.asarray(image))
    assert png.dpi == pytest.approx(300, abs=0.1) and jpg.dpi == 150
    assert jpg.image.shape == (80, 120, 3) and abs(int(jpg.image[20, 30, 0]) - 0) < 30


def test_image_modes_become_rgb(tmp_path):
    for mode, color in (("L", 0), ("1", 0), ("P", 0), ("RGBA", (0, 0, 0, 255)), ("LA", (0, 255)), ("I;16", 0), ("CMYK", (0, 0, 0, 255))):
        image = Image.new(mode, (20, 10), color)
        path = tmp_path / f"m.{'tiff' if mode in ('I;16', 'CMYK', 'LA') else 'png'}"
        image.save(path)
        (page,) = pages_of(path)
        assert page.image.shape == (10, 20, 3) and page.image.dtype == np.uint8, mode


def test_multipage_tiff(tmp_path):
    frames = [Image.new("L", (40, 30), v) for v in (0, 100, 200)]
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))
    pages = pages_of(path)
    assert [p.index for p in pages] == [0, 1, 2]
    assert [int(p.image[0, 0, 0]) for p in pages] == [0, 100, 200]
    assert all(p.dpi == 200 for p in pages)
    assert [int(p.image[0, 0, 0]) for p in pages_of(path, pages="3")] == [200]
    with pytest.raises(InputError, match="page 4 out of range"):
        open_document(path, pages=[4])


def test_image_bytes_pil_and_numpy(page_image):
    image = page_image(60, 40, [(5, 5, 20, 20)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    expected = np.asarray(image)
    (from_bytes,) = pages_of(buffer.getvalue())
    (from_pil,) = pages_of(image)
    (from_gray_pil,) = pages_of(image.convert("L"))
    assert np.array_equal(from_bytes.image, expected) and np.array_equal(from_pil.image, expected)
    assert np.array_equal(from_gray_pil.image, expected)
    for array in (expected, expected[:, :, 0], expected[:, :, :1], np.dstack([expected, np.full((40, 60), 255, np.uint8)])):
        (page,) = pages_of(array)
        assert np.array_equal(page.image, expected) and page.index == 0 and page.dpi is None


def test_pil_image_is_usable_after_ocr(page_image, tmp_path):
    page_image(60, 40).save(tmp_path / "p.png")
    image = Image.open(tmp_path / "p.png")
    first = pages_of(image)[0].image
    second = pages_of(image)[0].image  # the caller's image object still works
    assert np.array_equal(first, second)


@pytest.mark.parametrize(
    "array",
    [np.zeros((5, 6), np.float32), np.zeros((5, 6, 2), np.uint8), np.zeros((2, 5, 6, 3), np.uint8), np.zeros(5, np.uint8)],
)
def test_bad_arrays(array):
    with pytest.raises(InputError, match="array must be uint8"):
        open_document(array)


def test_image_over_max_pixels(tmp_path):
    Image.new("L", (2000, 1000), 255).save(tmp_path / "big.png")
    document = open_document(tmp_path / "big.png", max_pixels=1_000_000)
    with pytest.raises(InputError, match="page 1: image is 2000 x 1000 pixels, over the limit of 1,000,000") as err:
        list(document)
    assert_one_line(err)
    document.close()
    with pytest.raises(InputError, match="over the limit"):
        pages_of(Image.new("L", (2000, 1000)), max_pixels=1_000_000)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width x height`` (no pixel data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    chunks = b""
    for kind, data in ((b"IHDR", ihdr), (b"IDAT", zlib.compress(b"\0" * 64)), (b"IEND", b"")):
        chunks += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunks


def test_decompression_bomb_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(30000, 30000))
    with pytest.raises(InputError, match="too large|over the limit") as err:
        pages_of(path)
    assert_one_line(err)


def test_truncated_png(page_image, tmp_path):
    buffer = io.BytesIO()
    page_image(300, 200).save(buffer, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(InputError, match="unreadable image") as err:
        pages_of(path)
    assert_one_line(err)


# --------------------------------------------------------------------------- other bad inputs


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="^no such file$"):
        open_document(tmp_path / "nope.pdf")


def test_directory(tmp_path):
    with pytest.raises(InputError, match="^not a file$"):
        open_document(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(InputError, match="^empty file$"):
        open_document(tmp_path / "empty.pdf")


def test_text_file_is_not_a_pdf(tmp_path):
    (tmp_path / "notes.pdf").write_text("just some text, not a PDF\n")
    with pytest.raises(InputError, match="not a PDF or a supported image") as err:
        open_document(tmp_path / "notes.pdf")
    assert_one_line(err)
    with pytest.raises(InputError, match="not a PDF or a supported image"):
        open_document(b"plain bytes")


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_pdf_page_is_rendered_as_its_rotate_entry_shows_it(pdf_bytes, rotate):
    """/Rotate turns the displayed page clockwise: the pipeline sees the page as a viewer shows it."""
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf_bytes(pages=1))).pages[0])  # 300 x 200 pt, black box (20, 20)-(120, 40)
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    (page,) = open_document(out.getvalue(), dpi=72)
    upright = np.rot90(page.image, rotate // 90)  # turned back counter-clockwise
    assert upright.shape[:2] == (200, 300)
    assert upright[25:35, 25:115].max() < 100 and upright[105:135, 25:115].min() > 200
