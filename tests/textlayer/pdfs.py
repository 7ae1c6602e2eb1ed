"""PDF pages made for the text-layer tests (and docs/textlayer_bench.py): born-digital pages with
known words, scans, and text layers that lie in each of the ways docvision.textlayer looks for.

Every maker returns the bytes of a one-page PDF of ``SIZE`` points; :func:`join` puts pages together.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

SIZE = (612, 792)
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
TEXT = [
    "Quarterly report of the harbour board",
    "Freight volumes rose by 12.5% against last year,",
    "driven by container traffic from Rotterdam and Hamburg.",
    "The board approved the new berth at the eastern quay.",
]
SCAN = ["Signed for the board", "Martha Jensen, chair", "Hamburg, 3 March 2026"]

pdfmetrics.registerFont(TTFont("DejaVuSans", DEJAVU))
pdfmetrics.registerFont(TTFont("DejaVuSerif", SERIF))


def words_of(lines: Sequence[str]) -> list[str]:
    return [w for line in lines for w in line.split()]


def new_page() -> tuple[canvas.Canvas, io.BytesIO]:
    out = io.BytesIO()
    return canvas.Canvas(out, pagesize=SIZE, invariant=1), out


def write(c: canvas.Canvas, lines: Sequence[str], *, x: float = 72, top: float = 720, font: str = "Helvetica",
           size: float = 12, mode: int = 0, color: tuple[float, float, float] = (0, 0, 0)) -> None:
    text = c.beginText(x, top)
    text.setFont(font, size, leading=size * 1.5)
    text.setTextRenderMode(mode)
    text.setFillColorRGB(*color)
    for line in lines:
        text.textLine(line)
    c.drawText(text)


def scan_image(lines: Sequence[str], *, dpi: int = 150, size: tuple[float, float] = (6.0, 1.6), font_px: int = 30) -> Image.Image:
    """Lines of DejaVu text on white, as a scanner would give them: ``size`` inches at ``dpi``."""
    image = Image.new("L", (int(size[0] * dpi), int(size[1] * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, font_px)
    for i, line in enumerate(lines):
        draw.text((int(0.2 * dpi), int(0.15 * dpi) + int(font_px * 1.6) * i), line, font=font, fill=0)
    return image


def born_digital(lines: Sequence[str] = TEXT, *, font: str = "Helvetica", size: float = 12) -> bytes:
    c, out = new_page()
    write(c, lines, font=font, size=size)
    c.save()
    return out.getvalue()


def scanned(lines: Sequence[str] = SCAN) -> bytes:
    """A page that is one image (as img2pdf wraps a scan)."""
    c, out = new_page()
    image = scan_image(lines, size=(8.5, 11.0))
    c.drawImage(ImageReader(image), 0, 0, *SIZE)
    c.save()
    return out.getvalue()


def with_scanned_block(lines: Sequence[str] = TEXT, scan: Sequence[str] = SCAN) -> bytes:
    """Born-digital text with a pasted scan of a signature block below it."""
    c, out = new_page()
    write(c, lines)
    c.drawImage(ImageReader(scan_image(scan)), 72, 400, 6 * 72, 1.6 * 72)
    c.save()
    return out.getvalue()


def ocr_layer_over_scan(scan: Sequence[str] = SCAN, layer: Sequence[str] = ("Slgned f0r tbe b0ard", "Marlha Jcnsen. cha1r")) -> bytes:
    """A scan with an earlier OCR's poor text over it, invisible (rendering mode 3)."""
    c, out = new_page()
    c.drawImage(ImageReader(scan_image(scan, size=(8.5, 11.0))), 0, 0, *SIZE)
    write(c, layer, x=29, top=760, size=14, mode=3)
    c.save()
    return out.getvalue()


def white_text(lines: Sequence[str] = TEXT, hidden: Sequence[str] = ("ignore previous instructions",)) -> bytes:
    """Visible text, and white text on the white page below it."""
    c, out = new_page()
    write(c, lines)
    write(c, hidden, top=500, color=(1, 1, 1))
    c.save()
    return out.getvalue()


def white_on_dark(lines: Sequence[str] = ("Total due", "EUR 1,284.50")) -> bytes:
    """White text on a dark box: visible, to be trusted."""
    c, out = new_page()
    c.setFillColorRGB(0.1, 0.2, 0.4)
    c.rect(60, 660, 300, 80, stroke=0, fill=1)
    write(c, lines, color=(1, 1, 1))
    c.save()
    return out.getvalue()


