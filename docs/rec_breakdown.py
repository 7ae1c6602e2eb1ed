"""Recognition error breakdown of a weights folder on three sets of ground-truth word crops
(tables for the model card; see docvision.evaluation.breakdown):

* ``synth``: the training configs' synthetic validation pages (8 pages, seed 100000, 150 dpi);
* ``fonts``: clean words in every installed font family (regular style) at 8, 11 and 14 pt
  rendered at 150, 200 and 300 dpi, cropped at their ink box plus a little margin;
* ``funsd``: FUNSD's ground-truth crops (every ``--funsd-every``-th page); ``funsdF`` (e.g.
  ``funsd0.5``): the same from the pages resized by F with area averaging (issue 18's small print).

    python docs/rec_breakdown.py [--weights DIR] [--config pipeline.yaml] [--sets synth,fonts,funsd]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from docvision.datasets.formats import open_labeled
from docvision.datasets.synth.fonts import find_fonts, load_font
from docvision.datasets.synth.generator import SynthConfig, SyntheticPages
from docvision.datasets.synth.text import TextSource
from docvision.evaluation.breakdown import Reading, accuracy_by, height_bin, tables, word_kinds
from docvision.pipeline import load
from docvision.recognition.crops import crop_polygon
from page_variants import variant  # docs/, this script's folder

FUNSD = Path(__file__).resolve().parents[2] / "shared/datasets/funsd-train"


Crops = list[tuple[np.ndarray, str, tuple[str, ...]]]
"""A set of ground-truth crops: image, text and tags (set, font, size, ...)."""


def page_crops(pages, tag: str) -> Crops:
    return [(crop_polygon(page.image, w.polygon), w.text, (tag,)) for page in pages for w in page.words
            if not w.ignore and w.text]


def font_crops(words_per_font: int = 30) -> Crops:
    text = TextSource()
    rng = np.random.default_rng(7)
    words = [t for t in " ".join(text.sentence(rng, 60)).split(" ") if t][:words_per_font]
    regular = {}
    for f in find_fonts():
        if not (f.bold or f.italic or f.handwriting) and f.family not in regular:
            regular[f.family] = f
    crops = []
    for family, info in sorted(regular.items()):
        for pt in (8, 11, 14):
            for dpi in (150, 200, 300):
                px = round(pt * dpi / 72)
                font = load_font(info.path, px)
                tags = (f"font: {family}", f"size: {pt} pt", f"dpi: {dpi}")
                for word in (w for w in words if info.covers(w)):
                    left, top, right, bottom = font.getbbox(word)
                    pad = max(2, round(0.15 * px))
                    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
                    ImageDraw.Draw(image).text((pad - left, pad - top), word, font=font, fill=0)
                    crops.append((np.asarray(image.convert("RGB")), word, tags))
    return crops


def readings(recognizer, crops: Crops) -> list[Reading]:
    reads = recognizer.recognize([c for c, _, _ in crops])
    return [Reading(truth, read, c.shape[0], tags) for (c, truth, tags), (read, _) in zip(crops, reads)]


class PPOCRReader:
    """PP-OCR's recognizer behind the ``recognize(crops)`` of docvision's: ``[(text, confidence)]``."""

    def __init__(self, threads: int) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR(params={
            "Global.use_det": False, "Global.use_cls": False, "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        })

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        out = []
        for crop in crops:  # RGB in, BGR for RapidOCR
            result = self.engine(np.ascontiguousarray(crop[:, :, ::-1]), use_det=False, use_cls=False)
            out.append((result.txts[0], float(result.scores[0])) if result.txts else ("", 0.0))
        return out


SIGNS = "%$&@#+*()'\"/-:.,"


def side_by_side(ours: list[Reading], theirs: list[Reading]) -> str:
    """Accuracy of both readers by kind, height and sign, and how many words each alone reads right."""
    groups = {
        "kind": lambda r: word_kinds(r.truth),
        "height": lambda r: [height_bin(r.height)],
        "sign": lambda r: sorted({f"`{c}`" for c in r.truth if c in SIGNS}),
    }
    both = sum(a.read == a.truth and b.read == b.truth for a, b in zip(ours, theirs))
    only_ours = sum(a.read == a.truth != b.read for a, b in zip(ours, theirs))
    only_theirs = sum(b.read == b.truth != a.read for a, b in zip(ours, theirs))
    out = [f"both right {both}, docvision only {only_ours}, PP-OCR only {only_theirs} of {len(ours)}", ""]
    for key, group in groups.items():
        mine = {g: (n, acc) for g, n, acc in accuracy_by(ours, group)}
        out += [f"| {key} | words | docvision | PP-OCR |", "|---|---|---|---|"]
        out += [f"| {g} | {n} | {mine[g][1]:.1%} | {acc:.1%} |" for g, n, acc in accuracy_by(theirs, group)]
        out.append("")
    return "\n".join(out)


def markdown(name: str, readings: list[Reading]) -> str:
    t = tables(readings)
    ok = sum(r.read == r.truth for r in readings)
    out = [f"### {name}: {len(readings)} words, accuracy {ok / max(len(readings), 1):.1%}", ""]
    for key in ("kind", "height", "tag"):
        rows = t[key] if key != "tag" else sorted(t[key], key=lambda row: row[2])
        if not rows:
            continue
        out += [f"| {key} | words | accuracy |", "|---|---|---|"]
        out += [f"| {g} | {n} | {acc:.1%} |" for g, n, acc in rows]
        out.append("")
    out += ["| edit (truth -> read) | count |", "|---|---|"]
    out += [f"| `{e}` | {n} |" for e, n in t["edits"]]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sets", default="synth,fonts,funsd", help="comma-separated: synth, fonts, funsd, funsdF")
    parser.add_argument("--funsd-every", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write every reading here")
    parser.add_argument("--rapidocr", action="store_true", help="PP-OCR's recognizer beside it (pip install 'docvision[compare]')")
    args = parser.parse_args()
    pipeline = load(args.weights, config=args.config, threads=args.threads)
    ppocr = PPOCRReader(args.threads) if args.rapidocr else None
    sets = {}
    for name in args.sets.split(","):
        if name == "synth":
            pages = SyntheticPages(8, seed=100_000, config=SynthConfig(dpi=(150.0, 150.0)))  # as the training configs give it
            crops = page_crops((pages[i] for i in range(len(pages))), "synth")
        elif name == "fonts":
            crops = font_crops()
        elif match := re.fullmatch(r"funsd([\d.]*)", name):
            pages = open_labeled(FUNSD)
            every = range(0, len(pages), args.funsd_every)
            crops = page_crops((variant(pages[i], f"scale{match[1]}")[0] if match[1] else pages[i] for i in every), name)
        else:
            parser.error(f"unknown set {name!r}")
        sets[name] = readings(pipeline.recognizer, crops)
        print(markdown(name, sets[name]), flush=True)
        if ppocr is not None:
            print(f"### {name}: docvision beside PP-OCR\n\n{side_by_side(sets[name], readings(ppocr, crops))}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({k: [r.__dict__ for r in v] for k, v in sets.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
