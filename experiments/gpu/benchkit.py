"""The two pieces of ``experiments/gpu/bench.sh`` that are easier in Python.

``inputs DIR N DPI``: ``N`` generated inputs in ``DIR`` for ``docvision ocr DIR --jobs J``, a mix as
users send them: image PDFs of one and of three letter pages, PNG and JPEG scans (the
pages of :mod:`docvision.evaluation.pages` at ``DPI``); prints the number of pages.

``collect OUT RUNS``: the bench reports (``RUNS/bench-*.json``) and the ``docvision ocr`` runs
(``RUNS/ocr.jsonl``: one line per run, its output folder counted here) in ``OUT/results.json``, and
a table of pages/s per run appended to ``OUT/summary.txt``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image

from docvision.evaluation.pages import generate_pages, write_pdf

KINDS = ("pdf1", "png", "pdf3", "jpg")


def inputs(folder: Path, count: int, dpi: int) -> int:
    """Write ``count`` inputs cycling through :data:`KINDS` (8 distinct pages, reused); their pages."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = generate_pages(8, dpi=dpi)
    total = 0
    for i in range(count):
        kind, page = KINDS[i % len(KINDS)], pages[i % len(pages)]
        if kind.startswith("pdf"):
            n = int(kind[3:])
            write_pdf([pages[(i + k) % len(pages)] for k in range(n)], folder / f"input-{i:03d}.pdf", dpi=dpi)
        else:
            n = 1
            Image.fromarray(page.image).save(folder / f"input-{i:03d}.{kind}", dpi=(dpi, dpi))
        total += n
    return total


def _pages(folder: Path) -> int:
    """Pages in the JSON results of a ``docvision ocr`` output folder."""
    return sum(len(json.loads(path.read_text())["pages"]) for path in folder.glob("*.json"))


def collect(out: Path, runs: Path) -> None:
    benches = {path.stem.removeprefix("bench-"): json.loads(path.read_text())
               for path in sorted(runs.glob("bench-*.json"))}
    ocr = []
    log = runs / "ocr.jsonl"
    for line in log.read_text().splitlines() if log.exists() else []:
        run = json.loads(line)
        run["seconds"] = run.pop("ms") / 1000
        run["pages"] = _pages(Path(run["output"]))
        run["pages_per_s"] = run["pages"] / run["seconds"] if run["seconds"] > 0 else None
        ocr.append(run)
    (out / "results.json").write_text(json.dumps({"bench": benches, "ocr": ocr}, indent=1))

    def row(run: str, pages: int, rate: float | None) -> str:
        return f"{run:<40} {pages:>5} {'-' if rate is None else f'{rate:.2f}':>8}"

    rows = [f"{'run':<40} {'pages':>5} {'pages/s':>8}"]
    for name, report in benches.items():
        engine = report["engines"][0]
        rows.append(row(f"bench {name}", engine["pages"], engine["pages_per_s"]["median"]))
        if "memory" in report:
            memory = report["memory"]
            rows.append(row("  --long-pdf through iter_pages", memory["pages"], memory["pages_per_s"]))
    for run in ocr:
        rows.append(row(f"ocr --jobs {run['jobs']} (exit {run['exit']}, {run['seconds']:.0f} s wall)", run["pages"],
                        run["pages_per_s"]))
    with (out / "summary.txt").open("a") as summary:
        summary.write("\n".join(["", "== pages/s (bench: median over repeats; ocr: pages over the command's wall time)",
                                 *rows, ""]))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "inputs":
        print(inputs(Path(args[0]), int(args[1]), int(args[2])))
    elif command == "collect":
        collect(Path(args[0]), Path(args[1]))
    else:
        sys.exit(f"unknown command {command!r}: inputs DIR N DPI | collect OUT RUNS")
