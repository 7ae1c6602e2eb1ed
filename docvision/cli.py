"""The ``docvision`` command."""

from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path, PurePath
from typing import NoReturn

from docvision import __version__
from docvision.batch.command import run as run_batch
from docvision.batch.engine import InlineRunner, Job
from docvision.batch.pool import WorkerPool
from docvision.batch.inputs import expand, output_paths, read_list
from docvision.config import RENDERERS, TEXT_LAYER_MODES, PipelineConfig, load_yaml, to_dict
from docvision.datasets import cli as datasets_cli
from docvision.errors import DocvisionError
from docvision.export import FORMATS, SUFFIXES, format_for
from docvision.evaluation import cli as evaluation_cli
from docvision.extras import check_extra
from docvision.io.sources import display_name
from docvision.training import cli as training_cli

log = logging.getLogger("docvision")

PASSWORD_ENV = "DOCVISION_PDF_PASSWORD"


def _add_ocr(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ocr", help="OCR PDFs and images into words with boxes", description="OCR PDFs and images.")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="PDF, PNG, JPEG or TIFF files, folders (searched recursively), FILE:PAGES (e.g. scan.pdf:1-3), "
                   "or - (one document from stdin)")
    p.add_argument("-o", "--output", type=Path,
                   help="output file (one input) or folder (several inputs, a folder's tree mirrored); default stdout")
    p.add_argument("-f", "--format", choices=sorted(FORMATS), help="output format (default: from the -o suffix, else json)")
    p.add_argument("--jpeg-quality", type=_jpeg_quality, metavar="Q",
                   help="--format pdf: re-encode image inputs as JPEG of quality Q (1-95; default: embed them losslessly)")
    p.add_argument("--pages", help="pages to OCR, 1-based, e.g. 1-3,7 (default: all)")
    p.add_argument("--dpi", type=_positive_int, help="PDF render resolution (default 200)")
    p.add_argument("--renderer", choices=RENDERERS,
                   help="PDF renderer: pdfium (default; in process) or poppler (pdftoppm)")
    p.add_argument("--text-layer", choices=TEXT_LAYER_MODES,
                   help="PDF text layers: auto (default) takes the words of a trusted layer and OCRs only images and "
                   "text that lies; ocr: OCR every page; only: never OCR")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password-file", type=Path, metavar="FILE",
                        help=f"file whose first line is the password of encrypted PDFs (or set ${PASSWORD_ENV})")
    secret.add_argument("--password", help="password of encrypted PDFs: visible to other users in process lists, "
                        "prefer --password-file or $" + PASSWORD_ENV)
    p.add_argument("--device", default="auto", type=_device, help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--threads", type=_positive_int, help="CPU threads for the models")
    p.add_argument("--weights", type=Path, help="folder with detector/recognizer weights (default: the package's)")
    p.add_argument("--config", type=Path, help="pipeline config YAML (see configs/pipeline.yaml)")
    p.add_argument("--bin-thresh", type=float, help="probability threshold of text pixels (default 0.3)")
    p.add_argument("--box-thresh", type=float, help="minimum mean probability of a kept box (default 0.5)")
    p.add_argument("--line-margin", type=float,
                   help="boxes this much under --box-thresh are kept a word space beside a kept one (default 0.05; 0: off)")
    p.add_argument("--unclip-ratio", type=float, help="how far detected kernels are grown back; 1.0 (default) undoes the training shrink exactly")
    p.add_argument("--det-max-side", type=_positive_int, help="longest side of the detector input (default: the size the detector was trained at)")
    p.add_argument("--no-orientation", dest="orientation", action="store_false", default=None,
                   help="read every page as it is (default: pages turned 90/180/270 degrees are found and read upright)")
    p.add_argument("--upright-boxes", action="store_true", default=None,
                   help="word boxes in the pixels of the page turned upright (default: of the page as input)")
    p.add_argument("--det-runtime", choices=["auto", "torch", "int8", "openvino"],
                   help="auto (default): the int8 detector on CPUs when the weights have one, in OpenVINO on cores "
                   "with AMX when installed; torch: fp32 always; int8 / openvino: the int8 one in ONNX Runtime / OpenVINO")
    p.add_argument("--rec-runtime", choices=["auto", "torch", "onnx", "int8"],
                   help="auto (default): on CPUs the int8 recognizer when the weights have one, else fp32 in ONNX "
                   "Runtime; torch on GPUs")
    batch = p.add_argument_group("batches (see README: Folders and batches)")
    batch.add_argument("--from-list", type=Path, metavar="FILE", help="more inputs, one per line (- reads stdin)")
    batch.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="worker processes, one pipeline each (default 1: in this process)")
    batch.add_argument("--page-timeout", type=_positive_float, metavar="SECONDS",
                       help="a page (or opening an input) taking longer fails, the run goes on (runs in workers)")
    batch.add_argument("--force", action="store_true", help="redo inputs that the output folder's manifest lists as done")
    p.set_defaults(func=run_ocr)


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _jpeg_quality(value: str) -> int:
    quality = int(value) if value.isdigit() else 0
    if not 1 <= quality <= 95:
        raise argparse.ArgumentTypeError(f"must be 1-95, got {value!r}")
    return quality


