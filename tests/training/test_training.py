"""Tiny training runs on generated pages: the loss goes down, checkpoints resume,
and the exported weights load back into the pipeline."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file

import docvision
from docvision.cli import main
from docvision.config import BackboneConfig, DetectorConfig, RecognizerConfig, from_dict, to_dict
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.detection.detector import MEAN, STD
from docvision.models.crnn import CRNN
from docvision.training.config import DataSource, DetTrainConfig, LoopConfig, RecTrainConfig
from docvision.training.detection import DetectionCrops, DetectorTask, random_crop
from docvision.training.loop import TrainingError, fit, lr_factor
from docvision.recognition.vocab import Vocab
from docvision.training import recognition
from docvision.training.recognition import (
    RecognizerTask,
    augment_crop,
    remap_vocabulary,
    widen,
    widens,
    word_groups,
    word_samples,
)

SYNTH = (DataSource(path="synth", size=6, seed=3, dpi=(72.0, 72.0)),)
VAL = (DataSource(path="synth", size=1, seed=99, dpi=(72.0, 72.0)),)
TINY_DET = DetectorConfig(BackboneConfig(depth=18, stages=(2, 3, 4), fpn_channels=16), head_channels=8)
TINY_REC = RecognizerConfig(channels=(8, 16, 16, 32), lstm_hidden=32, lstm_layers=1)


def _loop(**kw) -> LoopConfig:
    base = dict(batch_size=2, lr=2e-3, warmup_steps=1, max_steps=4, log_every=1, val_every=100, checkpoint_every=2, workers=0)
    return LoopConfig(**{**base, **kw})


def _losses(run: Path) -> list[float]:
    return [r["total"] for r in map(json.loads, (run / "log.jsonl").read_text().splitlines()) if "total" in r]


def _page() -> LabeledPage:
    image = np.full((400, 300, 3), 255, np.uint8)
    square = np.array([[100, 100], [160, 100], [160, 120], [100, 120]], np.float32)
    image[100:120, 100:160] = 0
    return LabeledPage("p", image, [LabeledWord("word", square)])


def test_random_crop_keeps_word_geometry():
    page = _page()
    rng = np.random.default_rng(0)
    for _ in range(5):
        crop, polygons, ignore = random_crop(page, rng, crop_size=128, max_side=400, scale_range=(1.0, 1.0))
        assert crop.shape == (128, 128, 3)
        for polygon, ignored in zip(polygons, ignore):
            if not ignored:
                x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
                x1, y1 = np.ceil(polygon.max(axis=0)).astype(int)
                assert crop[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].max() == 0  # the word's ink is under its box


def test_word_samples_skip_words_outside_vocab():
    page = _page()
    page.words.append(LabeledWord("日本", page.words[0].polygon + 200))
    samples = word_samples(page, Vocab.load(), np.random.default_rng(0))
    assert [text for _, text in samples] == ["word"]
    assert samples[0][0].shape[0] >= 17  # jitter moves a side in by at most 1/16 of the height


def _box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_phrases_join_neighbours_on_a_line_with_spaces():
    image = np.full((200, 400, 3), 255, np.uint8)
    boxes = {"one": (10, 10, 60, 30), "two": (70, 10, 120, 30), "three": (130, 12, 190, 30),  # a line
             "far": (330, 10, 380, 30), "below": (10, 60, 60, 80)}  # a column gap away; next line
    for x0, y0, x1, y1 in boxes.values():
        image[y0:y1, x0:x1:3] = 0
    page = LabeledPage("p", image, [LabeledWord(t, _box(*b)) for t, b in boxes.items()])
    assert word_groups(page, np.random.default_rng(0), 0.0) == [[i] for i in range(5)]
    assert word_groups(page, None, 1.0) == [[i] for i in range(5)]
    runs = [g for seed in range(20) for g in word_groups(page, np.random.default_rng(seed), 1.0) if len(g) > 1]
    assert {tuple(g) for g in runs} == {(0, 1), (0, 1, 2), (1, 2)}  # never across the gap or the line break
    samples = word_samples(page, Vocab.load(), np.random.default_rng(0), 1.0)
    texts = [t for _, t in samples]
    assert texts[:5] == list(boxes) and set(texts[5:]) <= {"one two", "one two three", "two three"}
    assert len(samples) > 5 and all(crop.shape[1] > 100 for crop, _ in samples[5:])  # crops span the words


def _word_crop(height: int) -> np.ndarray:
    crop = np.full((height, 3 * height), 235, np.uint8)
    crop[height // 4 : -height // 4, height // 2 : -height // 2 : 4] = 20  # vertical strokes
    return crop


def test_augment_crop_makes_strokes_bolder_or_thinner(monkeypatch):
    monkeypatch.setattr(recognition, "STROKE", 1.0)
    monkeypatch.setattr(recognition, "UNDERLINE", 0.0)
    monkeypatch.setattr(recognition, "RULE", 0.0)
    monkeypatch.setattr(recognition, "FIELD_RULE", 0.0)
    crop = _word_crop(20)
    ink = (crop < 128).sum()
    changes = {np.sign((augment_crop(crop, np.random.default_rng(seed)) < 128).sum() - ink) for seed in range(12)}
    assert changes == {-1, 1}  # bolder and thinner, never unchanged
    tiny = _word_crop(8)
    assert np.array_equal(augment_crop(tiny, np.random.default_rng(0)), tiny)  # too small to keep its letters


def test_augment_crop_underlines_the_bottom(monkeypatch):
    monkeypatch.setattr(recognition, "STROKE", 0.0)
    monkeypatch.setattr(recognition, "UNDERLINE", 1.0)
    monkeypatch.setattr(recognition, "RULE", 0.0)
    monkeypatch.setattr(recognition, "FIELD_RULE", 0.0)
    crop = _word_crop(30)
    out = augment_crop(crop, np.random.default_rng(1))
    dark_rows = np.flatnonzero((out < 128).all(axis=1))
    assert len(dark_rows) >= 1 and dark_rows.min() >= 0.85 * 29 - 1  # a line across the whole width, at the bottom
    assert np.array_equal(out[: len(out) // 2], crop[: len(crop) // 2]) and np.array_equal(crop, _word_crop(30))


def test_side_rule_draws_a_border_in_the_margin_only():
    crop = _word_crop(20)  # ink in columns 10-49 of 60
    ink = np.flatnonzero((crop < 128).any(axis=0))
    sides = set()
    for seed in range(20):
        out = recognition.side_rule(crop, np.random.default_rng(seed))
        rule = np.flatnonzero((out < 128).all(axis=0))
        assert 1 <= len(rule) <= 2 and np.ptp(rule) == len(rule) - 1  # one line, 1-2 px wide, full height
        assert rule.max() < ink[0] - 1 or rule.min() > ink[-1] + 1  # clear of the word
        assert np.array_equal(out[:, ink[0] : ink[-1] + 1], crop[:, ink[0] : ink[-1] + 1])
        sides.add(bool(rule.min() > ink[-1]))
    assert sides == {False, True}
    tight = crop[:, 8:52]  # margins of 2 px: no room for a line clear of the ink
    assert np.array_equal(recognition.side_rule(tight, np.random.default_rng(0)), tight)
    rgb = np.repeat(crop[..., None], 3, axis=2)
    assert recognition.side_rule(rgb, np.random.default_rng(0)).shape == rgb.shape


def test_field_rule_draws_a_line_stub_from_the_edge_at_the_ink_bottom():
    crop = _word_crop(20)  # ink in columns 10-49 of 60, rows 5-14
    ink = np.flatnonzero((crop < 128).any(axis=0))
    sides = set()
    for seed in range(20):
        out = recognition.field_rule(crop, np.random.default_rng(seed))
        changed = np.argwhere(out != crop)
        rows, cols = np.unique(changed[:, 0]), np.unique(changed[:, 1])
        assert rows.max() == 14 and len(rows) <= 2  # 1-2 px thick, its bottom on the ink's bottom row
        assert cols.min() == 0 or cols.max() == crop.shape[1] - 1  # from the crop's edge
        assert cols.max() < ink[0] - 1 or cols.min() > ink[-1] + 1  # clear of the word
        sides.add(bool(cols.min() > ink[-1]))
    assert sides == {False, True}
    tight = crop[:, 8:52]
    assert np.array_equal(recognition.field_rule(tight, np.random.default_rng(0)), tight)


def test_shrink_brings_crops_to_half_size_scan_heights_with_area_averaging():
    crop = _word_crop(40)
    heights = set()
    for seed in range(30):
        out = recognition.shrink(crop, np.random.default_rng(seed))
        lo, hi = recognition.SHRUNK_HEIGHT
        assert lo <= out.shape[0] <= hi and out.dtype == crop.dtype
        assert abs(out.shape[1] / out.shape[0] - crop.shape[1] / crop.shape[0]) < 0.2  # aspect kept
        assert ((out > 20) & (out < 235)).any()  # strokes averaged into grey, as a resized scan's
        heights.add(out.shape[0])
    assert len(heights) > 3
    small = _word_crop(6)
    assert recognition.shrink(small, np.random.default_rng(0)) is small


def test_random_crop_scales_small_pages_up_as_the_pipeline():
    page = _page()  # 400 px tall, one 60 x 20 word
    for max_upscale, size in ((1.0, (60, 20)), (2.0, (120, 40)), (1.5, (90, 30))):
        _, polygons, _ = random_crop(page, np.random.default_rng(0), crop_size=256, max_side=800,
                                     scale_range=(1.0, 1.0), max_upscale=max_upscale)
        assert tuple(np.ptp(polygons[0], axis=0)) == pytest.approx(size)


def test_detection_sample_shapes():
    config = DetTrainConfig(model=TINY_DET, train=SYNTH, val=VAL, crop_size=64, max_side=256, crops_per_page=3,
                            loop=_loop(batch_size=6))
    task = DetectorTask(config)
    samples = DetectionCrops(task.train_pages, config, seed=0)[0]
    assert [s["index"] for s in samples] == ["0:0", "0:1", "0:2"]
    assert samples[0]["image"].shape == (3, 64, 64) and samples[0]["targets"].shape == (4, 64, 64)
    assert not torch.equal(samples[0]["image"], samples[1]["image"])  # different crops of the page
    batch = next(task.batches(seed=0))
    assert batch["image"].shape == (6, 3, 64, 64) and len(batch["indices"]) == 6


def test_detector_trains_resumes_and_exports(tmp_path):
    torch.manual_seed(0)
    config = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=6), train=SYNTH, val=VAL, crop_size=96, max_side=256)
    run = tmp_path / "det"
    task = DetectorTask(config)
    fixed = next(b for b in task.batches(seed=123) if b["targets"][:, 0].sum() > 0)  # crops with text in them

    def fixed_loss() -> float:
        task.model.train()  # as in training (batch statistics), before and after
        with torch.no_grad():
            return task.loss(fixed, torch.device("cpu"))["total"].item()

    before = fixed_loss()
    summary = fit(task, config.loop, run, device=torch.device("cpu"))
    assert summary["steps"] == 6 and (run / "last.pt").is_file()
    assert fixed_loss() < before  # one fixed batch: per-step losses swing with the crops drawn
    longer = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=8), train=SYNTH, val=VAL, crop_size=96, max_side=256)
    summary = fit(DetectorTask(longer), longer.loop, run, device=torch.device("cpu"), resume=True)
    assert summary["steps"] == 8 and len(_losses(run)) == 8  # resumed at 6, not restarted
    manifest = json.loads((run / "weights" / "detector.json").read_text())
    assert manifest["architecture"] == "dbnet" and "f1" in manifest["metrics"]["validation"]
    assert from_dict(DetectorConfig, manifest["config"]) == TINY_DET
    # what inference must repeat is recorded with the weights
    assert manifest["max_side"] == 256 and manifest["shrink_ratio"] == longer.shrink_ratio
    assert np.allclose(manifest["mean"], MEAN) and np.allclose(manifest["std"], STD)


def test_recognizer_trains_and_exports_into_pipeline(tmp_path):
    torch.manual_seed(0)
    config = RecTrainConfig(model=TINY_REC, loop=_loop(batch_size=16, max_steps=12, lr=3e-3), train=SYNTH, val=VAL, phrase=0.2,
                            shrink=0.2)
    run = tmp_path / "rec"
    fit(RecognizerTask(config, pages_per_pass=2), config.loop, run, device=torch.device("cpu"))
    losses = _losses(run)
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    det = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=1), train=SYNTH, val=VAL, crop_size=64, max_side=256)
    fit(DetectorTask(det), det.loop, tmp_path / "det", device=torch.device("cpu"))
    weights = tmp_path / "weights"
    weights.mkdir()
    for name, src in (("recognizer", run), ("detector", tmp_path / "det")):
        for suffix in (".json", ".safetensors"):
            shutil.copy(src / "weights" / f"{name}{suffix}", weights)
    ocr = docvision.load(weights, device="cpu")
    assert ocr.trained and ocr.models == {"detector": "dbnet_resnet18", "recognizer": "crnn_resnet_slim"}
    page = ocr.ocr_image(_page().image)
    assert page.width == 300


def test_nan_loss_names_step_and_batch(tmp_path):
    config = DetTrainConfig(model=TINY_DET, loop=_loop(), train=SYNTH, val=VAL, crop_size=64, max_side=256)
    task = DetectorTask(config)
    with torch.no_grad():
        for p in task.model.parameters():
            p.fill_(math.nan)
    with pytest.raises(TrainingError, match=r"at step 0 \(batch of samples \["):
        fit(task, config.loop, tmp_path / "nan", device=torch.device("cpu"))


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_keeps_a_checkpoint_and_exports(tmp_path, stop):
    config = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=50), train=SYNTH, val=VAL, crop_size=64, max_side=256)
    task = DetectorTask(config)
    train_loss, calls = task.loss, []

    def stopped_at_step_3(batch, device):
        calls.append(1)
        if len(calls) == 4 and stop == "ctrl-c":
            raise KeyboardInterrupt
        if len(calls) == 4:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` or a scheduler would; without the handler: the test dies
        return train_loss(batch, device)

    task.loss = stopped_at_step_3
    before = signal.getsignal(signal.SIGTERM)
    summary = fit(task, config.loop, tmp_path / "run", device=torch.device("cpu"))
    assert summary["steps"] == 3 and summary["best"]["step"] == 3
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=True)["step"] == 3
    assert (tmp_path / "run" / "weights" / "detector.safetensors").is_file()
    assert signal.getsignal(signal.SIGTERM) is before


class _Planted:
    """Unpickling this touches ``marker``: what a crafted checkpoint could do with any code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_resume_never_runs_code_from_a_crafted_checkpoint(tmp_path):
    config = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=1), train=SYNTH, val=VAL, crop_size=64, max_side=256)
    run, marker = tmp_path / "run", tmp_path / "code-ran"
    run.mkdir()
    torch.save({"model": _Planted(marker), "step": 0}, run / "last.pt")
    with pytest.raises(TrainingError, match=r"last.pt: not a checkpoint of docvision's training loop \(") as err:
        fit(DetectorTask(config), config.loop, run, device=torch.device("cpu"), resume=True)
    assert not marker.exists() and "\n" not in str(err.value)


