"""Where the end-to-end F1 of labeled pages is lost: each ground-truth word read, misread (case,
signs, letters) or not matched, and why not (joined with touching or spaced neighbours, split,
box too large or small, partly found, missed); see ``docvision.evaluation.breakdown.end_to_end_losses``.

    python docs/e2e_breakdown.py ../shared/datasets/funsd-train --every 5 [--variant scale0.5] [--weights DIR] [--threads 2]

``--variant`` transforms each page first, as ``docs/page_variants.py`` does (``scale0.5``: issue 18's half size).

Printed: a table of kinds with their share of the ground-truth words, then a few examples of each
(the label, and what the boxes over it read).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict

import numpy as np
import torch

import docvision
from docvision.datasets.formats import open_labeled
from docvision.evaluation.breakdown import end_to_end_losses
from docvision.evaluation.metrics import overlap_matrices
from page_variants import variant  # docs/, this script's folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--every", type=int, default=1, help="every Nth page (default all)")
    parser.add_argument("--weights", help="weights folder (default: the package's)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--examples", type=int, default=6, help="examples printed per kind")
    parser.add_argument("--variant", default="native", help="a page_variants.py variant, e.g. scale0.5")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ocr = docvision.load(args.weights, device="cpu")
    pages = open_labeled(args.dataset)
    kinds: Counter[str] = Counter()
    examples: defaultdict[str, list[str]] = defaultdict(list)
    for i in range(0, len(pages), args.every):
        page, _ = variant(pages[i], args.variant)
        pred = [(np.asarray(w.polygon, np.float32), w.text) for w in ocr.ocr_image(page.image).words()]
        gt = [(w.polygon, w.text, w.ignore) for w in page.words]
        inter, _ = overlap_matrices([p for p, _ in pred], [g for g, _, _ in gt])
        for kind, g in end_to_end_losses(pred, gt):
            kinds[kind] += 1
            if kind != "read" and len(examples[kind]) < args.examples:
                reads = [pred[p][1] for p in np.nonzero(inter[:, g] > 0)[0]]
                examples[kind].append(f"{gt[g][1]!r} -> {' | '.join(map(repr, reads)) or 'nothing'}")
    total = sum(kinds.values())
    print(f"{total} ground-truth words on {len(range(0, len(pages), args.every))} pages\n")
    print("| what became of the word | words | share |\n|---|---|---|")
    for kind, n in kinds.most_common():
        print(f"| {kind} | {n} | {n / total:.1%} |")
    for kind, lines in examples.items():
        print(f"\n{kind}: " + "; ".join(lines))


if __name__ == "__main__":
    main()
