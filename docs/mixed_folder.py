"""A folder of mixed inputs for `docvision ocr --jobs` timings (docs/benchmarks.md): FUNSD PNG scans,
FUNSD pages saved as JPEG, and one-page PDFs of generated letters (40 files by default: 20, 10, 10).

    python docs/mixed_folder.py /tmp/f40 [--funsd ../shared/datasets/funsd-train] [--scans 20 --photos 10 --letters 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from docvision.evaluation.pages import generate_pages, write_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--funsd", type=Path, default=Path("../shared/datasets/funsd-train"))
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--letters", type=int, default=10)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    images = sorted(args.funsd.rglob("*.png"))[: args.scans + args.photos]
    for i, path in enumerate(images):
        image = Image.open(path).convert("RGB")
        if i < args.scans:
            image.save(args.out / f"scan{i:02d}.png")
        else:
            image.save(args.out / f"photo{i:02d}.jpg", quality=90)
    for i, page in enumerate(generate_pages(args.letters, dpi=200)):
        write_pdf([page], args.out / f"letter{i:02d}.pdf", dpi=200)
    print(f"{args.out}: {len(list(args.out.iterdir()))} files")


if __name__ == "__main__":
    main()
