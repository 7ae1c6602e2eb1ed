"""The training loop shared by the detector and the recognizer.

Time budget, periodic and final checkpoints (``last.pt``, also on Ctrl-C or SIGTERM), ``resume``, validation
at intervals keeping the best weights (``best.pt``), channels_last (2-4x faster convolutions on CPU
too), bf16 autocast where the hardware has it (CUDA, CPUs with AVX-512 BF16 or AMX), a clear error
on a non-finite loss, and the export of the best weights in the shipped format (``<run>/weights/``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from tqdm import tqdm

from docvision.errors import DocvisionError
from docvision.models.weights import Manifest, save_weights
from docvision.training.config import LoopConfig

log = logging.getLogger(__name__)


class TrainingError(DocvisionError):
    """Training cannot go on (e.g. the loss became NaN)."""


class Task(Protocol):
    """What the loop needs from a detector or recognizer training set-up."""

    name: str
    """Weights name: ``detector`` or ``recognizer``."""
    metric: str
    """Validation metric to maximize."""
    model: nn.Module

    def batches(self, seed: int) -> Iterator[dict[str, Any]]:
        """Training batches (with an ``indices`` list of sample ids), one pass."""

    def loss(self, batch: dict[str, Any], device: torch.device) -> dict[str, torch.Tensor]:
        """``total`` (to minimize) and detached parts for the log."""

    def validate(self, device: torch.device) -> dict[str, float]:
        """Metrics of the current model on the validation set."""

    def manifest(self, metrics: dict[str, float]) -> Manifest:
        """Manifest of the exported weights."""


def lr_factor(loop: LoopConfig, step: int, time_fraction: float = 0.0) -> float:
    """Linear warm-up, then a cosine from 1 to 0.02 over whichever runs out first: the steps
    (``max_steps``) or the time budget (``time_fraction`` of it spent). A resumed run with a
    new budget starts a new cosine from where its steps are (a warm restart)."""
    if step < loop.warmup_steps:
        return (step + 1) / loop.warmup_steps
    by_steps = (step - loop.warmup_steps) / max(1, loop.max_steps - loop.warmup_steps)
    progress = min(1.0, max(by_steps, time_fraction))
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))


def _load(path: Path, device: torch.device | str) -> dict[str, Any]:
    """A checkpoint of :func:`fit`, unpickled with ``weights_only`` (tensors, numbers, strings and
    containers only): a crafted file in a run folder cannot run code."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, ImportError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TrainingError(f"{path}: not a checkpoint of docvision's training loop ({reason})") from None