def _output_format(args: argparse.Namespace, single: bool) -> str:
    """``--format``, else the format the name of a single output file asks for, else json."""
    if args.format:
        return args.format
    if args.output is None or not single or args.output.is_dir():
        return "json"
    return format_for(args.output)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _device(text: str) -> str:
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


def _inputs(args: argparse.Namespace) -> list[tuple[Job, PurePath, bool]]:
    """The inputs as jobs with their output stems (see :func:`docvision.batch.inputs.expand`)."""
    names = list(args.inputs)
    if args.from_list is not None:
        try:
            text = sys.stdin.read() if str(args.from_list) == "-" else args.from_list.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise DocvisionError(f"{display_name(args.from_list)}: cannot read the list ({_reason(err)})") from None
        names += read_list(text)
    if "-" in names:
        if len(names) > 1 or str(args.from_list) == "-":
            raise DocvisionError("- (stdin) must be the only input")
        return [(Job("<stdin>", args.pages, sys.stdin.buffer.read()), PurePath("stdin"), False)]
    if not names:
        raise DocvisionError("no inputs: give files, folders, - (stdin) or --from-list FILE")
    bad_folders = []
    found = expand(names, args.pages, args.output, bad_folders.append)
    for err in bad_folders:
        log.error("%s: error: cannot read folder (%s)", display_name(err.filename), _reason(err))
    return found


def _output_paths(found: list[tuple[Job, PurePath, bool]], output: Path | None, fmt: str,
                  single: bool) -> tuple[list[Path | None], Path | None]:
    """The output of each input (None: stdout) and the output folder (None for one output)."""
    if output is None:
        if not single:
            raise DocvisionError("several inputs (or a folder) need -o FOLDER (one output file per input)")
        return [None], None
    if single and not output.is_dir():
        output.parent.mkdir(parents=True, exist_ok=True)  # as for the folder of several outputs
        return [output], None
    output.mkdir(parents=True, exist_ok=True)
    return output_paths([stem for _, stem, _ in found], output, SUFFIXES[fmt]), output


def _pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    """``--config`` (or the defaults) with the detector and renderer options of the command line on top."""
    config = load_yaml(PipelineConfig, args.config) if args.config else PipelineConfig()
    post = {k: v for k in ("bin_thresh", "box_thresh", "line_margin", "unclip_ratio") if (v := getattr(args, k)) is not None}
    return replace(
        config,
        postprocess=replace(config.postprocess, **post),
        det_max_side=args.det_max_side or config.det_max_side,
        det_runtime=args.det_runtime or config.det_runtime,
        rec_runtime=args.rec_runtime or config.rec_runtime,
        renderer=args.renderer or config.renderer,
        text_layer=args.text_layer or config.text_layer,
        orientation=config.orientation if args.orientation is None else args.orientation,
        upright_boxes=args.upright_boxes or config.upright_boxes,
    )


def _password(args: argparse.Namespace) -> str | None:
    """The first line of ``--password-file``, else ``--password``, else ``$DOCVISION_PDF_PASSWORD``."""
    if args.password_file is not None:
        try:
            lines = args.password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise DocvisionError(
                f"{display_name(args.password_file)}: cannot read the password file ({_reason(err)})"
            ) from None
        return lines[0] if lines else ""
    return args.password if args.password is not None else os.environ.get(PASSWORD_ENV)


