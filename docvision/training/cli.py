"""``docvision train det|rec``."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from importlib import resources
from pathlib import Path

from docvision.config import load_yaml
from docvision.errors import DocvisionError

log = logging.getLogger("docvision")

DEFAULT_CONFIGS = {"det": "det_resnet50.yaml", "rec": "rec_crnn.yaml"}
"""In ``docvision/configs/``, package data: ``docvision train`` works from any folder of an installed package."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train the detector or the recognizer", description=(
        "Train on synthetic pages and/or labeled data (the default configs: docvision/configs/). "
        "Checkpoints go to --run-dir; "
        "the best weights are exported to RUN_DIR/weights/ in the shipped format."))
    p.add_argument("task", choices=["det", "rec"], help="det: DBNet word detector; rec: CRNN recognizer")
    p.add_argument("--config", type=Path,
                   help="training config YAML (default: the package's det_resnet50.yaml or rec_crnn.yaml)")
    p.add_argument("--run-dir", type=Path, help="checkpoints, log.jsonl and exported weights (default runs/<task>)")
    p.add_argument("--max-minutes", type=float, help="stop (checkpoint, validate, export) after this many minutes")
    p.add_argument("--max-steps", type=int, help="override the config's loop.max_steps")
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    p.add_argument("--init", help="start from weights: 'default' (the installed ones) or a weights folder")
    p.add_argument("--export", type=Path, metavar="CHECKPOINT",
                   help="instead of training, validate CHECKPOINT (a run's last.pt or best.pt) and write its weights "
                        "to weights-step<N>/ beside it; give the options the run was started with")
    p.add_argument("--interpolate", type=float, metavar="ALPHA",
                   help="with --export and --init: write (1 - ALPHA) x the --init weights + ALPHA x the checkpoint's "
                        "(a weight-space ensemble, WiSE-FT: keeps more of the start on pages unlike the training data)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda")
    p.add_argument("--workers", type=int, help="DataLoader worker processes (override the config)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.set_defaults(func=run_train, extra="train")

    q = subparsers.add_parser("quantize", help="write the fast int8 CPU models of a weights folder", description=(
        "Export the detector and recognizer of a weights folder to ONNX and quantize them to int8 (ONNX Runtime; "
        "calibrated on pages and their words): WEIGHTS/detector.int8.onnx and recognizer.int8.onnx, which the "
        "pipeline runs on CPUs instead of the fp32 models."))
    q.add_argument("--model", choices=["both", "detector", "recognizer"], default="both",
                   help="which model to quantize (default both)")
    q.add_argument("--weights", type=Path, help="weights folder (default: the package's)")
    q.add_argument("--data", type=Path, help="calibrate on these pages (a page folder, FUNSD, LMDB...) instead of synthetic ones")
    q.add_argument("--pages", type=int, default=16, help="calibration pages (default 16)")
    q.add_argument("--seed", type=int, default=777, help="seed of the synthetic calibration pages")
    q.add_argument("--threads", type=int, help="torch CPU threads")
    q.set_defaults(func=_run_quantize, extra="train")


def run_train(args: argparse.Namespace) -> int:
    import torch

    from docvision.training.config import DetTrainConfig, RecTrainConfig
    from docvision.training.data import describe
    from docvision.training.loop import export, fit

    if args.interpolate is not None and not (args.export and args.init):
        raise DocvisionError("--interpolate blends the --init weights with the --export checkpoint: give both")
    if args.interpolate is not None and not 0 <= args.interpolate <= 1:
        raise DocvisionError(f"--interpolate must be within 0-1, got {args.interpolate}")
    default = resources.files("docvision") / "configs" / DEFAULT_CONFIGS[args.task]
    with resources.as_file(default) as path:
        config_path = args.config or path
        log.debug("config: %s", config_path)
        config = load_yaml(DetTrainConfig if args.task == "det" else RecTrainConfig, config_path)
    loop = config.loop
    if args.max_steps:
        loop = replace(loop, max_steps=args.max_steps)
    if args.workers is not None:
        loop = replace(loop, workers=args.workers)
    config = replace(config, loop=loop)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    task = _task(args, config)
    if args.export:
        log.info("exported %s", export(task, args.export, device, args.interpolate))
        return 0
    for source in config.train:
        log.info("training on %s", describe(source))
    summary = fit(task, config.loop, args.run_dir or Path("runs") / args.task, device=device,
                  max_minutes=args.max_minutes, resume=args.resume, validate_first=bool(args.init),
                  progress=False if args.quiet else None)
    log.info("done: %s", summary)
    return 0


def _run_quantize(args: argparse.Namespace) -> int:
    from docvision.training.quantize import run_quantize

    return run_quantize(args)


def _task(args: argparse.Namespace, config):
    """The task, its model initialised from ``--init`` weights when asked: their config wins, unless the
    training config widens their recognizer (``training.recognition.widen``: it starts as they end)."""
    from docvision import zoo
    from docvision.models.weights import weights_dir
    from docvision.training.recognition import widen, widens

    name = "detector" if args.task == "det" else "recognizer"
    model = manifest = None
    if args.init:
        directory = weights_dir(None if args.init == "default" else args.init)
        model, manifest = zoo.load_model(directory, name)
        start = zoo.model_config(directory, name, manifest)
        if args.task == "rec" and widens(start, config.model):
            model = widen(model, config.model)
            log.info("initialised %s from %s, widened to %s", name, directory, config.model)
        else:
            config = replace(config, model=start)
            log.info("initialised %s from %s", name, directory)
    if args.task == "det":
        from docvision.training.detection import DetectorTask

        return DetectorTask(config, model)
    from docvision.recognition.vocab import Vocab
    from docvision.training.recognition import RecognizerTask, remap_vocabulary

    vocab = Vocab.load(config.vocab) if config.vocab else Vocab.load()
    if model is not None and manifest.vocabulary != list(vocab.chars):
        model = remap_vocabulary(model, zoo.vocabulary(manifest), vocab)
        log.info("vocabulary of the --init weights remapped to %d characters", len(vocab.chars))
    return RecognizerTask(config, model, vocab)
