"""Inputs as a stream of pages: PDF, images, bytes, PIL, numpy; every bad input is an
InputError with a one-line reason."""

from __future__ import annotations

import io
import logging
import math
import pickle
import signal
import struct
import subprocess
import tempfile
import time
import zlib

import numpy as np
import pdf2image
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, NumberObject, RectangleObject

from docvision.errors import InputError
from docvision.io import PageImage, open_document, open_pages, parse_page_ranges
from docvision.io import sources
from docvision.io.sources import IMAGE_DPI, MIN_DPI, RENDERERS


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


@pytest.fixture(params=RENDERERS)
def renderer(request) -> str:
    return request.param


def test_pdf_pages_are_rendered_one_at_a_time(make_pdf, spy_render):
    document = open_document(make_pdf(pages=3), dpi=72, renderer="poppler")
    assert len(document) == 3 and spy_render == []
    pages = iter(document)
    first = next(pages)
    assert len(spy_render) == 1 and (spy_render[0]["first_page"], spy_render[0]["last_page"]) == (1, 1)
    assert spy_render[0]["fmt"] == "ppm"  # never PNG: 10-50x slower through pdftoppm
    assert spy_render[0]["use_cropbox"]  # the box pdfinfo reports, which the pixel limit is checked on
    assert (first.index, first.image.shape, first.image.dtype, first.dpi) == (0, (200, 300, 3), np.uint8, 72)
    second = next(pages)
    assert len(spy_render) == 2 and spy_render[1]["first_page"] == 2 and second.index == 1
    assert not np.array_equal(first.image, second.image)
    assert [p.index for p in pages] == [2]
    assert first.image[30, 50].tolist() == [0, 0, 0] and first.image[5, 5].tolist() == [255, 255, 255]


def test_frame_and_regions_are_what_the_page_renders(make_pdf, renderer):
    """frame() gives the rendered size without rendering; a region is the same pixels as the page's."""
    with open_document(make_pdf(pages=2), dpi=100, renderer=renderer) as document:
        dpi, (width, height) = document.frame(2)
        page = list(document)[1]
        assert (dpi, width, height) == (100, 417, 278) and page.image.shape == (278, 417, 3)
        rendered = []
        render = document._render
        document._render = lambda *args: rendered.append(args) or render(*args)
        region, whole = document.render_regions(2, [(30, 170, 140, 215), (0, 0, width, height)])
        assert np.array_equal(region, page.image[170:215, 30:140]) and (region < 128).any()
        assert np.array_equal(whole, page.image)
        assert len(rendered) == (1 if renderer == "poppler" else 2)  # poppler: the page once; pdfium: each box
        with document.pdfium_page(2) as pdf_page:
            assert pdf_page.get_size() == (300, 200)


def test_pdfium_renders_in_process_one_page_at_a_time(make_pdf, monkeypatch):
    loaded = []
    real = pdfium.PdfDocument.get_page
    monkeypatch.setattr(pdfium.PdfDocument, "get_page", lambda self, i: loaded.append(i) or real(self, i))
    monkeypatch.setattr(subprocess, "Popen", None)  # no child process: poppler's tools would fail here
    with open_document(make_pdf(pages=3), dpi=72) as document:
        assert len(document) == 3 and loaded == []
        pages = iter(document)
        first = next(pages)
        assert loaded == [0] and (first.index, first.image.shape, first.dpi) == (0, (200, 300, 3), 72)
        assert first.image[30, 50].tolist() == [0, 0, 0] and first.image[5, 5].tolist() == [255, 255, 255]
        assert [p.index for p in pages] == [1, 2] and loaded == [0, 1, 2]


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_long_pdf_is_opened_anew_every_few_pages_and_renders_the_same(make_pdf, tmp_path, monkeypatch, as_bytes):
    """PDFium keeps what it parsed until the document closes; reopening frees it. Encrypted: the
    password opens it again."""
    path = encrypt(make_pdf(pages=5), tmp_path / "locked.pdf")
    source = path.read_bytes() if as_bytes else path
    whole = [p.image for p in pages_of(source, dpi=36, password="secret")]
    closed = []
    real = pdfium.PdfDocument.close
    monkeypatch.setattr(pdfium.PdfDocument, "close", lambda self: closed.append(self) or real(self))
    monkeypatch.setattr(sources, "REOPEN_PAGES", 2)
    again = [p.image for p in pages_of(source, dpi=36, password="secret")]
    assert len(closed) == 3  # after pages 2 and 4, and at the end
    assert all(np.array_equal(a, b) for a, b in zip(whole, again)) and len(again) == 5