def test_fine_tuning_keeps_the_start_when_training_makes_it_worse(tmp_path):
    config = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=4, val_every=2), train=SYNTH, val=VAL, crop_size=64,
                            max_side=256)
    task = DetectorTask(config)
    start = {k: v.clone() for k, v in task.model.state_dict().items()}
    scores = iter([0.9, 0.5, 0.6])  # the starting weights, then steps 2 and 4
    task.validate = lambda device: {"precision": 0.0, "recall": 0.0, "f1": next(scores)}
    summary = fit(task, config.loop, tmp_path / "run", device=torch.device("cpu"), validate_first=True)
    assert summary["steps"] == 4 and summary["best"] == {"precision": 0.0, "recall": 0.0, "f1": 0.9, "step": 0}
    exported = load_file(str(tmp_path / "run" / "weights" / "detector.safetensors"))
    weight = "backbone.stem.0.weight"
    assert torch.allclose(exported[weight].float(), start[weight], atol=1e-3)
    trained = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"][weight]
    assert not torch.allclose(trained, start[weight], atol=1e-3)  # it did train


def test_freeze_norm_keeps_batchnorm_statistics_while_the_weights_learn(tmp_path):
    def run(freeze: bool) -> tuple[dict, dict]:
        torch.manual_seed(0)
        config = DetTrainConfig(model=TINY_DET, loop=_loop(max_steps=3, val_every=2, freeze_norm=freeze), train=SYNTH,
                                val=VAL, crop_size=64, max_side=256)
        task = DetectorTask(config)
        start = {k: v.clone() for k, v in task.model.state_dict().items()}
        fit(task, config.loop, tmp_path / f"run{freeze}", device=torch.device("cpu"))  # validation at 2 goes back to training
        return start, torch.load(tmp_path / f"run{freeze}" / "last.pt", weights_only=True)["model"]

    stats, scale = "backbone.stem.1.running_mean", "backbone.stem.1.weight"
    start, frozen = run(True)
    assert torch.equal(frozen[stats], start[stats]) and frozen["backbone.stem.1.num_batches_tracked"] == 0
    assert not torch.allclose(frozen[scale], start[scale]) and not torch.allclose(frozen["backbone.stem.0.weight"], start["backbone.stem.0.weight"])
    start, free = run(False)
    assert not torch.allclose(free[stats], start[stats])


