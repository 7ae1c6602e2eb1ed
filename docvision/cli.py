"""The ``docvision`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from docvision import __version__
from docvision.config import PipelineConfig, load_yaml
from docvision.datasets import cli as datasets_cli
from docvision.document import Document
from docvision.errors import DocvisionError
from docvision.export import EXPORTERS, SUFFIXES, export
from docvision.evaluation import cli as evaluation_cli
from docvision.io import write_atomic
from docvision.training import cli as training_cli

log = logging.getLogger("docvision")

FORMAT_BY_SUFFIX = {".json": "json", ".txt": "text", ".hocr": "hocr", ".html": "hocr"}


def _add_ocr(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ocr", help="OCR PDFs and images into words with boxes", description="OCR PDFs and images.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PDF, PNG, JPEG or TIFF files")
    p.add_argument("-o", "--output", type=Path, help="output file (one input) or folder (several inputs); default stdout")
    p.add_argument("-f", "--format", choices=sorted(EXPORTERS), help="output format (default: from the -o suffix, else json)")
    p.add_argument("--pages", help="pages to OCR, 1-based, e.g. 1-3,7 (default: all)")
    p.add_argument("--dpi", type=int, help="PDF render resolution (default 200)")
    p.add_argument("--password", help="password of an encrypted PDF")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--threads", type=int, help="CPU threads for the models")
    p.add_argument("--weights", type=Path, help="folder with detector/recognizer weights (default: the package's)")
    p.add_argument("--config", type=Path, help="pipeline config YAML (see configs/pipeline.yaml)")
    p.add_argument("--bin-thresh", type=float, help="probability threshold of text pixels (default 0.3)")
    p.add_argument("--box-thresh", type=float, help="minimum mean probability of a kept box (default 0.5)")
    p.add_argument("--unclip-ratio", type=float, help="how far detected kernels are grown back; 1.0 (default) undoes the training shrink exactly")
    p.add_argument("--det-max-side", type=int, help="longest side of the detector input (default 1280)")
    p.add_argument("--no-orientation", dest="orientation", action="store_false", default=None,
                   help="read every page as it is (default: pages turned 90/180/270 degrees are found and read upright)")
    p.add_argument("--upright-boxes", action="store_true", default=None,
                   help="word boxes in the pixels of the page turned upright (default: of the page as input)")
    p.add_argument("--det-runtime", choices=["auto", "torch", "int8"],
                   help="auto (default): the int8 detector on CPUs when the weights have one; torch: fp32 always")
    p.add_argument("--rec-runtime", choices=["auto", "torch", "onnx"],
                   help="auto (default): the recognizer in ONNX Runtime on CPUs, torch on GPUs")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or warnings")
    p.set_defaults(func=run_ocr)


def _output_paths(inputs: list[str], output: Path | None, fmt: str) -> list[Path | None]:
    if output is None:
        if len(inputs) > 1:
            raise DocvisionError("several inputs need -o FOLDER (one output file per input)")
        return [None]
    if len(inputs) == 1 and not output.is_dir():
        output.parent.mkdir(parents=True, exist_ok=True)  # as for the folder of several outputs
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    paths, used = [], set()
    for name in inputs:
        stem, n = Path(name).stem, 1
        candidate = output / f"{stem}{SUFFIXES[fmt]}"
        while candidate in used:
            n += 1
            candidate = output / f"{stem}-{n}{SUFFIXES[fmt]}"
        used.add(candidate)
        paths.append(candidate)
    return paths


def _pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    """``--config`` (or the defaults) with the detector options of the command line on top."""
    config = load_yaml(PipelineConfig, args.config) if args.config else PipelineConfig()
    post = {k: v for k in ("bin_thresh", "box_thresh", "unclip_ratio") if (v := getattr(args, k)) is not None}
    return replace(
        config,
        postprocess=replace(config.postprocess, **post),
        det_max_side=args.det_max_side or config.det_max_side,
        det_runtime=args.det_runtime or config.det_runtime,
        rec_runtime=args.rec_runtime or config.rec_runtime,
        orientation=config.orientation if args.orientation is None else args.orientation,
        upright_boxes=args.upright_boxes or config.upright_boxes,
    )


def run_ocr(args: argparse.Namespace) -> int:
    from docvision.pipeline import load

    fmt = args.format or (FORMAT_BY_SUFFIX.get(args.output.suffix.lower(), "json") if args.output else "json")
    try:
        outputs = _output_paths(args.inputs, args.output, fmt)
        ocr = load(args.weights, device=args.device, config=_pipeline_config(args), threads=args.threads)
    except (DocvisionError, ValueError, OSError) as err:
        log.error("error: %s", err)
        return 2
    if not ocr.trained:
        log.warning(
            "warning: no trained weights installed (%s): the models are random and the text is meaningless; "
            "pass --weights DIR or train them (see README)",
            ", ".join(k for k, v in ocr.models.items() if v == "untrained"),
        )

    failures = 0
    for name, out in zip(args.inputs, outputs):
        try:
            source = ocr.open(name, pages=args.pages, dpi=args.dpi, password=args.password)
            document = Document(name, dict(ocr.models))
            bar = tqdm(total=len(source), desc=Path(name).name, unit="page", leave=False,
                       disable=args.quiet or not sys.stderr.isatty())
            with bar:
                for page in ocr.iter_pages(source):
                    document.pages.append(page)
                    bar.update()
            text = export(document, fmt)
            if out is None:
                sys.stdout.write(text)
                sys.stdout.flush()
            else:
                write_atomic(out, text)
        except DocvisionError as err:
            log.error("%s: error: %s", name, err)
            failures += 1
        except OSError as err:
            log.error("%s: error: %s", name, err.strerror or err)
            failures += 1
        except Exception as err:  # a bug must not lose the other inputs of the run
            log.error("%s: internal error: %s: %s", name, type(err).__name__, err)
            failures += 1
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docvision", description="Document OCR: PDFs and scans to text boxes.")
    parser.add_argument("--version", action="version", version=f"docvision {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_ocr(subparsers)
    for module in (datasets_cli, training_cli, evaluation_cli):
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; errors a user can act on are one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("docvision: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.ERROR if getattr(args, "quiet", False) else logging.INFO)
    log.propagate = False
    try:
        return args.func(args)
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except (DocvisionError, ValueError, OSError) as err:
        log.error("error: %s", err)
        return 2
    finally:
        log.removeHandler(handler)
        log.propagate = True


if __name__ == "__main__":
    sys.exit(main())
