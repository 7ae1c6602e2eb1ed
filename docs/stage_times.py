"""Time per page of each pipeline stage on a letter-size page at the default 200 DPI.

Run from the repository root: ``python docs/stage_times.py [--threads N]``. Prints a
Markdown table (median and range over 3 runs after a warm-up). Recognition, layout and
export run on the ground-truth words of a generated article page, so their cost matches a
real page whatever weights are installed (untrained detectors find arbitrary boxes).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import docvision
from docvision.config import PostprocessConfig
from docvision.datasets.synth import SynthConfig, SyntheticPages
from docvision.detection.detector import content_box, pad_and_normalize, scale_to_fit
from docvision.detection.postprocess import detect_boxes
from docvision.document import Document, Page, Word
from docvision.io import open_pages
from docvision.layout import arrange
from docvision.recognition.crops import crop_polygon

SAMPLE = "data/samples/letter.pdf"


def timed(fn: Callable[[], object], repeats: int = 3) -> tuple[float, float, float]:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ocr = docvision.load(device="cpu")
    image = next(open_pages(SAMPLE, dpi=200)).image
    scaled, _ = scale_to_fit(image, ocr.detector.max_side, ocr.config.det_max_upscale)
    x0, y0, x1, y1 = content_box(scaled)
    array = pad_and_normalize(scaled[y0:y1, x0:x1])
    x = torch.from_numpy(array)[None].contiguous(memory_format=torch.channels_last)
    prob, _ = ocr.detector.probability_map(image)

    page = SyntheticPages(1, seed=4, config=SynthConfig(dpi=200, layouts={"article": 1}))[0]
    polygons = [w.polygon for w in page.words if not w.ignore]
    crops = [crop_polygon(page.image, p) for p in polygons]
    words = [
        Word("w", (float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())),
             [(float(a), float(b)) for a, b in p], 0.9)
        for p in polygons
    ]
    document = Document("page", ocr.models, [Page(0, page.image.shape[1], page.image.shape[0], 200, arrange(words))])

    def forward() -> None:
        with torch.inference_mode():
            ocr.detector.model(x)

    n = len(polygons)
    stages = {
        "rasterize (pdfium, 200 dpi)": lambda: next(open_pages(SAMPLE, dpi=200, renderer="pdfium")),
        "rasterize (pdftoppm, 200 dpi)": lambda: next(open_pages(SAMPLE, dpi=200, renderer="poppler")),
        f"detect: forward {array.shape[2]} x {array.shape[1]} (content of {scaled.shape[1]} x {scaled.shape[0]})": forward,
        "detect: post-processing": lambda: detect_boxes(prob, PostprocessConfig()),
        f"recognize: {n} word crops": lambda: [crop_polygon(page.image, p) for p in polygons],
        f"recognize: CRNN on {n} words": lambda: ocr.recognizer.recognize(crops),
        f"layout ({n} words)": lambda: arrange(words),
        "export JSON": lambda: document.export("json"),
    }
    print(f"models: {ocr.models}; {args.threads} threads\n\n| stage | ms per page | range |\n|---|---|---|")
    for name, fn in stages.items():
        median, low, high = timed(fn)
        print(f"| {name} | {median * 1000:.0f} | {low * 1000:.0f}-{high * 1000:.0f} |")


if __name__ == "__main__":
    main()