def test_the_poppler_renderers_text_layer_document_is_opened_anew_too(make_pdf, monkeypatch):
    monkeypatch.setattr(sources, "REOPEN_PAGES", 2)
    with open_document(make_pdf(pages=3), renderer="poppler") as document:
        seen = []
        for number in (1, 2, 3):
            with document.pdfium_page(number) as page:
                seen.append(document.pdfium.opened)
                assert page.get_size() == (300, 200)
        assert seen[0] is seen[1] and seen[2] is not seen[1]


def test_ctrl_c_during_a_pdfium_render_is_raised_after_it(make_pdf, monkeypatch, capfd):
    """SIGINT arrives while PDFium calls back into Python: it is raised once the render is done,
    not printed and swallowed by ctypes (which would lose the Ctrl-C)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a run started with & (no job control) ignores it
    try:
        real, sent = time.monotonic, []

        def monotonic():  # the render's pause callback asks the time: Ctrl-C comes right then
            if len(sent) == 1:
                signal.raise_signal(signal.SIGINT)
            sent.append(1)
            return real()

        monkeypatch.setattr(sources.time, "monotonic", monotonic)
        with open_document(make_pdf(pages=2), dpi=72) as document, pytest.raises(KeyboardInterrupt):
            list(document)
        assert len(sent) >= 2 and "Exception ignored" not in capfd.readouterr().err
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_renderers_agree(tmp_path):
    """pdfium and poppler give the same page size and, at the file's own resolution, nearly the
    same pixels (both resample the page's image; measured: mean difference under 1 level of 255)."""
    image = Image.new("RGB", (300, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 120, 40), fill=(200, 30, 30))  # a colour: pdfium's BGR must come out as RGB
    draw.text((20, 100), "Invoice 2024-03 total 1,234.56", fill="black")
    image.save(tmp_path / "p.pdf", resolution=72)
    for dpi in (72, 200):
        (a,) = pages_of(tmp_path / "p.pdf", dpi=dpi, renderer="pdfium")
        (b,) = pages_of(tmp_path / "p.pdf", dpi=dpi, renderer="poppler")
        assert a.image.shape == b.image.shape == (math.ceil(200 * dpi / 72), math.ceil(300 * dpi / 72), 3)
        diff = np.abs(a.image.astype(int) - b.image.astype(int))
        assert diff.mean() < 2.0 and (diff.max(axis=2) > 64).mean() < 0.01, (dpi, diff.mean())
        assert a.image[30 * dpi // 72, 70 * dpi // 72].tolist() == pytest.approx([200, 30, 30], abs=8)


def test_pdf_page_selection(make_pdf, renderer):
    path = make_pdf(pages=3)
    assert [p.index for p in pages_of(path, dpi=36, pages="1,3", renderer=renderer)] == [0, 2]
    assert [p.index for p in pages_of(path, dpi=36, pages=[2], renderer=renderer)] == [1]
    with open_document(path, pages="2-3", renderer=renderer) as document:
        assert len(document) == 2


def test_pdf_dpi(make_pdf, renderer):
    (page,) = pages_of(make_pdf(pages=1), dpi=144, renderer=renderer)
    assert page.image.shape == (400, 600, 3) and page.dpi == 144
    (page,) = pages_of(make_pdf(pages=1), dpi=18, renderer=renderer)  # below MIN_DPI when asked for
    assert page.image.shape == (50, 75, 3) and page.dpi == 18


@pytest.mark.parametrize("dpi", [0, -5])
def test_pdf_dpi_must_be_positive(make_pdf, dpi):
    with pytest.raises(ValueError, match="dpi must be positive"):
        open_document(make_pdf(pages=1), dpi=dpi)


def test_pdf_pages_out_of_range(make_pdf, renderer):
    with pytest.raises(InputError, match=r"page 3 out of range \(document has 2 pages\)") as err:
        open_document(make_pdf(), pages="2-3", renderer=renderer)
    assert_one_line(err)
    with pytest.raises(InputError, match="invalid page range"):
        open_document(make_pdf(), pages="x", renderer=renderer)


def test_pdf_bytes_use_a_temporary_file_removed_on_close(pdf_bytes, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    document = open_document(pdf_bytes(2), dpi=36, renderer="poppler")
    assert len(list(tmp_path.iterdir())) == 1
    assert [p.image.shape for p in document] == [(100, 150, 3)] * 2
    document.close()
    assert list(tmp_path.iterdir()) == []
    # open_pages closes even when the caller stops early
    pages = open_pages(pdf_bytes(2), dpi=36, renderer="poppler")
    next(pages)
    pages.close()
    assert list(tmp_path.iterdir()) == []
    # and nothing is left when the bytes are not a readable PDF
    with pytest.raises(InputError):
        open_document(b"%PDF-1.4\n" + b"x" * 100, renderer="poppler")
    assert list(tmp_path.iterdir()) == []
    # pdfium reads the bytes where they are
    assert [p.image.shape for p in pages_of(pdf_bytes(2), dpi=36)] == [(100, 150, 3)] * 2
    assert list(tmp_path.iterdir()) == []


def encrypt(source, target, password="secret"):
    writer = PdfWriter()
    writer.append(PdfReader(str(source)))
    writer.encrypt(user_password=password, owner_password="owner-pw", algorithm="RC4-128")
    writer.write(str(target))
    return target


def test_encrypted_pdf(make_pdf, tmp_path, renderer):
    path = encrypt(make_pdf(), tmp_path / "locked.pdf")
    with pytest.raises(InputError, match=r"encrypted PDF: a password is needed \(--password-file\)") as err:
        open_document(path, renderer=renderer)
    assert_one_line(err)
    if renderer == "poppler":  # pdfinfo and pdftoppm would take it on their command lines
        with pytest.raises(InputError, match="would show the password in process lists"):
            open_document(path, password="secret", renderer=renderer)
        return
    with pytest.raises(InputError, match="wrong password"):
        open_document(path, password="nope")
    assert [p.index for p in pages_of(path, dpi=36, password="secret")] == [0, 1]


def test_encrypted_pdf_is_rendered_without_a_child_process(make_pdf, tmp_path, monkeypatch):
    """No process is started for a password-protected PDF, so no command line can show the password."""
    started = []
    real = subprocess.Popen.__init__
    monkeypatch.setattr(subprocess.Popen, "__init__", lambda self, *a, **k: started.append(a) or real(self, *a, **k))
    path = encrypt(make_pdf(), tmp_path / "locked.pdf")
    assert [p.image.shape for p in pages_of(path, dpi=36, password="secret")] == [(100, 150, 3)] * 2
    assert started == []
    pages_of(make_pdf(), dpi=36, renderer="poppler")  # the spy does see poppler's children
    assert started


def test_zero_page_pdf(tmp_path, renderer):
    path = tmp_path / "empty-doc.pdf"
    PdfWriter().write(str(path))
    with pytest.raises(InputError, match="no pages") as err:
        open_document(path, renderer=renderer)
    assert_one_line(err)


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_pdf(pdf_bytes, tmp_path, cut, renderer):
    data = pdf_bytes(2)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(InputError, match="corrupt or truncated PDF") as err:
        pages_of(path, renderer=renderer)
    assert_one_line(err)


def test_corrupt_pdf(tmp_path, renderer):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(InputError, match="corrupt or truncated PDF") as err:
        open_document(path, renderer=renderer)
    assert_one_line(err)


def blank_pdf(path, width_in, height_in):
    writer = PdfWriter()
    writer.add_blank_page(width=width_in * 72, height=height_in * 72)
    writer.write(str(path))
    return path


def boxed_pdf(path, media, crop=None, rotate=0):
    """A blank one-page PDF with these MediaBox, CropBox (points) and /Rotate."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=100, height=100)
    page.mediabox = RectangleObject(media)
    if crop:
        page.cropbox = RectangleObject(crop)
    if rotate:
        page[NameObject("/Rotate")] = NumberObject(rotate)
    writer.write(str(path))
    return path


def test_huge_pdf_page_is_rendered_at_a_lower_dpi(tmp_path, caplog, renderer):
    path = blank_pdf(tmp_path / "poster.pdf", 20, 20)  # 2000 x 2000 px at 100 dpi
    with caplog.at_level(logging.WARNING):
        (page,) = pages_of(path, dpi=100, max_pixels=2_000_000, renderer=renderer)
    assert page.dpi == 70 and page.image.shape == (1400, 1400, 3)
    assert "rendering at 70 dpi" in caplog.text and "20 x 20 in" in caplog.text


@pytest.mark.parametrize(
    "media, crop, rotate, shape",
    [
        ([0, 0, 720, 720], [0, 0, 320, 80], 0, (80, 320)),  # a huge MediaBox behind a small CropBox
        ([0, 0, 720, 720], [0, 0, 320, 80], 90, (320, 80)),  # ... turned
        ([0, 0, 320, 80], [0, 0, 4320, 4320], 0, (80, 320)),  # a CropBox beyond the MediaBox is cut to it
    ],
)
def test_pixel_limit_holds_for_the_box_that_is_rendered(tmp_path, renderer, media, crop, rotate, shape):
    """The box checked is the one drawn: the MediaBox (720 x 720 px here, over the limit) is never rendered."""
    path = boxed_pdf(tmp_path / "boxes.pdf", media, crop, rotate)
    (page,) = pages_of(path, dpi=72, max_pixels=100_000, renderer=renderer)
    assert page.image.shape[:2] == shape and page.dpi == 72


def test_absurd_pdf_page_with_the_default_cap(tmp_path, caplog, monkeypatch, renderer):
    """200 x 200 in at 200 dpi would be 1.6 gigapixels: rendered at 38 dpi instead (the render
    itself is stopped: 58 megapixels of white are not worth the test time)."""
    rendered = []

    class Stop(Exception):
        pass

    def render(self, number, dpi, size):
        rendered.append((dpi, size))
        raise Stop

    path = blank_pdf(tmp_path / "absurd.pdf", 200, 200)
    with open_document(path, renderer=renderer) as document, caplog.at_level(logging.WARNING):
        monkeypatch.setattr(type(document), "_render", render)
        with pytest.raises(Stop):
            list(document)
    assert rendered == [(38, (7600, 7600))] and 7601 * 7601 <= 60_000_000
    assert "200 x 200 in" in caplog.text


def test_pdf_page_size_in_exponent_form_is_refused(tmp_path, renderer):
    """pdfinfo prints such sizes as 1.44e+07; pdftoppm fails on them and returns a 1 x 1 image."""
    path = boxed_pdf(tmp_path / "huge.pdf", [0, 0, 14_400_000, 14_400_000])
    with pytest.raises(InputError, match=r"page 1: page size .* is absurd") as err:
        pages_of(path, renderer=renderer)
    assert_one_line(err)


def test_pdf_page_too_large_even_at_min_dpi(tmp_path, renderer):
    path = blank_pdf(tmp_path / "absurd.pdf", 200, 200)
    document = open_document(path, dpi=100, max_pixels=1_000_000, renderer=renderer)  # opening is fine ...
    with pytest.raises(InputError, match=rf"page 1: page size 200 x 200 in is absurd .* {MIN_DPI} dpi") as err:
        list(document)  # ... the page is refused before it is rendered
    assert_one_line(err)
    with pytest.raises(InputError, match="page 1: page size 200 x 200 in is absurd"):
        document.check()  # ... or before any page is read (the command line does this before loading the models)
    document.close()
    with open_document(path, dpi=100, renderer=renderer) as document:
        document.check()  # 400 Mpx at 100 dpi, but 60 Mpx allow 38 dpi


def test_pdf_page_box_too_small_to_render(tmp_path, renderer):
    path = boxed_pdf(tmp_path / "sliver.pdf", [0, 0, 300, 0.1])
    with pytest.raises(InputError, match=r"page 1: page box 300 x 0.1 pt is empty or too small to render"):
        pages_of(path, renderer=renderer)


def test_failed_render_is_an_error_not_a_page(make_pdf, monkeypatch):
    """pdftoppm answers an allocation it cannot make with a 1 x 1 image: never a page."""
    monkeypatch.setattr(pdf2image, "convert_from_path", lambda path, **kw: [Image.new("RGB", (1, 1), "white")])
    with pytest.raises(InputError, match=r"page 1: rendered as 1 x 1 pixels instead of 300 x 200") as err:
        pages_of(make_pdf(), dpi=72, renderer="poppler")
    assert_one_line(err)


def test_poppler_missing(make_pdf, monkeypatch):
    def missing(*args, **kwargs):
        raise pdf2image.exceptions.PDFInfoNotInstalledError("nope")

    monkeypatch.setattr(pdf2image, "pdfinfo_from_path", missing)
    with pytest.raises(InputError, match="poppler-utils"):
        open_document(make_pdf(), renderer="poppler")
    assert len(pages_of(make_pdf(), dpi=36)) == 2  # pdfium needs no poppler


def test_render_timeout(make_pdf, monkeypatch):
    def slow(*args, **kwargs):
        raise pdf2image.exceptions.PDFPopplerTimeoutError("slow")

    monkeypatch.setattr(pdf2image, "convert_from_path", slow)
    with pytest.raises(InputError, match="page 1: rendering timed out after 5 s"):
        pages_of(make_pdf(), timeout=5, renderer="poppler")


def test_pdfium_render_timeout(tmp_path):
    """PDFium renders progressively and is stopped at the deadline (here: at once)."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    content = DecodedStreamObject()
    content.set_data("".join(f"{i % 600} {i % 780} 2 2 re f\n" for i in range(20_000)).encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.write(str(tmp_path / "busy.pdf"))
    with pytest.raises(InputError, match=r"page 1: rendering timed out after 1e-06 s") as err:
        pages_of(tmp_path / "busy.pdf", timeout=1e-6)
    assert_one_line(err)
    (page,) = pages_of(tmp_path / "busy.pdf", dpi=36)
    assert page.image.min() == 0  # with time, the same page renders


# --------------------------------------------------------------------------- images


def test_png_and_jpeg_files(page_image, tmp_path):
    image = page_image(120, 80, [(10, 10, 60, 30)])
    image.save(tmp_path / "p.png", dpi=(300, 300))
    image.save(tmp_path / "p.jpg", quality=95, dpi=(150, 150))
    (png,) = pages_of(tmp_path / "p.png")
    (jpg,) = pages_of(str(tmp_path / "p.jpg"))
    assert np.array_equal(png.image, np.asarray(image))
    assert png.dpi == pytest.approx(300, abs=0.1) and jpg.dpi == 150
    image.save(tmp_path / "bare.png")  # no resolution recorded: img2pdf's default, which --format pdf uses too
    assert "dpi" not in Image.open(tmp_path / "bare.png").info
    assert pages_of(tmp_path / "bare.png")[0].dpi == IMAGE_DPI == 96
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
        assert np.array_equal(page.image, expected) and page.index == 0 and page.dpi == IMAGE_DPI


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
    with pytest.raises(InputError, match="no such file$") as err:
        open_document(tmp_path / "nope.pdf")
    assert str(err.value) == f"{tmp_path / 'nope.pdf'}: no such file" and err.value.source == str(tmp_path / "nope.pdf")


def test_directory(tmp_path):
    with pytest.raises(InputError, match=": not a file$"):
        open_document(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(InputError, match=": empty file$"):
        open_document(tmp_path / "empty.pdf")


def test_errors_name_the_input(tmp_path, make_pdf, renderer):
    """Opening, checking and reading a page: the message starts with the input's name (``reason`` is the rest)."""
    (tmp_path / "notes.txt").write_text("not a PDF")
    with pytest.raises(InputError, match=rf"^{tmp_path / 'notes.txt'}: not a PDF or a supported image"):
        open_document(tmp_path / "notes.txt")
    with pytest.raises(InputError, match=r"^<bytes>: not a PDF or a supported image"):
        open_document(b"not a PDF")
    with pytest.raises(InputError, match=r"^<array>: array must be uint8"):
        open_document(np.zeros((4, 4), np.float32))
    path = make_pdf(pages=2)
    with pytest.raises(InputError, match=rf"^{path}: page 3 out of range") as err:
        open_document(path, pages="3", renderer=renderer)
    assert err.value.reason == "page 3 out of range (document has 2 pages)"
    assert str(pickle.loads(pickle.dumps(err.value))) == str(err.value)  # as from a DataLoader worker
    with open_document(path, dpi=100, max_pixels=1_000, renderer=renderer) as document, pytest.raises(
        InputError, match=rf"^{path}: page 1: page size .* is absurd"
    ):
        document.check()


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
