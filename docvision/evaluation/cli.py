"""The ``docvision eval`` and ``docvision bench`` subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from docvision.evaluation.report import format_table, write_json

log = logging.getLogger("docvision")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eval`` and ``bench`` subcommands."""
    e = subparsers.add_parser(
        "eval",
        help="score the models on labeled pages",
        description="Detection, recognition (on ground-truth crops) and end-to-end scores on a labeled page folder.",
    )
    e.add_argument(
        "dataset",
        type=Path,
        metavar="DATASET",
        help="labeled pages: a page folder (pages/<id>.png + gt/<id>.json), FUNSD, ICDAR-2015 txt, "
        "images/ + labels.json or a detection LMDB",
    )
    _add_model_options(e)
    e.add_argument("--limit", type=int, metavar="N", help="evaluate the first N pages only")
    e.add_argument(
        "--report", type=Path, metavar="OUT.json", help="write the full report (totals, sweep, per page) as JSON"
    )
    e.add_argument(
        "--draw",
        type=Path,
        metavar="DIR",
        help="draw predicted (blue matched, red unmatched) vs ground-truth (green) boxes into DIR/<id>.png",
    )
    e.add_argument(
        "--box-thresh-sweep",
        metavar="START:STOP:STEP",
        help="also score detection at each box threshold, e.g. 0.3:0.9:0.05",
    )
    e.add_argument(
        "--box-thresh",
        type=float,
        help="box threshold of the detection and end-to-end scores (default: the config's, 0.5)",
    )
    e.add_argument("--worst", type=int, default=10, metavar="N", help="list the N worst pages (default 10)")
    e.set_defaults(func=run_eval, extra="eval")

    b = subparsers.add_parser(
        "bench",
        help="measure speed per stage, memory, and Tesseract and RapidOCR side by side",
        description="Pages/s and seconds per stage (warm-up excluded; median and range over repeats), "
        "memory while streaming a long generated PDF, and Tesseract 5 and RapidOCR on the same pages.",
    )
    b.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="INPUT",
        help="PDFs or images (default: generated letter pages with ground truth)",
    )
    b.add_argument(
        "--labeled",
        action="append",
        default=[],
        type=Path,
        metavar="DATASET",
        help="also labeled pages (a page folder, FUNSD, LMDB...: as for eval), scored for every engine; repeatable",
    )
    _add_model_options(b)
    b.add_argument(
        "--pages",
        type=int,
        default=4,
        metavar="N",
        help="pages to time: generated, or the first N of the inputs and labeled sets (default 4)",
    )
    b.add_argument("--repeats", type=int, default=3, metavar="R", help="timed passes over the pages (default 3)")
    b.add_argument("--dpi", type=int, default=200, help="render resolution of PDFs and generated pages (default 200)")
    b.add_argument(
        "--long-pdf",
        type=int,
        default=0,
        metavar="N",
        help="also stream a generated N-page PDF and report memory (use >= 100)",
    )
    b.add_argument(
        "--tesseract", action="store_true", help="run Tesseract (the tesseract binary on PATH) on the same pages"
    )
    b.add_argument(
        "--rapidocr",
        action="store_true",
        help="run RapidOCR (its default PP-OCR models; pip install 'docvision[compare]') on the same pages",
    )
    b.add_argument("--report", type=Path, metavar="OUT.json", help="write the results as JSON")
    b.set_defaults(func=run_bench, extra="eval")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, help="folder with detector/recognizer weights (default: the package's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--config", type=Path, help="pipeline config YAML")
    p.add_argument("--threads", type=int, help="CPU threads for the models")


def _load(args: argparse.Namespace, box_thresh: float | None = None) -> Any:
    """The pipeline of the model options (``box_thresh``: in place of the config's)."""
    from docvision.config import PipelineConfig, load_yaml
    from docvision.pipeline import load

    config = load_yaml(PipelineConfig, args.config) if args.config else PipelineConfig()
    if box_thresh is not None:
        config = replace(config, postprocess=replace(config.postprocess, box_thresh=box_thresh))
    pipeline = load(args.weights, device=args.device, config=config, threads=args.threads)
    if not pipeline.trained:
        log.warning("warning: untrained models (%s): scores are meaningless, timings are not", pipeline.models)
    return pipeline


