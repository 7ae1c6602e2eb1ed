"""End-to-end scores and time of the pipeline on labeled pages turned, scaled, cropped or skewed.

Run from the repository root, e.g. ``python docs/page_variants.py /work/shared/datasets/funsd-train
--every 5 --variants native turn90 turn180 turn270``. Each variant transforms every selected page
and its ground truth, then reads it with ``ocr_image``; printed per variant: pages, end-to-end F1
(exact and case-insensitive), page CER, how often ``orientation`` came out right (turned variants),
detector passes and seconds per page. ``--compare-off`` also reads each page with orientation, deskew and the
letter-size scale turned off (alternating which goes first), for the time they add; ``--config`` reads with
other pipeline settings (a YAML file, as for ``docvision ocr``); ``--repeats R`` reads
each page R times per pipeline, alternating, and counts its fastest read (steadier on a shared machine).

Variants: ``native``; ``turnN`` (N = 90, 180, 270: the page turned N degrees counter-clockwise);
``scaleF`` (the page resized by F, e.g. ``scale2``, ``scale0.5``); ``thirdF`` (the middle third of
the page's height resized by F: a small image of large text); ``skewD`` (rotated D degrees
counter-clockwise onto a larger white canvas, e.g. ``skew10``, ``skew-10``). Words cut by a crop are
ignored in the scores.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import replace

import cv2
import numpy as np
import torch

import docvision
from docvision.datasets.formats import open_labeled
from docvision.detection.detector import Detector
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.evaluation.evaluate import reference_text
from docvision.evaluation.metrics import Counts, EndToEnd, TextErrors, end_to_end, page_text_errors
from docvision.geometry import quarter_turns, rotate_image, transform, turn_image


def variant(page: LabeledPage, name: str) -> tuple[LabeledPage, int]:
    """``page`` transformed as ``name`` says, and the orientation the pipeline should report."""
    image, words = page.image, page.words
    h, w = image.shape[:2]
    if match := re.fullmatch(r"turn(90|180|270)", name):
        turns = int(match.group(1)) // 90
        matrix = quarter_turns((w, h), turns)
        moved = [replace(x, polygon=transform(x.polygon, matrix).astype(np.float32)) for x in words]
        return LabeledPage(page.id, turn_image(image, turns), moved, page.ordered), 90 * turns
    if match := re.fullmatch(r"(scale|third)([\d.]+)", name):
        factor = float(match.group(2))
        if match.group(1) == "third":
            top, bottom = h // 3, 2 * h // 3
            image = image[top:bottom]
            words = [_cropped(x, top, bottom) for x in words if x.polygon[:, 1].max() > top and x.polygon[:, 1].min() < bottom]
        size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
        scaled = cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
        moved = [replace(x, polygon=(x.polygon * factor).astype(np.float32)) for x in words]
        return LabeledPage(page.id, scaled, moved, page.ordered), 0
    if match := re.fullmatch(r"skew(-?[\d.]+)", name):
        rotated, matrix = rotate_image(image, float(match.group(1)), (255, 255, 255))
        moved = [replace(x, polygon=transform(x.polygon, matrix).astype(np.float32)) for x in words]
        return LabeledPage(page.id, rotated, moved, page.ordered), 0
    if name != "native":
        raise SystemExit(f"unknown variant {name!r}")
    return page, 0


def _cropped(word: LabeledWord, top: int, bottom: int) -> LabeledWord:
    inside = word.polygon[:, 1].min() >= top and word.polygon[:, 1].max() <= bottom
    return replace(word, polygon=word.polygon - np.float32([0, top]), ignore=word.ignore or not inside)


def read(ocr, page: LabeledPage, reference: str) -> tuple[EndToEnd, TextErrors, int, float]:
    start = time.perf_counter()
    result = ocr.ocr_image(page.image)
    seconds = time.perf_counter() - start
    words = [(np.asarray(w.polygon, np.float32), w.text) for w in result.words()]
    e2e = end_to_end(words, [(w.polygon, w.text, w.ignore) for w in page.words])
    return e2e, page_text_errors(result.text, reference), result.orientation, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--variants", nargs="+", default=["native"])
    parser.add_argument("--every", type=int, default=1, help="every Nth page (default all)")
    parser.add_argument("--limit", type=int, help="at most this many pages")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", help="pipeline config YAML (default: the package's settings)")
    parser.add_argument("--weights", help="weights folder (default: the package's)")
    parser.add_argument("--compare-off", action="store_true", help="also time the pipeline without orientation/deskew/scale")
    parser.add_argument("--repeats", type=int, default=1, help="reads per page and pipeline; the fastest counts")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ocr = docvision.load(args.weights, device="cpu", config=args.config)
    passes = [0]
    forward = ocr.detector.page_probabilities  # every detection pass goes through it: counted
    ocr.detector.page_probabilities = lambda pages: passes.__setitem__(0, passes[0] + len(pages)) or forward(pages)
    off = None
    if args.compare_off:
        config = replace(ocr.config, orientation=False, deskew=False, det_max_letter=0)
        d = ocr.detector  # a copy of it, which the pass counter patched above does not count
        detector = Detector(d.model, max_side=d.max_side, max_upscale=d.max_upscale, postprocess=d.postprocess,
                            mean=d.mean, std=d.std)
        off = docvision.OCRPipeline(detector, ocr.recognizer, config, ocr.models)
    pages = open_labeled(args.dataset)
    indices = list(range(0, len(pages), args.every))[: args.limit]
    print("| variant | pages | e2e F1 | e2e F1 nocase | page CER | orientation right | passes/page | s/page |"
          + (" s/page off | F1 nocase off |" if off else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if off else ""))
    for name in args.variants:
        e2e, text, right, seconds = EndToEnd(Counts(), Counts()), TextErrors(), 0, 0.0
        e2e_off, seconds_off = EndToEnd(Counts(), Counts()), 0.0
        passes[0] = 0
        for n, i in enumerate(indices):
            original = pages[i]
            page, expected = variant(original, name)
            reference = reference_text(original if name.startswith(("turn", "skew")) else page)
            runs = [(ocr, False), (off, True)] if off else [(ocr, False)]
            results: dict[bool, tuple[EndToEnd, TextErrors, int, float]] = {}
            for r in range(args.repeats):
                for pipeline, is_off in runs if (n + r) % 2 == 0 else runs[::-1]:
                    scores, errors, orientation, spent = read(pipeline, page, reference)
                    results[is_off] = scores, errors, orientation, min(spent, results.get(is_off, (0, 0, 0, spent))[3])
            for is_off, (scores, errors, orientation, spent) in results.items():
                if is_off:
                    e2e_off, seconds_off = e2e_off + scores, seconds_off + spent
                else:
                    e2e, text, seconds = e2e + scores, text + errors, seconds + spent
                    right += orientation == expected
        row = (f"| {name} | {len(indices)} | {e2e.exact.f1:.4f} | {e2e.nocase.f1:.4f} | {text.cer:.4f} | "
               f"{right}/{len(indices)} | {passes[0] / len(indices) / args.repeats:.2f} | "
               f"{seconds / len(indices):.2f} |")
        if off:
            row += f" {seconds_off / len(indices):.2f} | {e2e_off.nocase.f1:.4f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
