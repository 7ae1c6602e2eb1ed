"""Time of the recognize stage on the ground-truth word crops of a labeled page folder.

    python docs/rec_speed.py data/synth-examples [--threads 2] [--repeats 7] [--rec-runtime int8|onnx|torch]

Prints the crop count, the median (min-max) time of ``recognizer.recognize`` over all crops after a
warm-up, and the word accuracy. It uses only APIs older checkouts have too, so the same script times
another checkout in one sitting: ``PYTHONPATH=/path/to/old/checkout python docs/rec_speed.py ...``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import docvision
from docvision.config import PipelineConfig
from docvision.datasets.formats import open_labeled
from docvision.recognition.crops import crop_polygon


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", help="labeled page folder (pages/ + gt/), FUNSD, ...")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rec-runtime", help="the pipeline's rec_runtime (default: its default)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = PipelineConfig(rec_runtime=args.rec_runtime) if args.rec_runtime else None
    ocr = docvision.load(device="cpu", config=config)
    crops, truth = [], []
    dataset = open_labeled(args.pages)
    for i in range(len(dataset)):
        page = dataset[i]
        for w in page.words:
            if not w.ignore and w.text:
                crops.append(crop_polygon(page.image, w.polygon))
                truth.append(w.text)
    read = ocr.recognizer.recognize(crops)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        ocr.recognizer.recognize(crops)
        times.append(time.perf_counter() - start)
    accuracy = sum(text == t for (text, _), t in zip(read, truth)) / len(truth)
    print(f"{docvision.__file__} {ocr.models['recognizer']}: {len(crops)} crops, {statistics.median(times) * 1000:.0f} ms "
          f"({min(times) * 1000:.0f}-{max(times) * 1000:.0f}), word accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