# ----------------------------------------------------------------------------- eval


def run_eval(args: argparse.Namespace) -> int:
    from docvision.datasets.formats import open_labeled
    from docvision.evaluation.evaluate import evaluate, parse_sweep

    if args.limit is not None and args.limit < 1:
        log.error("error: --limit must be >= 1")
        return 2
    sweep = parse_sweep(args.box_thresh_sweep) if args.box_thresh_sweep else None
    pages = open_labeled(args.dataset)
    total = len(pages) if args.limit is None else min(args.limit, len(pages))
    pipeline = _load(args, args.box_thresh)
    log.info("evaluating %d pages of %s", total, args.dataset)
    report = evaluate(
        pipeline,
        (pages[i] for i in range(total)),
        total=total,
        sweep=sweep,
        draw_dir=args.draw,
        worst=args.worst,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    report = {"dataset": str(args.dataset), "models": dict(pipeline.models), **report}
    return _emit(format_eval(report), report, args.report)


def format_eval(report: dict[str, Any]) -> str:
    """The eval report's totals, sweep and worst pages as text tables."""
    det, rec, e2e, txt = report["detection"], report["recognition"], report["end_to_end"], report["page_text"]
    order = report["reading_order"]
    parts = [
        f"{report['pages']} pages, IoU >= {report['iou_thresh']}, box_thresh {report['box_thresh']:g}",
        "",
        format_table(
            ["task", "precision", "recall", "F1", "matched", "predicted", "ground truth"],
            [
                ["detection", det["precision"], det["recall"], det["f1"], det["tp"], det["n_pred"], det["n_gt"]],
                *(
                    [f"end-to-end ({k})", v["precision"], v["recall"], v["f1"], v["tp"], v["n_pred"], v["n_gt"]]
                    for k, v in (("exact", e2e["exact"]), ("no case", e2e["nocase"]))
                ),
            ],
        ),
        "",
        format_table(
            ["text", "words", "accuracy", "accuracy (no case)", "CER", "WER"],
            [
                ["recognition on GT crops", rec["words"], rec["accuracy"], rec["accuracy_nocase"], rec["cer"], "-"],
                ["page reading-order text", txt["words"], "-", "-", txt["cer"], txt["wer"]],
                ["  the layout alone (GT words)", order["words"], "-", "-", order["cer"], order["wer"]],
            ],
        ),
    ]
    if "box_thresh_sweep" in report:
        best = max(report["box_thresh_sweep"], key=lambda r: r["f1"])
        rows = [
            [f"{r['box_thresh']:.2f}" + (" *" if r is best else ""), r["precision"], r["recall"], r["f1"], r["n_pred"]]
            for r in report["box_thresh_sweep"]
        ]
        parts += [
            "",
            format_table(["box_thresh", "precision", "recall", "F1", "predicted"], rows),
            "* best detection F1",
        ]
    parts += [
        "",
        format_table(
            ["worst pages", "page CER", "detection F1", "end-to-end F1 (no case)"],
            [[w["id"], w["page_cer"], w["detection_f1"], w["end_to_end_f1_nocase"]] for w in report["worst_pages"]],
        ),
    ]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- bench


def run_bench(args: argparse.Namespace) -> int:
    from docvision.datasets.formats import open_labeled
    from docvision.evaluation.bench import OTHER_ENGINES, bench

    if args.pages < 1 or args.repeats < 1 or args.long_pdf < 0:
        log.error("error: --pages and --repeats must be >= 1, --long-pdf >= 0")
        return 2
    others = [name for name in OTHER_ENGINES if getattr(args, name)]
    for name in others:
        if OTHER_ENGINES[name].version() is None:
            log.error("error: %s", OTHER_ENGINES[name].missing)
            return 2
    for dataset in args.labeled:
        open_labeled(dataset)  # a wrong path or format fails here, before any model loads
    pipeline = _load(args)
    device = pipeline.detector.device.type
    log.info("benchmarking on %s: %d repeats%s", device, args.repeats, "".join(f", with {o}" for o in others))
    report = bench(
        pipeline,
        inputs=args.inputs,
        labeled=args.labeled,
        pages=args.pages,
        repeats=args.repeats,
        dpi=args.dpi,
        device=device,
        long_pdf=args.long_pdf,
        others=others,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    report["models"] = dict(pipeline.models)
    report["detector_engine"] = pipeline.detector.engine
    return _emit(format_bench(report), report, args.report)


def _emit(text: str, report: dict[str, Any], path: Path | None) -> int:
    """Print the tables; write the full report as JSON when asked."""
    print(text)
    if path:
        write_json(report, path)
        log.info("report written to %s", path)
    return 0


def _ms(summary: dict[str, float]) -> str:
    values = [summary[k] * 1000 for k in ("median", "min", "max")]
    digits = 1 if values[0] < 10 else 0
    return "{:.{d}f} ({:.{d}f}-{:.{d}f})".format(*values, d=digits)


def format_bench(report: dict[str, Any]) -> str:
    """The bench report as text tables: machine, speed per stage, accuracy, memory."""
    m = report["machine"]
    machine = (
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, torch {m['torch']} ({m['torch_threads']} threads)"
    )
    if "gpu" in m:
        machine += f", {m['gpu']} ({m['gpu_memory_gib']} GiB, CUDA {m['cuda']}, cuDNN {m['cudnn']})"
    resolution = f"{report['dpi']} dpi" if report["dpi"] else "labeled pages at their own resolution"
    stages = ["rasterize", "detect", "recognize", "layout", "export", "ocr"]
    engines = report["engines"]
    used = [s for s in stages if any(s in e["seconds_per_page"] for e in engines)]
    speed = [
        [
            e["engine"],
            e["pages"],
            f"{e['pages_per_s']['median']:.2f} ({e['pages_per_s']['min']:.2f}-{e['pages_per_s']['max']:.2f})",
            *(_ms(e["seconds_per_page"][s]) if s in e["seconds_per_page"] else "-" for s in used),
        ]
        for e in engines
    ]
    parts = [
        f"machine: {machine}; device {m['device']}",
        f"{resolution}; {report['repeats']} repeats; {report['det_batch_pages']} pages a detector forward; "
        f"models {report.get('models', {})}, the detector in {report.get('detector_engine', 'torch')}",
        "",
        format_table(["engine", "pages", "pages/s", *(f"{s} ms/page" for s in used)], speed),
        "median (min-max) over repeats",
    ]
    parts += [f"{e['engine']}: CUDA max allocated {e['cuda_max_allocated_mib']:.0f} MiB"
              for e in engines if "cuda_max_allocated_mib" in e]
    scored = [e for e in engines if "detection" in e]
    if scored:
        rows = [
            [
                e["engine"],
                *(e["detection"][k] for k in ("precision", "recall", "f1")),
                *(e["end_to_end"]["exact"][k] for k in ("precision", "recall", "f1")),
                e["end_to_end"]["nocase"]["f1"],
                e["page_text"]["cer"],
                e["page_text"]["wer"],
            ]
            for e in scored
        ]
        head = ["det P", "det R", "det F1", "e2e P", "e2e R", "e2e F1", "e2e F1 (no case)", "page CER", "page WER"]
        parts += ["", format_table(["engine", *head], rows)]
    if "memory" in report:
        mem = report["memory"]
        rows = [
            ["pages", mem["pages"]],
            ["RSS before the first page (MiB)", f"{mem['rss_mib_before']:.0f}"],
            [f"RSS after {mem['checkpoint']} pages (MiB)", f"{mem['rss_mib_after_checkpoint']:.0f}"],
            ["RSS after the last page (MiB)", f"{mem['rss_mib_after_last']:.0f}"],
            ["RSS after each quarter of the pages (MiB)", " / ".join(f"{v:.0f}" for v in mem["rss_mib_by_quarter"])],
            ["highest sampled RSS (MiB)", f"{mem['rss_mib_max_sampled']:.0f}"],
            ["process peak RSS (MiB)", f"{mem['process_peak_rss_mib']:.0f}"],
            ["seconds", f"{mem['seconds']:.1f}"],
            ["pages/s", f"{mem['pages_per_s']:.2f}"],
        ]
        if "cuda_max_allocated_mib" in mem:
            rows.append(["CUDA max allocated (MiB)", f"{mem['cuda_max_allocated_mib']:.0f}"])
        parts += ["", format_table([f"long PDF at {mem['dpi']} dpi", "value"], rows)]
    return "\n".join(parts)
