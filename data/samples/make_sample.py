"""Builds data/samples/letter.pdf: a letter-size scanned-looking page with known text.

Run: python data/samples/make_sample.py  (needs Pillow and the DejaVu fonts)
The text is kept in letter.txt so tests can compare the OCR output with it.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).parent
DPI = 200
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

HEADER = "Northwind Logistics Ltd."
LEFT = [
    "Shipping notice for order 48213.",
    "The consignment left our depot in",
    "Rotterdam on 14 March 2026 and is",
    "expected at your warehouse within",
    "five working days of dispatch.",
]
RIGHT = [
    "Invoice total: EUR 1,284.50",
    "Payment is due within 30 days.",
    "Questions about this delivery can",
    "be sent to support@northwind.example",
    "quoting the reference NW-7731.",
]
FOOTER = "Page 1 of 1"


def main() -> None:
    width, height = int(8.5 * DPI), int(11 * DPI)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    body = ImageFont.truetype(FONT, 30)
    draw.text((150, 150), HEADER, font=ImageFont.truetype(BOLD, 48), fill=0)
    for i, line in enumerate(LEFT):
        draw.text((150, 330 + i * 48), line, font=body, fill=0)
    for i, line in enumerate(RIGHT):
        draw.text((900, 330 + i * 48), line, font=body, fill=0)
    draw.text((760, 2000), FOOTER, font=body, fill=0)
    rng = np.random.default_rng(0)
    noisy = np.asarray(page.filter(ImageFilter.GaussianBlur(0.7)), np.float32)
    noisy += rng.normal(0, 8, noisy.shape)
    scan = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).rotate(0.4, fillcolor=255)
    scan.save(HERE / "letter.pdf", resolution=DPI)
    text = "\n".join([HEADER, *LEFT, *RIGHT, FOOTER]) + "\n"
    (HERE / "letter.txt").write_text(text)


if __name__ == "__main__":
    main()
