"""Build ``.gpu/``: what a lent GPU machine lacks for ``configs/gpu/train.sh``.

The GPU machine has Python 3.12 with torch, torchvision, numpy, OpenCV, SciPy, PyYAML,
tqdm and safetensors, but no network, no fontconfig and none of: shapely, pyclipper,
lmdb, rapidfuzz, pdf2image, pypdfium2, wordfreq. This writes (ignored by git, ~50 MiB,
under the 64 MiB a device call carries):

- ``.gpu/whl/``: Python 3.12 manylinux wheels of the compiled packages;
- ``.gpu/site/``: the pure-Python ones, wordfreq trimmed to the languages synth uses;
- ``.gpu/fonts/``: a budget-capped selection of the installed fonts, every family kept,
  with the ``fonts.tsv`` index that stands in for fontconfig.

Run ``make gpu-bundle`` (it calls this with the project's virtualenv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from docvision.datasets.synth.fonts import find_fonts, write_font_index

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / ".gpu"
COMPILED = [
    "shapely==2.2.0", "pyclipper==1.4.0", "lmdb==3.0.0", "rapidfuzz==3.14.6", "wcwidth==0.9.4", "pypdfium2==5.15.2",
]
PURE = ["pdf2image==1.17.0", "wordfreq==3.1.1", "ftfy==6.3.1", "langcodes==3.5.1", "locate==1.1.1"]
LANGUAGES = ("en", "fr", "de", "es")
FONT_BUDGET = 30_000_000
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True)


def fonts(target: Path) -> int:
    """Copy fonts round-robin over families, smallest files first, up to the budget."""
    by_family: dict[str, list[Path]] = defaultdict(list)
    for font in find_fonts():
        by_family[font.family].append(Path(font.path))
    queues = [sorted(paths, key=os.path.getsize) for _, paths in sorted(by_family.items())]
    used = copied = 0
    while any(queues):
        for queue in queues:
            if queue and used + os.path.getsize(queue[0]) <= FONT_BUDGET:
                path = queue.pop(0)
                shutil.copy(path, target / f"{copied:03d}-{path.name}")
                used += os.path.getsize(path)
                copied += 1
            elif queue:
                queue.clear()
    write_font_index(target)
    return copied


def main() -> None:
    shutil.rmtree(BUNDLE, ignore_errors=True)
    for sub in ("whl", "site", "fonts"):
        (BUNDLE / sub).mkdir(parents=True)
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    pip("download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
        *platforms, "-d", str(BUNDLE / "whl"), *COMPILED)
    pip("install", "--no-deps", "--no-compile", "--target", str(BUNDLE / "site"), *PURE)
    data = BUNDLE / "site" / "wordfreq" / "data"
    for path in data.iterdir():
        if not path.name.endswith(tuple(f"_{lang}.msgpack.gz" for lang in LANGUAGES)):
            path.unlink()
    shutil.rmtree(BUNDLE / "site" / "bin", ignore_errors=True)
    n = fonts(BUNDLE / "fonts")
    size = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file())
    print(f"{BUNDLE}: {n} fonts, {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