def _reason(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written as ``write_atomic`` writes it (checked before the OCR work), or None."""
    probe = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
    except OSError as err:
        return _reason(err)
    return None


def _settings(args: argparse.Namespace, fmt: str, config: PipelineConfig, open_options: dict) -> dict:
    """What shapes a result, for the manifest of an output folder (the password does not)."""
    from docvision.models.weights import has_weights, read_manifest, weights_dir

    folder = weights_dir(args.weights)
    weights = {}
    for name in ("detector", "recognizer"):
        manifest = read_manifest(folder, name) if has_weights(folder, name) else None
        weights[name] = [manifest.sha256, manifest.int8_sha256] if manifest else "untrained"
    return {"docvision": __version__, "format": fmt, "jpeg_quality": args.jpeg_quality, "config": to_dict(config),
            "open": {k: v for k, v in open_options.items() if k != "password"}, "weights": weights}


def _runner(args: argparse.Namespace, config: PipelineConfig, open_options: dict, workers: bool):
    """The models loaded here, or worker processes that load them (``--jobs``, ``--page-timeout``);
    ``open_options`` as :func:`docvision.batch.read_document` takes them."""
    from docvision.pipeline import load

    if workers:
        threads = args.threads or max(1, len(os.sched_getaffinity(0)) // args.jobs)
        loader = partial(load, args.weights, device=args.device, config=config, threads=threads)
        return WorkerPool(args.jobs, load=loader, open_options=open_options, page_timeout=args.page_timeout,
                          log_level=log.level)
    return InlineRunner(load(args.weights, device=args.device, config=config, threads=args.threads), open_options)


def run_ocr(args: argparse.Namespace) -> int:
    try:
        found = _inputs(args)
        single = len(found) == 1 and not found[0][2] and args.from_list is None
        fmt = _output_format(args, single)
        if args.jpeg_quality and fmt != "pdf":
            raise DocvisionError("--jpeg-quality applies to --format pdf only")
        if fmt == "pdf" and args.output is None and sys.stdout.isatty():
            raise DocvisionError("--format pdf writes binary data: give -o FILE.pdf or redirect stdout")
        config = _pipeline_config(args)
        password = _password(args)
        if password is not None and config.renderer == "poppler":
            raise DocvisionError("a password needs the pdfium renderer (poppler's tools would show it in process lists)")
    except (DocvisionError, ValueError, OSError) as err:
        log.error("error: %s", err)
        return 2
    try:
        outputs, folder = _output_paths(found, args.output, fmt, single)
    except DocvisionError as err:
        log.error("error: %s", err)
        return 2
    except OSError as err:  # the output folder cannot be made
        log.error("%s: error: cannot write (%s)", display_name(args.output), _reason(err))
        return 2
    for out in outputs if folder is None else [folder / "probe"]:  # a folder: once, not per input
        if out is not None and (reason := _unwritable(out)):
            log.error("%s: error: cannot write (%s)", display_name(out if folder is None else folder), reason)
            return 2
    open_options = {**config.open_options(args.dpi), "password": password}
    workers = args.jobs > 1 or args.page_timeout is not None
    reading = {"dpi": args.dpi, "password": password}  # the rest of open_options is the pipeline's config
    return run_batch(
        [(job, out) for (job, _, _), out in zip(found, outputs)], fmt=fmt, folder=folder, force=args.force,
        settings=_settings(args, fmt, config, open_options) if folder is not None else {},
        precheck=None if workers else open_options, start=lambda: _runner(args, config, reading, workers),
        password=password, jpeg_quality=args.jpeg_quality, quiet=args.quiet,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="docvision", description="Document OCR: PDFs and scans to text boxes.")
    parser.add_argument("--version", action="version", version=f"docvision {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_ocr(subparsers)
    for module in (datasets_cli, training_cli, evaluation_cli):
        module.register(subparsers)
    _add_log_options(parser)
    parser.set_defaults(quiet=False)  # a command's own -q only ever sets it (SUPPRESS), before or after it
    return parser


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    """``-v``, ``--debug`` and ``-q`` on ``parser`` and on each of its commands, before or after their arguments."""
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="say more: the models and runtimes, each page's words and stage times")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="as -v, and print the traceback of every error")
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="errors only: no progress bar, warning or summary")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                _add_log_options(command)


class _Formatter(logging.Formatter):
    """One line a message; the traceback of an error only with ``--debug``."""

    def __init__(self, tracebacks: bool):
        super().__init__("docvision: %(message)s")
        self.tracebacks = tracebacks

    def formatException(self, ei) -> str:
        return super().formatException(ei) if self.tracebacks else ""

    def format(self, record: logging.LogRecord) -> str:
        """With the traceback of a failure told later, e.g. by a worker process (``trace``)."""
        text = super().format(record)
        return f"{text}\n{record.trace}" if self.tracebacks and getattr(record, "trace", "") else text


def main(argv: list[str] | None = None) -> int:
    """Run the command; errors a user can act on are one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(tracebacks=debug))
    log.addHandler(handler)
    verbose = debug or getattr(args, "verbose", False)
    level = log.level
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if args.quiet else logging.INFO)
    log.propagate = False
    try:
        if getattr(args, "extra", None):
            check_extra(args.extra, f"docvision {args.command}")
        return args.func(args)
    except KeyboardInterrupt:
        log.error("interrupted", exc_info=debug)
        return 130
    except (DocvisionError, ValueError, OSError) as err:
        log.error("error: %s", err, exc_info=err)
        return 2
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = True


if __name__ == "__main__":
    sys.exit(main())
