"""Build what a lent GPU machine lacks: ``.gpu/`` for ``experiments/gpu/train.sh``, or with ``--bench``
``.gpu-bench/`` for ``experiments/gpu/bench.sh``.

The GPU machine has Python 3.12 with torch, torchvision, numpy, OpenCV, SciPy, PyYAML,
tqdm and safetensors, but no network, no fontconfig and none of: shapely, pyclipper,
lmdb, rapidfuzz, pdf2image, pypdfium2, wordfreq. ``.gpu/`` (ignored by git, ~50 MiB,
under the 64 MiB a device call carries) holds:

- ``.gpu/whl/``: Python 3.12 manylinux wheels of the compiled packages;
- ``.gpu/site/``: the pure-Python ones, wordfreq trimmed to the languages synth uses;
- ``.gpu/fonts/``: a budget-capped selection of the installed fonts, every family kept,
  with the ``fonts.tsv`` index that stands in for fontconfig.

``.gpu-bench/`` holds what ``docvision ocr`` and ``docvision bench`` import beyond that (:data:`BENCH`),
installed for Python 3.12 and packed as ``site.tar.xz`` (7 MiB; 11 as wheels), and ``funsd/``: the
first ``--funsd-pages`` pages of the FUNSD page folder in ``../shared/datasets/funsd-train`` (a
sibling folder never travels). It then says how much the device call would carry in all: the files
of the checkout that git does not ignore travel too, and the call is refused over 64 MiB.

Run ``make gpu-bundle`` or ``make gpu-bench-bundle`` (they call this with the project's virtualenv);
``--check`` (with ``--bench`` for ``.gpu-bench/``) only says whether a call carrying the bundle fits.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

from docvision.datasets.synth.fonts import find_fonts, write_font_index

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / ".gpu"
COMPILED = [
    "shapely==2.2.0", "pyclipper==1.4.0", "lmdb==3.0.0", "rapidfuzz==3.14.6", "wcwidth==0.9.4", "pypdfium2==5.15.2",
]
PURE = ["pdf2image==1.17.0", "wordfreq==3.1.1", "ftfy==6.3.1", "langcodes==3.5.1", "locate==1.1.1"]
BENCH = [
    "pypdfium2==5.15.2", "pdf2image==1.17.0", "ftfy==6.3.1", "wcwidth==0.9.4",  # docvision ocr
    "shapely==2.2.0", "rapidfuzz==3.14.6", "lmdb==3.0.0",  # the eval extra: docvision bench
]
BENCH_BUNDLE = ROOT / ".gpu-bench"
FUNSD = ROOT.parent / "shared" / "datasets" / "funsd-train"
DEVICE_LIMIT = 64 * 2**20
"""Bytes a device call carries at most: the checkout's files that git does not ignore, and the carried paths."""
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


def funsd(source: Path, target: Path, pages: int) -> int:
    """The first ``pages`` pages of the page folder ``source`` (``pages/<id>.png``, ``gt/<id>.json``) in ``target``."""
    ids = sorted(p.stem for p in (source / "pages").glob("*.png"))[:pages]
    if not ids:
        sys.exit(f"{source}: no pages/*.png (give the FUNSD page folder with --funsd)")
    for sub, suffix in (("pages", ".png"), ("gt", ".json")):
        (target / sub).mkdir(parents=True)
        for page in ids:
            shutil.copy(source / sub / f"{page}{suffix}", target / sub)
    return len(ids)


def total_bytes(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def travels(bundle: Path) -> bool:
    """Print what a device call carrying ``bundle`` sends (the checkout's files git does not ignore, and
    ``bundle``) against :data:`DEVICE_LIMIT`, naming the largest files when over; whether it fits."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    files = [ROOT / name for name in listed if name]
    checkout, carried = total_bytes(files), total_bytes(list(bundle.rglob("*")))
    mib = 2**20
    print(f"a device call carrying {bundle.name} sends {(checkout + carried) / mib:.1f} MiB "
          f"(checkout {checkout / mib:.1f}, {bundle.name} {carried / mib:.1f}) of at most {DEVICE_LIMIT / mib:.0f}")
    if checkout + carried <= DEVICE_LIMIT:
        return True
    print("over the limit: the call would be refused. The largest files of the checkout:")
    for path in sorted((f for f in files if f.is_file()), key=lambda f: f.stat().st_size, reverse=True)[:8]:
        print(f"  {path.stat().st_size / mib:6.1f} MiB  {path.relative_to(ROOT)}")
    return False


def bench(funsd_pages: int, funsd_dir: Path) -> bool:
    """Build ``.gpu-bench/`` (see the module's docstring); whether a device call carrying it fits."""
    shutil.rmtree(BENCH_BUNDLE, ignore_errors=True)
    BENCH_BUNDLE.mkdir()
    site = BENCH_BUNDLE / "site"
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    pip("install", "--no-deps", "--no-compile", "--only-binary=:all:", "--python-version", "3.12",
        "--implementation", "cp", *platforms, "--target", str(site), *BENCH)
    shutil.rmtree(site / "bin", ignore_errors=True)
    with tarfile.open(BENCH_BUNDLE / "site.tar.xz", "w:xz", preset=9) as tar:
        tar.add(site, arcname="site")
    shutil.rmtree(site)
    n = funsd(funsd_dir, BENCH_BUNDLE / "funsd", funsd_pages) if funsd_pages else 0
    print(f"{BENCH_BUNDLE}: {len(BENCH)} packages, {n} FUNSD pages")
    return travels(BENCH_BUNDLE)


def train() -> None:
    """Build ``.gpu/`` (see the module's docstring)."""
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
    print(f"{BUNDLE}: {n} fonts, {total_bytes(list(BUNDLE.rglob('*'))) / 2**20:.1f} MiB")
    travels(BUNDLE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="store_true", help="build .gpu-bench/ for experiments/gpu/bench.sh")
    parser.add_argument("--funsd-pages", type=int, default=8, help="FUNSD pages in .gpu-bench/ (default 8)")
    parser.add_argument("--funsd", type=Path, default=FUNSD, help=f"the FUNSD page folder (default {FUNSD})")
    parser.add_argument("--check", action="store_true", help="only say whether a call carrying the bundle fits")
    args = parser.parse_args()
    bundle = BENCH_BUNDLE if args.bench else BUNDLE
    if args.check:
        sys.exit(0 if travels(bundle) else 1)
    if not args.bench:
        train()
    elif not bench(args.funsd_pages, args.funsd):
        sys.exit(1)


if __name__ == "__main__":
    main()