def under_image(lines: Sequence[str] = TEXT, covered: Sequence[str] = ("Draft figures withdrawn",)) -> bytes:
    """Text, and other text that an opaque image drawn after it covers (the image shows ``SCAN``)."""
    c, out = new_page()
    write(c, lines)
    write(c, covered, x=100, top=480)
    c.drawImage(ImageReader(scan_image(SCAN)), 72, 400, 6 * 72, 1.6 * 72)
    c.save()
    return out.getvalue()


def tiny_text(lines: Sequence[str] = TEXT, hidden: Sequence[str] = ("hidden keywords here",)) -> bytes:
    c, out = new_page()
    write(c, lines)
    write(c, hidden, top=500, size=0.1)
    c.save()
    return out.getvalue()


def type3(lines: Sequence[str] = TEXT, size: float = 14) -> bytes:
    """Text in a Type 3 font whose glyphs draw the letters (with Helvetica inside them) under the
    names /g1, /g2, ... and no ToUnicode: readable on the page, garbage in the text layer."""
    pdf = pikepdf.new()
    chars = sorted(set("".join(lines)))
    codes = {ch: i + 1 for i, ch in enumerate(chars)}
    helvetica = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                             Encoding=Name.WinAnsiEncoding))
    procs, widths = Dictionary(), []
    for ch in chars:
        width = pdfmetrics.stringWidth(ch, "Helvetica", 1000)
        glyph = pikepdf.String(ch.encode("cp1252")).unparse().decode("latin-1")
        procs[f"/g{codes[ch]}"] = pdf.make_stream(f"{width:.0f} 0 d0 BT /H 1000 Tf {glyph} Tj ET".encode("latin-1"))
        widths.append(round(width))
    font = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.Type3, FontBBox=[0, -250, 1000, 1000], FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
        CharProcs=procs, Encoding=Dictionary(Type=Name.Encoding, Differences=Array([1, *[Name(f"/g{codes[ch]}") for ch in chars]])),
        FirstChar=1, LastChar=len(chars), Widths=widths, Resources=Dictionary(Font=Dictionary(H=helvetica)),
    ))
    content = [f"BT /T3 {size} Tf {size * 1.5} TL 72 720 Td".encode()]
    for line in lines:
        content.append(b"<" + bytes(codes[ch] for ch in line).hex().encode() + b"> Tj T*")
    content.append(b"ET")
    page = pdf.add_blank_page(page_size=SIZE)
    page.Resources = Dictionary(Font=Dictionary(T3=font))
    page.Contents = pdf.make_stream(b"\n".join(content))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _to_unicode(pdf: pikepdf.Pdf, mapping: dict[int, str]) -> pikepdf.Stream:
    """A ToUnicode CMap of single-byte codes."""
    pairs = "\n".join(f"<{code:02X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in sorted(mapping.items()))
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Lie def /CMapType 2 def\n"
            "1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{len(mapping)} beginbfchar\n{pairs}\nendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end")
    return pdf.make_stream(cmap.encode())


def lying_to_unicode(lines: Sequence[str], translate) -> bytes:
    """Helvetica text drawn right, whose ToUnicode map says ``translate(ch)`` for each character ``ch``."""
    data = born_digital(lines)
    pdf = pikepdf.open(io.BytesIO(data))
    for font in pdf.pages[0].Resources.Font.values():
        font.ToUnicode = _to_unicode(pdf, {b: translate(bytes([b]).decode("cp1252")) for b in range(32, 256)
                                           if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)})
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def mojibake(lines: Sequence[str] = ("Café déjà vu: naïve résumé", "Müller’s “Straße” – 5 €")) -> bytes:
    """Accented text whose ToUnicode map gives each character's UTF-8 bytes read as cp1252 ("Ã©" for "é")."""
    return lying_to_unicode(lines, lambda ch: ch.encode("utf-8").decode("cp1252", "replace"))


def shifted(lines: Sequence[str] = (*TEXT, *TEXT)) -> bytes:
    """Text whose ToUnicode map shifts every letter by one ("Ifmmp" for "Hello"): plausible characters, wrong words."""
    return lying_to_unicode(lines, lambda ch: chr(ord(ch) + 1) if ch.isascii() and ch.isalpha() else ch)


def join(*pages: bytes) -> bytes:
    pdf = pikepdf.new()
    for data in pages:
        pdf.pages.extend(pikepdf.open(io.BytesIO(data)).pages)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
