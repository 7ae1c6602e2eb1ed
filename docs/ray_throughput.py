"""Throughput of the Ray integration on this machine: N generated letter pages at 200 dpi (dense 10-12 pt
text, ~470 words; one PDF each) OCRed by 1 and by 2 CPU actors (1 thread each) on a local Ray. Pages/s
is counted between the first and the last document done, so the actors' start (models loading) is
apart; the wall time includes it.

    python docs/ray_throughput.py --pages 12
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ray

from docvision.evaluation.pages import generate_pages, write_pdf
from docvision.integrations.ray import OCRPages, documents


def measure(paths: list[str], actors: int) -> tuple[float, float, float]:
    """(wall seconds, seconds to the first document, pages/s after it)"""
    start = time.monotonic()
    files = ray.data.from_items([{"path": p} for p in paths])
    pages = files.map_batches(OCRPages, fn_constructor_kwargs={"device": "cpu", "threads": 1}, batch_size=1,
                              concurrency=actors, num_cpus=1)
    done = [time.monotonic() for _, text, _ in documents(pages.iter_rows()) if text]
    first = done[0] - start
    return done[-1] - start, first, (len(done) - 1) / (done[-1] - done[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="docvision-ray-"))
    paths = [str(write_pdf([page], folder / f"{page.id}.pdf", dpi=200))
             for page in generate_pages(args.pages, seed=500)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for actors in (1, 2):
        wall, first, rate = measure(paths, actors)
        print(f"{actors} actor(s): {args.pages} pages, wall {wall:.1f} s (first document after {first:.1f} s), "
              f"{rate:.3f} pages/s after the first")


if __name__ == "__main__":
    main()
