"""The ``docvision`` command."""

from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from tqdm import tqdm

from docvision import __version__
from docvision.config import RENDERERS, TEXT_LAYER_MODES, PipelineConfig, load_yaml
from docvision.datasets import cli as datasets_cli
from docvision.document import Document
from docvision.errors import DocvisionError, InputError
from docvision.export import FORMATS, SUFFIXES, export, format_for
from docvision.evaluation import cli as evaluation_cli
from docvision.extras import check_extra
from docvision.io import write_atomic
from docvision.io.sources import display_name, open_document
from docvision.training import cli as training_cli

log = logging.getLogger("docvision")

PASSWORD_ENV = "DOCVISION_PDF_PASSWORD"


def _add_ocr(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ocr", help="OCR PDFs and images into words with boxes", description="OCR PDFs and images.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PDF, PNG, JPEG or TIFF files")
    p.add_argument("-o", "--output", type=Path, help="output file (one input) or folder (several inputs); default stdout")
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
    p.add_argument("--unclip-ratio", type=float, help="how far detected kernels are grown back; 1.0 (default) undoes the training shrink exactly")
    p.add_argument("--det-max-side", type=_positive_int, help="longest side of the detector input (default 1280)")
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


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _jpeg_quality(value: str) -> int:
    quality = int(value) if value.isdigit() else 0
    if not 1 <= quality <= 95:
        raise argparse.ArgumentTypeError(f"must be 1-95, got {value!r}")
    return quality


def _output_format(args: argparse.Namespace) -> str:
    """``--format``, else the format the name of a single output file asks for, else json."""
    if args.format:
        return args.format
    if args.output is None or len(args.inputs) > 1 or args.output.is_dir():
        return "json"
    return format_for(args.output)


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
    """``--config`` (or the defaults) with the detector and renderer options of the command line on top."""
    config = load_yaml(PipelineConfig, args.config) if args.config else PipelineConfig()
    post = {k: v for k in ("bin_thresh", "box_thresh", "unclip_ratio") if (v := getattr(args, k)) is not None}
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


def _report(name: str, err: Exception) -> None:
    """The one line of an input that failed (and its traceback with ``--debug``)."""
    if isinstance(err, DocvisionError):
        log.error("%s: error: %s", display_name(name), err.reason if isinstance(err, InputError) else err, exc_info=err)
    elif isinstance(err, OSError):
        log.error("%s: error: %s", display_name(name), _reason(err), exc_info=err)
    else:  # a bug must not lose the other inputs of the run
        log.error("%s: internal error: %s: %s", display_name(name), type(err).__name__, " ".join(str(err).split()),
                  exc_info=err)


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written as ``write_atomic`` writes it (checked before the OCR work), or None."""
    probe = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
    except OSError as err:
        return _reason(err)
    return None


def _emit(document: Document, fmt: str, out: Path | None, options: dict) -> bool:
    """Write ``document``; a failure is reported under the output's name."""
    if fmt == "pdf":  # the input's own pages with the text on them
        from docvision.export.pdf import to_pdf

        data: str | bytes = to_pdf(document, options["name"], password=options["password"],
                                   jpeg_quality=options["jpeg_quality"])
    else:
        data = export(document, fmt)
    try:
        if out is None:
            stream = sys.stdout.buffer if isinstance(data, bytes) else sys.stdout
            stream.write(data)
            stream.flush()
        else:
            write_atomic(out, data)
    except OSError as err:
        log.error("%s: error: cannot write (%s)", display_name(out) if out else "<stdout>", _reason(err))
        return False
    return True


def _ocr_input(ocr, name: str, out: Path | None, fmt: str, options: dict, quiet: bool, jpeg_quality: int | None) -> bool:
    """OCR one input into ``out``; on Ctrl-C the pages finished so far are written, marked partial."""
    source = open_document(name, **options)
    emit = {"name": name, "password": options["password"], "jpeg_quality": jpeg_quality}
    bar = tqdm(total=len(source), desc=display_name(Path(name).name), unit="page", leave=False,
               disable=quiet or not sys.stderr.isatty())
    seen: list[Document] = []

    def on_page(document: Document) -> None:
        seen[:] = [document]
        page = document.pages[-1]
        bar.update()
        log.debug("%s: page %d: %d words, %s", document.source, page.index + 1, sum(1 for _ in page.words()),
                  ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in page.timings.items()))

    try:
        with source, bar:
            document = ocr(source, on_page=on_page)
    except KeyboardInterrupt:
        if seen:  # the pages done, marked partial by the pipeline
            where = display_name(out) if out else "stdout"
            if _emit(seen[0], fmt, out, emit):
                log.error("%s: interrupted: the %d of %d pages done are in %s, marked partial",
                          seen[0].source, len(seen[0].pages), len(source), where)
        raise
    unread = [str(p.index + 1) for p in document.pages if p.text_layer and p.text_layer.path == "partial"]
    if unread:
        log.warning("%s: warning: page%s %s need%s OCR, not done (--text-layer only)", document.source,
                    "s" * (len(unread) > 1), ", ".join(unread), "" if len(unread) > 1 else "s")
    return _emit(document, fmt, out, emit)


def run_ocr(args: argparse.Namespace) -> int:
    try:
        fmt = _output_format(args)
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
        outputs = _output_paths(args.inputs, args.output, fmt)
    except DocvisionError as err:
        log.error("error: %s", err)
        return 2
    except OSError as err:  # the output folder cannot be made
        log.error("%s: error: cannot write (%s)", display_name(args.output), _reason(err))
        return 2
    for out in outputs:
        if out is not None and (reason := _unwritable(out)):
            log.error("%s: error: cannot write (%s)", display_name(out), reason)
            return 2
    options = {**config.open_options(args.dpi), "pages": args.pages, "password": password}

    # input errors before the models load (seconds): every input is opened and checked, not read
    failures, jobs = 0, []
    for name, out in zip(args.inputs, outputs):
        try:
            with open_document(name, **options) as source:
                source.check()
            jobs.append((name, out))
        except Exception as err:
            _report(name, err)
            failures += 1
    if not jobs:
        return 1

    from docvision.pipeline import load

    try:
        ocr = load(args.weights, device=args.device, config=config, threads=args.threads)
    except (DocvisionError, ValueError, OSError) as err:
        log.error("error: %s", err, exc_info=err)
        return 2
    if not ocr.trained:
        log.warning(
            "warning: no trained weights installed (%s): the models are random and the text is meaningless; "
            "pass --weights DIR or train them (see README)",
            ", ".join(k for k, v in ocr.models.items() if v == "untrained"),
        )
    for name, out in jobs:
        try:
            failures += not _ocr_input(ocr, name, out, fmt, options, args.quiet, args.jpeg_quality)
        except Exception as err:
            _report(name, err)
            failures += 1
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="docvision", description="Document OCR: PDFs and scans to text boxes.")
    parser.add_argument("--version", action="version", version=f"docvision {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_ocr(subparsers)
    for module in (datasets_cli, training_cli, evaluation_cli):
        module.register(subparsers)
    _add_log_options(parser)
    return parser


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    """``-v`` and ``--debug`` on ``parser`` and on each of its commands, before or after their arguments."""
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="say more: the models and runtimes, each page's words and stage times")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="as -v, and print the traceback of every error")
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


def main(argv: list[str] | None = None) -> int:
    """Run the command; errors a user can act on are one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(tracebacks=debug))
    log.addHandler(handler)
    verbose = debug or getattr(args, "verbose", False)
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if getattr(args, "quiet", False) else logging.INFO)
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
        log.propagate = True


if __name__ == "__main__":
    sys.exit(main())
