"""``docvision synth`` and ``docvision data show|pack``.

Command bodies import what they need, so building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``synth`` and ``data`` commands to the ``docvision`` parser."""
    p = subparsers.add_parser(
        "synth",
        help="generate synthetic labeled pages or word crops",
        description="Generate synthetic document pages with word and line labels.",
    )
    p.add_argument("out", type=Path, help="output page folder, or an .lmdb path")
    p.add_argument("--pages", type=int, default=100, help="number of pages (default 100)")
    p.add_argument("--seed", type=int, default=0, help="page i of seed s is always the same (default 0)")
    p.add_argument("--start", type=int, default=0, help="first page index (to extend a set; default 0)")
    p.add_argument(
        "--dpi",
        type=float,
        nargs="+",
        default=[150.0],
        metavar="DPI",
        help="resolution, or a LOW HIGH range drawn per page (default 150)",
    )
    p.add_argument("--page-size", default="letter", choices=["letter", "a4", "legal"])
    p.add_argument(
        "--kind",
        default="pages",
        choices=["pages", "words", "lines"],
        help="pages (page folder, or detection LMDB if OUT ends in .lmdb) or word/line crops (recognition LMDB)",
    )
    p.add_argument(
        "--jitter", type=float, default=0.15, help="crop box jitter, fraction of the text height (default 0.15)"
    )
    p.add_argument("--clean", action="store_true", help="no degradations and no skew")
    p.add_argument("--font-dir", help="use the fonts in this folder instead of fontconfig's")
    p.set_defaults(func=_synth, extra="train")

    data = subparsers.add_parser(
        "data", help="inspect or convert labeled data", description="Inspect or convert labeled data."
    )
    sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    s = sub.add_parser("show", help="draw ground truth (and DB targets) of a page into a PNG")
    s.add_argument(
        "src", type=Path, help="page folder, FUNSD, images/+labels.json, ICDAR-2015 folder or detection LMDB"
    )
    s.add_argument("--index", type=int, default=0, help="page index (default 0)")
    s.add_argument("-o", "--output", type=Path, required=True, help="PNG to write")
    s.add_argument("--no-targets", action="store_true", help="boxes only, without shrink/threshold maps")
    s.set_defaults(func=_show, extra="train")
    k = sub.add_parser("pack", help="convert any supported source into an LMDB")
    k.add_argument("src", type=Path)
    k.add_argument("out", type=Path, help="LMDB folder to write")
    k.add_argument(
        "--kind",
        default="detection",
        choices=["detection", "words"],
        help="pages (detection) or word crops (recognition); crop sources are always packed as crops",
    )
    k.add_argument(
        "--jitter", type=float, default=0.0, help="word crop box jitter, fraction of the text height (default 0)"
    )
    k.add_argument("--seed", type=int, default=0, help="seed of the jitter")
    k.set_defaults(func=_pack, extra="train")


def _synth(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from docvision.datasets.labeled_crops import labeled_crops
    from docvision.datasets.labels import write_page
    from docvision.datasets.lmdb_store import write_detection_lmdb, write_recognition_lmdb
    from docvision.datasets.synth.generator import SynthConfig, SyntheticPages

    if len(args.dpi) > 2:
        log.error("--dpi takes one value or a LOW HIGH range")
        return 2
    dpi = float(args.dpi[0]) if len(args.dpi) == 1 else (float(args.dpi[0]), float(args.dpi[1]))
    config = SynthConfig(page_size=args.page_size, dpi=dpi, degrade=not args.clean, font_dir=args.font_dir)
    dataset = SyntheticPages(args.start + args.pages, args.seed, config)
    quiet = args.quiet or None  # tqdm's None: a bar on terminals only
    indices = tqdm(range(args.start, args.start + args.pages), desc="synth", unit="page", disable=quiet)
    if args.kind == "pages" and args.out.suffix != ".lmdb":
        for i in indices:
            synth = dataset.generate(i)
            write_page(args.out, synth.page, synth.lines)
        log.info("wrote %d pages to %s", args.pages, args.out)
        return 0
    if args.kind == "pages":
        n = write_detection_lmdb(args.out, (dataset[i] for i in indices))
        log.info("wrote %d pages to %s", n, args.out)
        return 0

    def crops():
        for i in indices:
            synth = dataset.generate(i)
            rng = np.random.default_rng([args.seed, i, 1])
            yield from labeled_crops(synth.page, rng, args.jitter, synth.lines if args.kind == "lines" else None)

    n = write_recognition_lmdb(args.out, crops())
    log.info("wrote %d %s crops to %s", n, args.kind[:-1], args.out)
    return 0


def _show(args: argparse.Namespace) -> int:
    from docvision.datasets.labels import encode_image
    from docvision.datasets.show import label_sheet
    from docvision.datasets.formats import open_labeled

    pages = open_labeled(args.src)
    if not 0 <= args.index < len(pages):
        log.error("%s: index %d out of range (%d pages)", args.src, args.index, len(pages))
        return 2
    page = pages[args.index]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(encode_image(label_sheet(page, with_targets=not args.no_targets)))
    log.info(
        "%s: page %s, %d words (%d ignored) -> %s",
        args.src,
        page.id,
        len(page.words),
        sum(w.ignore for w in page.words),
        args.output,
    )
    return 0


def _pack(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from docvision.datasets.labeled_crops import labeled_crops
    from docvision.datasets.lmdb_store import write_detection_lmdb, write_recognition_lmdb
    from docvision.datasets.formats import CROP_READERS, open_crops, open_labeled, sniff_format

    fmt = sniff_format(args.src)
    quiet = args.quiet or None  # tqdm's None: a bar on terminals only
    if fmt in CROP_READERS:
        crops = open_crops(args.src)
        n = write_recognition_lmdb(
            args.out, tqdm((crops[i] for i in range(len(crops))), total=len(crops), desc="pack", unit="crop", disable=quiet)
        )
    else:
        pages = open_labeled(args.src)
        stream = tqdm((pages[i] for i in range(len(pages))), total=len(pages), desc="pack", unit="page", disable=quiet)
        if args.kind == "detection":
            n = write_detection_lmdb(args.out, stream)
        else:
            rng = np.random.default_rng(args.seed)
            n = write_recognition_lmdb(args.out, (c for page in stream for c in labeled_crops(page, rng, args.jitter)))
    log.info("%s (%s) -> %s: %d samples", args.src, fmt, args.out, n)
    return 0
