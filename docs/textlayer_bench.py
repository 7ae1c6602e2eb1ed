"""Measurements of the text-layer stage (docvision/textlayer), as reported in docs/benchmarks.md.

    python docs/textlayer_bench.py [--pages 120] [--seed 0] [PDF ...]

1. Words and boxes against poppler's pdftotext -bbox at 200 dpi, on generated born-digital pages
   (5 fonts, 7-16 pt) and on any PDFs given.
2. Speed of born-digital pages through the pipeline (models never loaded): CPU ms per page of
   reading the layer + layout, and of the JSON export, in this process; pages/s of one process
   and of two processes side by side (2 cores).
3. Lying layers caught and good layers trusted, on pages generated with tests/textlayer/pdfs.py.
Run from the repository root (it imports the test page makers).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pikepdf
from lxml import etree
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docvision  # noqa: E402
from docvision.document import Document  # noqa: E402
from docvision.io import open_document  # noqa: E402
from docvision.textlayer.extract import read_page  # noqa: E402
from docvision.recognition.lexicon import Lexicon  # noqa: E402
from docvision.textlayer.judge import plan_page  # noqa: E402
from tests.textlayer import pdfs  # noqa: E402

DPI = 200
FONTS = ["Helvetica", "Times-Roman", "Courier", "DejaVuSans", "DejaVuSerif"]
ENGLISH = Lexicon.from_wordfreq(("en",)).knows
"""The lexicon ``docvision.load()`` gives the pipeline by default."""
VOCABULARY = (" ".join(pdfs.TEXT) + " invoice total payment within thirty days consignment depot warehouse "
              "dispatch reference quarterly freight container berth approved volumes").split()


def text_lines(rng: random.Random, lines: int, width: float = 460, font: str = "Helvetica", size: float = 12) -> list[str]:
    """``lines`` lines of words from :data:`VOCABULARY`, each at most ``width`` points long."""
    out = []
    for _ in range(lines):
        line = rng.choice(VOCABULARY)
        while stringWidth(f"{line} {(word := rng.choice(VOCABULARY))}", font, size) <= width:
            line = f"{line} {word}"
        out.append(line)
    return out


def born_digital_page(rng: random.Random) -> bytes:
    """A page of one or two columns of text in one of :data:`FONTS`, 7-16 pt."""
    font, size = rng.choice(FONTS), rng.uniform(7, 16)
    c, out = pdfs.new_page()
    columns = rng.choice([1, 2])
    width = (500 - 20 * (columns - 1)) / columns
    for k in range(columns):
        lines = text_lines(rng, int(640 / (size * 1.5)), width, font, size)
        pdfs.write(c, lines, x=56 + k * (width + 20), top=740, font=font, size=size)
    c.save()
    return out.getvalue()


def layers(data: bytes):
    with open_document(data, dpi=DPI) as document:
        for number in document.selected:
            _, size = document.frame(number)
            with document.pdfium_page(number) as page:
                yield read_page(page, size)


def pdftotext_pages(data: bytes) -> list[list[tuple[str, tuple[float, ...]]]]:
    xhtml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True).stdout
    root = etree.fromstring(xhtml, etree.XMLParser(recover=True, huge_tree=True))
    return [[(w.text or "", tuple(float(w.get(k)) * DPI / 72 for k in ("xMin", "yMin", "xMax", "yMax")))
             for w in p.iter("{*}word")] for p in root.iter("{*}page")]


def compare_boxes(name: str, data: bytes) -> None:
    """Each page's words against pdftotext's as multisets (NFKC: PDFium splits ligatures), and each
    word's box against the nearest of pdftotext's boxes of the same word (largest side difference)."""
    import unicodedata

    ours = [[(unicodedata.normalize("NFKC", w.text), w.bbox) for w in layer.words] for layer in layers(data)]
    theirs = [[(unicodedata.normalize("NFKC", t), b) for t, b in page] for page in pdftotext_pages(data)]
    same_pages = shared = total = 0
    errors = []
    for a, b in zip(ours, theirs):
        same_pages += Counter(t for t, _ in a) == Counter(t for t, _ in b)
        shared += sum((Counter(t for t, _ in a) & Counter(t for t, _ in b)).values())
        total += len(b)
        boxes: dict[str, list] = {}
        for t, box in b:
            boxes.setdefault(t, []).append(box)
        for t, box in a:
            if t in boxes:
                errors.append(np.abs(np.array(boxes[t]) - box).max(1).min())
    errors = np.array(errors)
    print(f"  {name}: {len(ours)} pages, pages with pdftotext's words exactly {same_pages}/{len(ours)}, "
          f"words shared {shared}/{total}; box error px median {np.median(errors):.2f}, p99 "
          f"{np.percentile(errors, 99):.2f}, max {errors.max():.2f}; within 2 px {np.mean(errors <= 2) * 100:.2f}%")


def speed(data: bytes) -> tuple[int, float, float, float, float, int]:
    """Pages; CPU s of reading them (layer + layout) and of the JSON export; wall s of both; wall s of
    :func:`docvision.load` (the models are not loaded: checked); words."""
    start = time.perf_counter()
    ocr = docvision.load(device="cpu")
    ready = time.perf_counter()
    cpu = time.process_time()
    pages = list(ocr.iter_pages(data))
    read = time.process_time() - cpu
    cpu = time.process_time()
    Document("bench.pdf", dict(ocr.models), pages).export("json")
    export = time.process_time() - cpu
    assert not ocr.loaded and {p.text_layer.path for p in pages} == {"used"}
    return len(pages), read, export, time.perf_counter() - ready, ready - start, sum(len(list(p.words())) for p in pages)


def _speed_worker(path: str) -> float:
    return speed(Path(path).read_bytes())[3]


# --------------------------------------------------------------------------- lying and good pages


def _page(draw) -> bytes:
    c, out = pdfs.new_page()
    draw(c)
    c.save()
    return out.getvalue()


def good_pages(rng: random.Random) -> list[tuple[str, bytes]]:
    """Layers to trust: every word kept, OCR only of the images drawn under or beside text."""
    font, size = rng.choice(FONTS), rng.uniform(6, 14)
    lines = text_lines(rng, 6, 440, font, size)
    dark = tuple(rng.uniform(0, 0.5) for _ in range(3))

    def colored(c):
        pdfs.write(c, lines, font=font, size=size, color=dark)

    def white_on_dark(c):
        c.setFillColorRGB(*dark)
        c.rect(40, 560, 530, 200, stroke=0, fill=1)
        pdfs.write(c, lines, font=font, size=size, color=(1, 1, 1))

    def shaded(c):
        c.setFillColorRGB(0.85, 0.9, 0.95)
        c.rect(40, 560, 530, 200, stroke=0, fill=1)
        pdfs.write(c, lines, font=font, size=size)

    def caption_on_photo(c):
        photo = Image.fromarray(np.uint8(np.random.default_rng(rng.randrange(1000)).integers(150, 255, (120, 200, 3))))
        c.drawImage(ImageReader(photo), 40, 560, 530, 200)
        pdfs.write(c, lines, font=font, size=size)

    def accented(c):
        accents = "café déjà naïve Müller’s “Straße” – 5 €"
        pdfs.write(c, [f"{line} {accents}" for line in text_lines(rng, 3, 440 - stringWidth(accents, "DejaVuSans", size),
                                                                   "DejaVuSans", size)], font="DejaVuSans", size=size)

    def in_form(c):
        c.beginForm("block")
        pdfs.write(c, lines, font=font, size=size)
        c.endForm()
        c.saveState()
        c.translate(20, -100)
        c.doForm("block")
        c.restoreState()

    def tiny_print(c):
        pdfs.write(c, lines, font=font, size=4.5)

    pages = [(name, _page(draw)) for name, draw in [("dark colour", colored), ("white on dark", white_on_dark),
                                                    ("shaded box", shaded), ("caption on photo", caption_on_photo),
                                                    ("accents", accented), ("form XObject", in_form),
                                                    ("4.5 pt print", tiny_print)]]
    turned = pikepdf.open(io.BytesIO(born_digital_page(rng)))
    turned.pages[0].Rotate = rng.choice([90, 180, 270])
    out = io.BytesIO()
    turned.save(out)
    pages.append(("rotated page", out.getvalue()))
    family = rng.choice(["DejaVuSans", "DejaVuSerif"])
    no_map = pikepdf.open(io.BytesIO(pdfs.born_digital(text_lines(rng, 6, 440, family), font=family)))
    for f in no_map.pages[0].Resources.Font.values():
        if "/ToUnicode" in f and f.Subtype == "/TrueType":
            del f["/ToUnicode"]
    out = io.BytesIO()
    no_map.save(out)
    pages.append(("TrueType without ToUnicode", out.getvalue()))
    import wordfreq  # the train extra

    for lang in ("de", "fr", "cs", "fi"):
        words = wordfreq.top_n_list(lang, 5000)
        weights = [wordfreq.word_frequency(w, lang) for w in words]
        text, lines = rng.choices(words, weights=weights, k=300), []
        while text:
            line = text.pop()
            while text and stringWidth(f"{line} {text[-1]}", "DejaVuSans", 10) <= 460:
                line = f"{line} {text.pop()}"
            lines.append(line)
        pages.append((f"{lang} text (wordfreq)", _page(lambda c: pdfs.write(c, lines, font="DejaVuSans", size=10))))
    return pages


def lying_pages(rng: random.Random) -> list[tuple[str, bytes, list[str]]]:
    """Layers that lie, with the words a reader does not see (or that are wrong): none may be kept."""
    font, size = rng.choice(FONTS), rng.uniform(8, 14)
    lines = text_lines(rng, 3, 440, font, size)
    hidden = [f"zz{rng.randrange(10**6)}" for _ in range(3)]

    def visible(c):
        pdfs.write(c, lines, font=font, size=size)

    def hide(**kwargs):
        def draw(c):
            visible(c)
            pdfs.write(c, [" ".join(hidden)], top=500, font=font, size=kwargs.pop("size", size), **kwargs)
        return draw

    def near_white(c):
        hide(color=(0.97, 0.97, 0.97))(c)

    def redacted(c):
        hide()(c)
        c.setFillColorRGB(0, 0, 0)
        c.rect(60, 480, 500, 40, stroke=0, fill=1)

    def under_scan(c):
        hide()(c)
        c.drawImage(ImageReader(pdfs.scan_image(pdfs.SCAN)), 50, 400, 6 * 72, 1.6 * 72)

    def transparent(c):
        visible(c)
        c.setFillAlpha(0)
        pdfs.write(c, [" ".join(hidden)], top=500, font=font, size=size)

    pages = [(name, _page(draw), hidden) for name, draw in [
        ("invisible (mode 3)", hide(mode=3)), ("white on white", hide(color=(1, 1, 1))), ("near white", near_white),
        ("zero-size font", hide(size=0.01)), ("under an opaque image", under_scan), ("under a redaction box", redacted),
        ("fill alpha 0", transparent)]]
    poor = [w.replace("o", "0").replace("i", "1") for w in pdfs.words_of(pdfs.SCAN)]
    pages.append(("earlier OCR over a scan", pdfs.ocr_layer_over_scan(layer=[" ".join(poor)]), poor))
    pages.append(("Type 3 font, no ToUnicode", pdfs.type3(lines, size=size), []))
    accented = [f"{w}é" for w in rng.sample(VOCABULARY, 6)]
    pages.append(("mojibake ToUnicode", pdfs.mojibake([" ".join(accented)]),
                  [w.encode("utf-8").decode("cp1252") for w in accented]))
    shifted = [w for w in pdfs.words_of(lines) if w.isalpha()]
    lines = text_lines(rng, 10)
    pages.append(("letters shifted by the ToUnicode", pdfs.shifted(lines),
                  ["".join(chr(ord(ch) + 1) for ch in w) for w in shifted]))
    return pages


def detection(rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    caught, lying, alarms, good = Counter(), Counter(), Counter(), Counter()
    for _ in range(rounds):
        for name, data, lies in lying_pages(rng):
            plan = plan_page(next(layers(data)), "auto", DPI, ENGLISH)
            kept = {w.text for w in plan.words}
            lying[name] += 1
            # whole-page lies (Type 3) must not leave the page as it is; the others must drop their words
            caught[name] += (plan.use.path != "used") if not lies else not (kept & set(lies))
        for name, data in good_pages(rng):
            layer = next(layers(data))
            plan = plan_page(layer, "auto", DPI, ENGLISH)
            good[name] += 1
            images = all(r.reason == "image" for r in plan.use.regions)
            alarms[name] += len(plan.words) != len(layer.words) or not images or plan.use.path not in ("used", "mixed")
    print(f"  lying pages caught: {sum(caught.values())}/{sum(lying.values())}")
    for name in lying:
        print(f"    {name}: {caught[name]}/{lying[name]}")
    print(f"  false alarms on good pages: {sum(alarms.values())}/{sum(good.values())}")
    for name in good:
        print(f"    {name}: {alarms[name]}/{good[name]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, help="born-digital PDFs to compare with pdftotext and time")
    parser.add_argument("--pages", type=int, default=120, help="generated born-digital pages")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of generated lying and good pages")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    generated = pdfs.join(*(born_digital_page(rng) for _ in range(args.pages)))
    inputs = [("generated", generated), *((p.name, p.read_bytes()) for p in args.pdfs)]
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]} on {multiprocessing.cpu_count()} cores")
    print("1. words and boxes against pdftotext -bbox at 200 dpi")
    for name, data in inputs:
        compare_boxes(name, data)
    print("2. speed, models never loaded")
    for name, data in inputs:
        n, read, export, wall, start, words = speed(data)
        print(f"  {name}: {n} pages, {words / n:.0f} words a page; CPU per page: read + layout {read / n * 1000:.1f} ms, JSON export "
              f"{export / n * 1000:.1f} ms; one process {n / wall:.1f} pages/s (wall, export included; "
              f"docvision.load() {start:.1f} s before)")
    path = Path("/tmp/docvision-textlayer-bench.pdf")
    path.write_bytes(generated)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        walls = pool.map(_speed_worker, [str(path)] * 2)
    print(f"  two processes side by side, {args.pages} pages each: {2 * args.pages / max(walls):.1f} pages/s "
          "(wall, export included)")
    print(f"3. lying and good layers ({args.rounds} rounds)")
    detection(args.rounds, args.seed)


if __name__ == "__main__":
    main()