def _save(obj: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a scheduler's stop) ends the steps as Ctrl-C does, so the run keeps its
    checkpoint and exports. Needed beside Ctrl-C: a run started in the background by a script ignores SIGINT (the
    shell's rule for background jobs). Only the main thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _batches_forever(task: Task, seed: int) -> Iterator[dict[str, Any]]:
    epoch = 0
    while True:
        yield from task.batches(seed + epoch)
        epoch += 1


def fit(
    task: Task,
    loop: LoopConfig,
    run_dir: Path,
    *,
    device: torch.device,
    max_minutes: float | None = None,
    resume: bool = False,
    progress: bool | None = None,
    validate_first: bool = False,
) -> dict[str, Any]:
    """Train ``task.model`` until ``loop.max_steps`` or ``max_minutes``; returns a summary.

    The exported weights (``run_dir/weights``) are the best validated ones; with
    ``validate_first`` (fine-tuning) the starting weights are validated at step 0 and compete too.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    model = task.model.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=loop.lr, weight_decay=loop.weight_decay)
    step, best, best_metrics, validated_at = 0, -math.inf, {}, -1
    last_path, best_path = run_dir / "last.pt", run_dir / "best.pt"
    if resume and last_path.is_file():
        state = _load(last_path, device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, best, best_metrics = state["step"], state["best"], state["best_metrics"]
        log.info("resumed %s at step %d (best %s = %.4f)", task.name, step, task.metric, best)
    elif resume:
        log.info("no checkpoint in %s: starting from scratch", run_dir)

    def checkpoint() -> None:
        _save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "step": step, "best": best, "best_metrics": best_metrics},
            last_path,
        )

    def validate() -> None:
        nonlocal best, best_metrics, validated_at
        model.eval()
        metrics = task.validate(device)
        _train_mode(model, loop.freeze_norm)
        validated_at = step
        improved = metrics[task.metric] > best
        if improved:
            best, best_metrics = metrics[task.metric], {**metrics, "step": step}
            _save({"model": model.state_dict(), "metrics": best_metrics}, best_path)
        log.info("step %d validation: %s%s", step, _fmt(metrics), " (best)" if improved else "")
        _append(run_dir / "log.jsonl", {"step": step, "validation": metrics})

    bf16 = loop.amp and native_bf16(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)
    log.info("%s: training on %s in %s", task.name, device, "bf16 autocast" if bf16 else "fp32")
    torch.backends.cudnn.benchmark = device.type == "cuda"  # fixed-size crops: let cuDNN pick its fastest kernels
    started = time.monotonic()
    budget = max_minutes * 60 if max_minutes else math.inf
    batches = _batches_forever(task, loop.seed + step)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=loop.max_steps, initial=step, desc=f"train {task.name}", unit="step", disable=not show)
    if validate_first and step == 0:
        validate()
    _train_mode(model, loop.freeze_norm)
    window_start, window_samples = time.monotonic(), 0
    with _stop_on_sigterm():
        try:
            while step < loop.max_steps and time.monotonic() - started < budget:
                lr = loop.lr * lr_factor(loop, step, (time.monotonic() - started) / budget)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                batch = next(batches)
                with autocast:
                    losses = task.loss(batch, device)
                total = losses["total"]
                if not torch.isfinite(total):
                    raise TrainingError(
                        f"{task.name}: loss is {total.item()} at step {step} (batch of samples {batch['indices']}); "
                        "lower the learning rate or check those samples"
                    )
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                nn.utils.clip_grad_norm_(model.parameters(), loop.grad_clip)
                optimizer.step()
                step += 1
                window_samples += len(batch["indices"])
                bar.update()
                if step % loop.log_every == 0:
                    elapsed = time.monotonic() - window_start
                    record = {k: round(v.item(), 5) for k, v in losses.items()}
                    record.update(step=step, lr=lr, samples_per_s=round(window_samples / elapsed, 2))
                    bar.set_postfix(loss=record["total"], sps=record["samples_per_s"])
                    if not show:
                        log.info("step %d %s", step, _fmt(record))
                    _append(run_dir / "log.jsonl", record)
                    window_start, window_samples = time.monotonic(), 0
                if step % loop.checkpoint_every == 0:
                    checkpoint()
                if step % loop.val_every == 0:
                    validate()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what was learned (checkpoint, validation, export below)
            log.warning("interrupted at step %d: saving the checkpoint and exporting the best weights", step)
    bar.close()
    checkpoint()
    if validated_at != step:
        validate()
    final = _load(best_path, "cpu")
    model.load_state_dict(final["model"])
    weights = save_weights(model.float().cpu(), run_dir / "weights", task.name, task.manifest(final["metrics"]))
    log.info("%s: %d steps; best %s = %.4f at step %s; exported %s",
             task.name, step, task.metric, best, best_metrics.get("step"), weights)
    return {"steps": step, "best": best_metrics, "weights": str(weights)}


def export(task: Task, checkpoint: Path, device: torch.device, interpolate: float | None = None) -> Path:
    """The model of ``checkpoint`` (``last.pt``, ``best.pt`` or a copy of either), validated and written in the
    shipped format to ``weights-step<N>/`` beside it: a run exports its best by its own validation, and this
    lets another measure (real pages, speed) choose among the checkpoints kept on the way.

    ``interpolate`` (alpha): write ``(1 - alpha) * start + alpha * checkpoint`` instead, ``start`` being the
    weights ``task.model`` holds now (the run's ``--init``), to ``weights-step<N>-a<alpha>/``. Such weight-space
    ensembles of a model and its fine-tuned self (WiSE-FT, Wortsman et al. 2022) keep more of the start on
    pages unlike the training data: v5 and 1,600 steps of stage 13's control at 0.3 read FUNSD's crops
    83.7% (83.5% and 82.6% apart) and at half size 45.0% (43.7%, 43.4%)."""
    if not checkpoint.is_file():
        raise TrainingError(f"{checkpoint}: no such checkpoint")
    state = _load(checkpoint, device)
    start = {k: v.detach().clone() for k, v in task.model.state_dict().items()}
    try:
        task.model.to(device, memory_format=torch.channels_last).load_state_dict(state["model"])
    except RuntimeError as err:
        reason = str(err).strip().splitlines()[0]
        raise TrainingError(f"{checkpoint}: not a model of this config ({reason}); give the run's own options") from None
    step = state["step"] if "step" in state else state.get("metrics", {}).get("step")
    name = f"weights-step{step}"
    if interpolate is not None:
        if not 0 <= interpolate <= 1:
            raise TrainingError(f"interpolate must be within 0-1, got {interpolate}")
        mixed = {k: torch.lerp(start[k].to(v), v, interpolate) if v.is_floating_point() else v
                 for k, v in task.model.state_dict().items()}
        task.model.load_state_dict(mixed)
        name += f"-a{interpolate:g}"
    task.model.eval()
    metrics = {**task.validate(device), "step": step, **({"interpolate": interpolate} if interpolate is not None else {})}
    log.info("%s: %s", name, _fmt(metrics))
    return save_weights(task.model.float().cpu(), checkpoint.parent / name, task.name, task.manifest(metrics))


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively, so autocast pays: CUDA, and CPUs with AVX-512 BF16 or AMX,
    where a recognizer training step takes 0.4x its fp32 time (one Sapphire Rapids core, batch 64 x 32 x 256);
    on other CPUs bf16 is emulated and slower than fp32."""
    return device.type == "cuda" or getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()


def _train_mode(model: nn.Module, freeze_norm: bool) -> None:
    model.train()
    if freeze_norm:
        for module in model.modules():
            if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                module.eval()


def _fmt(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items() if k != "step")


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")