def test_train_cli_bad_config_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("loop: {nonsense: 1}\n")
    assert main(["train", "det", "--config", str(bad), "--run-dir", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == f"docvision: error: {bad}: unknown LoopConfig keys: nonsense\n"


@pytest.mark.parametrize("task, config_class", [("det", DetTrainConfig), ("rec", RecTrainConfig)])
def test_train_cli_default_config_ships_in_the_package(tmp_path, monkeypatch, task, config_class):
    """Outside the checkout (here an empty folder), ``docvision train det|rec`` reads the package's default."""
    from docvision import training
    from docvision.config import load_yaml

    seen = {}
    monkeypatch.setattr(training.cli, "_task", lambda args, config: seen.setdefault("config", config))
    monkeypatch.setattr(training.loop, "fit", lambda task, loop, run_dir, **kwargs: {"steps": loop.max_steps})
    monkeypatch.chdir(tmp_path)
    assert main(["train", task, "--max-steps", "2"]) == 0
    shipped = Path(docvision.__file__).parent / "configs" / training.cli.DEFAULT_CONFIGS[task]
    assert seen["config"].loop.max_steps == 2 and seen["config"].train == load_yaml(config_class, shipped).train


def test_export_writes_a_checkpoints_weights_beside_it(tmp_path, capsys):
    """``train --export CHECKPOINT``: that checkpoint's model, validated, in the shipped format; a checkpoint of
    another model, or none, is a one-line error."""
    config = RecTrainConfig(model=TINY_REC, loop=_loop(max_steps=3, checkpoint_every=2), train=SYNTH, val=VAL)
    run = tmp_path / "run"
    fit(RecognizerTask(config, pages_per_pass=1), config.loop, run, device=torch.device("cpu"))
    path = tmp_path / "rec.yaml"
    path.write_text(yaml.safe_dump(to_dict(config)))
    assert main(["train", "rec", "--config", str(path), "--export", str(run / "last.pt")]) == 0
    manifest = json.loads((run / "weights-step3" / "recognizer.json").read_text())
    assert manifest["metrics"]["validation"]["step"] == 3 and 0 <= manifest["metrics"]["validation"]["accuracy"] <= 1
    trained = torch.load(run / "last.pt", weights_only=True)["model"]
    exported = load_file(run / "weights-step3" / "recognizer.safetensors")
    assert all(torch.allclose(exported[k].float(), v, rtol=1e-2, atol=1e-4) for k, v in trained.items() if v.is_floating_point())

    path.write_text(yaml.safe_dump(to_dict(replace(config, model=replace(TINY_REC, lstm_hidden=16)))))
    capsys.readouterr()
    assert main(["train", "rec", "--config", str(path), "--export", str(run / "last.pt")]) == 2
    assert capsys.readouterr().err.startswith(f"docvision: error: {run / 'last.pt'}: not a model of this config (")
    assert main(["train", "rec", "--config", str(path), "--export", str(run / "none.pt")]) == 2
    assert capsys.readouterr().err == f"docvision: error: {run / 'none.pt'}: no such checkpoint\n"


def test_export_interpolates_with_the_init_weights(tmp_path, capsys):
    """``--export CHECKPOINT --interpolate A --init W``: (1 - A) W + A CHECKPOINT, floats only, beside the checkpoint."""
    config = RecTrainConfig(model=TINY_REC, loop=_loop(max_steps=2), train=SYNTH, val=VAL)
    for seed, run in ((0, tmp_path / "start"), (1, tmp_path / "tuned")):
        torch.manual_seed(seed)
        fit(RecognizerTask(config, pages_per_pass=1), config.loop, run, device=torch.device("cpu"))
    path = tmp_path / "rec.yaml"
    path.write_text(yaml.safe_dump(to_dict(config)))
    start = str(tmp_path / "start" / "weights")
    checkpoint = str(tmp_path / "tuned" / "last.pt")
    assert main(["train", "rec", "--config", str(path), "--init", start, "--export", checkpoint, "--interpolate", "0.25"]) == 0
    mixed = load_file(tmp_path / "tuned" / "weights-step2-a0.25" / "recognizer.safetensors")
    init = load_file(tmp_path / "start" / "weights" / "recognizer.safetensors")
    tuned = torch.load(checkpoint, weights_only=True)["model"]
    floats = [k for k, v in tuned.items() if v.is_floating_point()]
    assert any(not torch.allclose(init[k].float(), tuned[k], atol=1e-3) for k in floats)  # the ends differ
    assert all(torch.allclose(mixed[k].float(), 0.75 * init[k].float() + 0.25 * tuned[k], rtol=1e-2, atol=1e-3) for k in floats)

    capsys.readouterr()
    assert main(["train", "rec", "--config", str(path), "--export", checkpoint, "--interpolate", "0.25"]) == 2
    assert capsys.readouterr().err == (
        "docvision: error: --interpolate blends the --init weights with the --export checkpoint: give both\n")
    assert main(["train", "rec", "--config", str(path), "--init", start, "--export", checkpoint, "--interpolate", "2"]) == 2
    assert capsys.readouterr().err == "docvision: error: --interpolate must be within 0-1, got 2.0\n"


def test_learning_rate_follows_the_steps_or_the_time_budget():
    loop = LoopConfig(warmup_steps=10, max_steps=110)
    assert lr_factor(loop, 0) == pytest.approx(0.1) and lr_factor(loop, 9) == pytest.approx(1.0)
    assert lr_factor(loop, 10) == pytest.approx(1.0)
    assert lr_factor(loop, 60) == pytest.approx(0.51)  # half-way down the cosine
    assert lr_factor(loop, 110) == pytest.approx(0.02)
    assert lr_factor(loop, 20, time_fraction=0.5) == pytest.approx(0.51)  # the budget is half spent
    assert lr_factor(loop, 20, time_fraction=1.0) == pytest.approx(0.02)


@pytest.mark.parametrize("kind", ["det", "rec"])
def test_losses_survive_bf16_autocast(kind):
    """What the loop runs on CUDA (bf16 autocast), with CPU autocast standing in for the GPU:
    the losses stay float32, finite and close to full precision, and gradients flow."""
    torch.manual_seed(0)
    if kind == "det":
        loop = _loop(batch_size=2)
        task = DetectorTask(DetTrainConfig(model=TINY_DET, loop=loop, train=SYNTH, val=VAL, crop_size=64, max_side=256))
    else:
        config = RecTrainConfig(model=TINY_REC, loop=_loop(batch_size=8), train=SYNTH, val=VAL)
        task = RecognizerTask(config, pages_per_pass=1)
    task.model.train()
    batch = next(task.batches(seed=0))
    full = task.loss(batch, torch.device("cpu"))["total"]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = task.loss(batch, torch.device("cpu"))["total"]
    assert mixed.dtype == torch.float32 and torch.isfinite(mixed)
    assert mixed.item() == pytest.approx(full.item(), rel=0.1)
    mixed.backward()
    grads = [p.grad for p in task.model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize(("native", "amp", "bf16"), [(True, True, True), (False, True, False), (True, False, False)])
def test_fit_trains_in_bf16_where_the_cpu_computes_it(tmp_path, monkeypatch, native, amp, bf16):
    """bf16 autocast on CPUs with native bf16 (2.6x faster steps on AMX) unless ``amp`` is off; fp32 elsewhere."""
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    config = RecTrainConfig(model=TINY_REC, loop=_loop(max_steps=2, amp=amp), train=SYNTH, val=VAL)
    task = RecognizerTask(config, pages_per_pass=1)
    train_loss, dtypes = task.loss, []

    def loss(batch, device):
        dtypes.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else torch.float32)
        return train_loss(batch, device)

    task.loss = loss
    fit(task, config.loop, tmp_path / "run", device=torch.device("cpu"))
    assert dtypes == [torch.bfloat16 if bf16 else torch.float32] * 2


def test_remapped_vocabulary_keeps_what_the_model_knew():
    torch.manual_seed(0)
    old, new = Vocab(tuple("abc")), Vocab(tuple("cxab"))
    model = CRNN(old.num_classes, TINY_REC).eval()
    grown = remap_vocabulary(model, old, new).eval()
    assert grown.classifier.out_features == new.num_classes
    x = torch.rand(2, 1, TINY_REC.height, 40)
    with torch.no_grad():
        before, after = model(x), grown(x)
    for char in "abc":  # each shared character's logits follow it to its new class
        assert torch.allclose(after[..., new.encode(char)[0]], before[..., old.encode(char)[0]], atol=1e-5)
    assert torch.allclose(after[..., 0], before[..., 0], atol=1e-5)  # the blank
    assert (after[..., new.encode("x")[0]] < before[..., 1:].max(-1).values).all()  # the new class stays quiet
    assert remap_vocabulary(model, old, old) is model


def test_widened_recognizer_reads_as_before_and_its_new_units_learn():
    torch.manual_seed(0)
    narrow = RecognizerConfig(channels=(8, 12, 16, 20), lstm_hidden=10, lstm_layers=2)
    wider = RecognizerConfig(channels=(12, 16, 24, 28), lstm_hidden=14, lstm_layers=2)
    model = CRNN(7, narrow)
    for _ in range(3):  # batch-norm statistics away from their initial values
        model(torch.rand(4, 1, 32, 48))
    grown = widen(model.eval(), wider)
    assert grown.config == wider and grown.rnn.hidden_size == 14 and grown.classifier.in_features == 28
    x, steps = torch.rand(3, 1, 32, 80), torch.tensor([20, 12, 7])
    with torch.no_grad():
        assert torch.allclose(grown.eval()(x), model(x), atol=1e-5)
        assert torch.allclose(grown(x, steps), model(x, steps), atol=1e-5)
    grown.train()(x).logsumexp(-1).mean().backward()
    new_units = torch.cat([grown.classifier.weight.grad[:, 10:14], grown.classifier.weight.grad[:, 24:]], 1)
    assert new_units.abs().sum() > 0  # the zero weights out of new units get gradients: they start learning
    assert widens(narrow, wider) and not widens(wider, narrow) and not widens(narrow, narrow)
    assert not widens(narrow, RecognizerConfig(height=48, channels=wider.channels, lstm_hidden=14))
    assert not widens(narrow, RecognizerConfig(channels=(8, 16, 16, 20), lstm_hidden=10))  # an identity skip turned projection
    with pytest.raises(ValueError, match="only channels and lstm_hidden may grow"):
        widen(grown, narrow)


@pytest.mark.parametrize("channels, widened", [((8, 8, 24, 24), True), ((8, 8, 16, 24), False), ((4, 4, 8, 8), False)])
def test_train_init_widens_the_recognizer_when_the_config_is_wider(tmp_path, monkeypatch, small_weights, channels, widened):
    """A training config wider than the ``--init`` recognizer grows it (reading as it did); any other keeps the init's."""
    from docvision import training, zoo

    config = tmp_path / "wide.yaml"
    config.write_text(f"model: {{channels: {list(channels)}, lstm_hidden: 24, lstm_layers: 1}}\n"
                      "val: [{path: synth, size: 1, seed: 99, dpi: [72, 72]}]\n")
    seen = {}
    monkeypatch.setattr(training.loop, "fit", lambda task, loop, run_dir, **kwargs: seen.setdefault("task", task) and {})
    assert main(["train", "rec", "--config", str(config), "--init", str(small_weights), "--max-steps", "1",
                 "--run-dir", str(tmp_path / "run")]) == 0
    model, start = seen["task"].model.eval(), zoo.load_model(small_weights, "recognizer")[0].eval()
    expected = RecognizerConfig(channels=channels, lstm_hidden=24, lstm_layers=1) if widened else start.config
    assert model.config == expected and seen["task"].config.model == expected
    x = torch.rand(2, 1, 32, 40)
    with torch.no_grad():
        assert torch.allclose(model(x), start(x), atol=1e-5)


def test_init_weights_are_checked_as_the_pipeline_checks_them(tmp_path, small_weights, capsys):
    """``train --init`` reads weights through the zoo: a swapped manifest is refused, naming it, before any data."""
    folder = tmp_path / "swapped"
    shutil.copytree(small_weights, folder)
    (folder / "detector.json").write_bytes((small_weights / "recognizer.json").read_bytes())
    code = main(["train", "det", "--init", str(folder), "--run-dir", str(tmp_path / "run"), "--max-steps", "1"])
    err = capsys.readouterr().err
    assert code != 0 and f"{folder / 'detector.json'}: architecture 'crnn', expected 'dbnet'" in err
    assert "Traceback" not in err and not (tmp_path / "run").exists()
