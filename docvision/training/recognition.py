"""Recognizer training: word crops cut from labeled pages with detector-like box jitter,
CTC loss, word accuracy / CER validation."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

from docvision.config import RecognizerConfig, to_dict
from docvision.datasets.labeled_crops import labeled_crops
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.evaluation.metrics import word_scores
from docvision.models.crnn import CRNN, STEP
from docvision.models.weights import Manifest
from docvision.recognition.crops import pad_batch, to_recognizer_input
from docvision.recognition.recognizer import Recognizer, output_steps
from docvision.recognition.vocab import Vocab
from docvision.training.config import RecTrainConfig
from docvision.training.data import describe, mixed, open_source, weighted_sampler
from docvision.training.teacher import CTCTeacher, distillation_loss, teacher_path

Sample = tuple[np.ndarray, list[int], str]
"""Recognizer input ``(H, W)``, label ids, sample id (``page:word``)."""
SHUFFLE_BUFFER = 4096
STRETCH = (0.8, 1.25)
"""Random horizontal scaling of training crops (condensed and wide fonts)."""
STROKE = 0.3
"""Share of training crops whose strokes are made one pixel bolder or thinner (heavy or faint
typewriter ribbons, toner), when the crop is tall enough to keep its letters."""
UNDERLINE = 0.1
"""Share of training crops given an underline touching the bottom (filled-in form fields)."""
RULE = 0.1
"""Share of training crops given a vertical rule in the blank margin beside the word (the
border of a form or table cell), which is not read."""
FIELD_RULE = 0.1
"""Share of training crops given the start of a form's fill-in line beside the word, level with the
bottom of its ink (:func:`field_rule`): v5 read such a stub as a period ("DATE_" -> "DATE.", "THRU_" ->
"THRU."; the commonest of its 93 added periods on every fifth FUNSD page's crops)."""
SHRUNK_HEIGHT = (6, 12)
"""Crop heights (px) that :func:`shrink` brings a crop to: FUNSD's words at half size (50 dpi)."""
MAX_VAL_WORDS = 3000


JITTER = 0.25
"""How far crop sides stray from the word's ink, in box heights (see ``jitter_quad``)."""


def next_on_line(a: LabeledWord, b: LabeledWord) -> bool:
    """Whether ``b`` follows ``a`` on the same line, one word space or so to its right."""
    (ax0, ay0), (ax1, ay1) = a.polygon.min(axis=0), a.polygon.max(axis=0)
    (bx0, by0), (bx1, by1) = b.polygon.min(axis=0), b.polygon.max(axis=0)
    height = max(ay1 - ay0, by1 - by0)
    overlap = min(ay1, by1) - max(ay0, by0)
    return overlap >= 0.5 * min(ay1 - ay0, by1 - by0) and 0 < bx0 - ax1 <= 1.5 * height


def word_groups(page: LabeledPage, rng: np.random.Generator | None, phrase: float) -> list[list[int]]:
    """Each word alone, and with chance ``phrase`` (only when ``rng``) also a run of it and the
    next one or two words of its line (listed words that :func:`next_on_line` links)."""
    words = page.words
    groups = [[i] for i in range(len(words))]
    if rng is None or not phrase:
        return groups
    for i in range(len(words) - 1):
        if rng.random() >= phrase:
            continue
        run, length = [i], rng.integers(2, 4)
        while len(run) < length and run[-1] + 1 < len(words) and next_on_line(words[run[-1]], words[run[-1] + 1]):
            run.append(run[-1] + 1)
        if len(run) > 1:
            groups.append(run)
    return groups


def word_samples(
    page: LabeledPage, vocab: Vocab, rng: np.random.Generator | None, phrase: float = 0.0
) -> list[tuple[np.ndarray, str]]:
    """Crops of the page's words (and, with ``phrase``, word runs; see :func:`word_groups`)
    whose text ``vocab`` covers, box-jittered when ``rng``."""
    crops = labeled_crops(page, rng, JITTER if rng is not None else 0.0, word_groups(page, rng, phrase))
    return [(crop, text) for crop, text in crops if vocab.covers(text) and crop.shape[0] >= 4 and crop.shape[1] >= 2]


def augment_crop(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A training crop (RGB or gray uint8, dark ink on light paper) with its strokes made bolder
    or thinner by one pixel now and then (crops 14-48 px tall) and, less often, underlined or
    given a cell border (:func:`side_rule`) or a fill-in line (:func:`field_rule`) beside the word."""
    h = crop.shape[0]
    if 14 <= h <= 48 and rng.random() < STROKE:
        kernel = np.ones((2, 2), np.uint8)
        crop = cv2.erode(crop, kernel) if rng.random() < 0.5 else cv2.dilate(crop, kernel)
    if rng.random() < UNDERLINE:
        crop = crop.copy()
        y = int(rng.integers(round(0.85 * (h - 1)), h))
        thickness = max(1, round(h * rng.uniform(0.03, 0.08)))
        ink = int(rng.integers(0, 90))
        crop[max(0, y - thickness + 1) : y + 1] = ink
    if rng.random() < RULE:
        crop = side_rule(crop, rng)
    if rng.random() < FIELD_RULE:
        crop = field_rule(crop, rng)
    return crop


def shrink(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``crop`` shrunk with area averaging to a height drawn from :data:`SHRUNK_HEIGHT`, its aspect
    kept: the look of a scan resized to half size or less (small print the generator draws with its
    fonts at 7 px keeps hinted, sharp strokes that such scans do not have); unchanged when it is
    no taller than that already."""
    h, w = crop.shape[:2]
    target = int(rng.integers(SHRUNK_HEIGHT[0], SHRUNK_HEIGHT[1] + 1))
    if h <= target:
        return crop
    return cv2.resize(crop, (max(1, round(w * target / h)), target), interpolation=cv2.INTER_AREA)


def _ink_columns_rows(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows of ``gray`` with a pixel darker than halfway between its extremes."""
    ink = gray < (int(gray.min()) + int(gray.max())) / 2
    return np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))


def side_rule(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``crop`` with a dark vertical line 1-2 px wide across its height in the blank margin
    left or right of the ink, at least one pixel clear of it; unchanged when that margin is
    under 3 px."""
    columns, _ = _ink_columns_rows(crop if crop.ndim == 2 else crop.min(axis=2))
    if not len(columns):
        return crop
    right = bool(rng.random() < 0.5)
    margin = crop.shape[1] - 1 - columns[-1] if right else columns[0]
    if margin < 3:
        return crop
    width = int(rng.integers(1, 3))
    x = int(rng.integers(0, margin - width))  # columns x .. x + width - 1 of that margin, counted from the edge
    out = crop.copy()
    lo = crop.shape[1] - x - width if right else x
    out[:, lo : lo + width] = int(rng.integers(0, 90))
    return out


def field_rule(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``crop`` with a dark horizontal line 1-2 px thick from the crop's left or right edge towards
    the word, ending 1 px to a quarter of the crop height clear of its ink, at the ink's bottom row
    (a form's fill-in line stub, as where a detector's box ends just past "DATE" on "DATE ____");
    unchanged when that margin is under 3 px."""
    columns, rows = _ink_columns_rows(crop if crop.ndim == 2 else crop.min(axis=2))
    if not len(columns):
        return crop
    h, w = crop.shape[:2]
    right = bool(rng.random() < 0.5)
    margin = w - 1 - columns[-1] if right else columns[0]
    if margin < 3:
        return crop
    clear = int(rng.integers(1, max(2, min(margin - 1, h // 4 + 1))))
    thickness = int(rng.integers(1, 3))
    bottom = int(rows[-1])
    out = crop.copy()
    x0, x1 = (columns[-1] + 1 + clear, w) if right else (0, columns[0] - clear)
    out[max(0, bottom - thickness + 1) : bottom + 1, x0:x1] = int(rng.integers(0, 90))
    return out


def _collate(samples: Sequence[Sample]) -> dict[str, Any]:
    images, widths = pad_batch([s[0] for s in samples])
    return {
        "image": images,
        "steps": torch.tensor([output_steps(w) for w in widths]),
        "labels": torch.tensor([i for s in samples for i in s[1]]),
        "label_lengths": torch.tensor([len(s[1]) for s in samples]),
        "indices": [s[2] for s in samples],
    }


class WordCrops(IterableDataset):
    """Batches of word crops from the items picked by ``order`` (labeled pages, whose
    words are cut out with jitter, or ready ``(crop, text)`` samples).

    Crops are pooled in a shuffle buffer, and each batch takes crops of similar width
    (little padding, so less compute); the batches come out in random order.
    """

    def __init__(self, pages: Dataset, order: Sequence[int], vocab: Vocab, config: RecTrainConfig, seed: int):
        self.pages, self.order, self.vocab, self.config, self.seed = pages, list(order), vocab, config, seed

    def _samples(self, rng: np.random.Generator, indices: Sequence[int]) -> Iterator[Sample]:
        height, max_width = self.config.model.height, self.config.max_width
        for index in indices:
            item = self.pages[index]
            pairs = word_samples(item, self.vocab, rng, self.config.phrase) if isinstance(item, LabeledPage) else [item]
            for n, (crop, text) in enumerate(pairs):
                if not self.vocab.covers(text):
                    continue
                stretch = rng.uniform(*STRETCH)
                crop = cv2.resize(augment_crop(crop, rng), (max(1, round(crop.shape[1] * stretch)), crop.shape[0]))
                if rng.random() < self.config.shrink:
                    crop = shrink(crop, rng)
                x = to_recognizer_input(crop, height)
                if x.shape[1] <= max_width and x.shape[1] // STEP >= 2 * len(text) - 1:
                    yield x, self.vocab.encode(text), f"{index}:{n}"

    def _batches(self, pool: list[Sample], shuffle: random.Random) -> list[dict[str, Any]]:
        size = self.config.loop.batch_size
        pool.sort(key=lambda s: s[0].shape[1])
        batches = [_collate(pool[i : i + size]) for i in range(0, len(pool) - size + 1, size)]
        shuffle.shuffle(batches)
        return batches

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        rng = np.random.default_rng([self.seed, worker])
        shuffle = random.Random(self.seed * 1000 + worker)
        buffer: list[Sample] = []
        for sample in self._samples(rng, self.order[worker::workers]):
            buffer.append(sample)
            if len(buffer) >= SHUFFLE_BUFFER:
                shuffle.shuffle(buffer)
                half = SHUFFLE_BUFFER // 2
                yield from self._batches(buffer[:half], shuffle)
                buffer = buffer[half:]
        shuffle.shuffle(buffer)
        yield from self._batches(buffer, shuffle)


def remap_vocabulary(model: CRNN, old: Vocab, new: Vocab) -> CRNN:
    """``model`` (trained on ``old``) as a model over ``new``: shared characters keep their
    classifier rows, new ones start from small random rows with the lowest bias of the old
    classes (so they do not fire before training teaches them); dropped ones are forgotten."""
    if old == new:
        return model
    grown = CRNN(new.num_classes, model.config)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("classifier.")}
    grown.load_state_dict(state, strict=False)
    weight, bias = model.classifier.weight.detach(), model.classifier.bias.detach()
    with torch.no_grad():
        grown.classifier.weight.mul_(0.1)
        grown.classifier.bias.fill_(float(bias[1:].min()))
        grown.classifier.weight[0], grown.classifier.bias[0] = weight[0], bias[0]  # the blank
        for i, char in enumerate(new.chars, start=1):
            if old.covers(char):
                (j,) = old.encode(char)
                grown.classifier.weight[i], grown.classifier.bias[i] = weight[j], bias[j]
    return grown


def widens(old: RecognizerConfig, new: RecognizerConfig) -> bool:
    """Whether ``new`` is ``old`` with more channels and/or BiLSTM units and nothing else changed; the
    residual blocks' skips (``c2 -> c3``, ``c3 -> c4``) must stay what they were, identity or projection."""

    def skips(c: tuple[int, ...]) -> tuple[bool, bool]:
        return c[1] == c[2], c[2] == c[3]

    same = (new.height, new.lstm_layers, len(new.channels)) == (old.height, old.lstm_layers, len(old.channels))
    sizes = zip((*new.channels, new.lstm_hidden), (*old.channels, old.lstm_hidden))
    return same and new != old and skips(new.channels) == skips(old.channels) and all(n >= o for n, o in sizes)


def widen(model: CRNN, config: RecognizerConfig) -> CRNN:
    """``model`` grown to the wider ``config`` (same height and layers) computing the same function:
    old units keep their weights and ignore the new ones, new units start random with zero weights
    into old units, so training begins where ``model`` stands and the new capacity learns from there."""
    old, hidden = model.config, model.config.lstm_hidden
    if not widens(old, config):
        raise ValueError(f"cannot widen recognizer {old} to {config}: only channels and lstm_hidden may grow")
    wide = CRNN(model.classifier.out_features, config)
    new_hidden = config.lstm_hidden
    gate_rows = torch.cat([g * new_hidden + torch.arange(hidden) for g in range(4)])  # LSTM: 4 gate blocks
    bilstm_columns = torch.cat([torch.arange(hidden), new_hidden + torch.arange(hidden)])  # forward, backward

    state = wide.state_dict()
    with torch.no_grad():
        for key, value in model.state_dict().items():
            target = state[key]
            if value.dim() == 0:
                target.copy_(value)
                continue
            index = [torch.arange(n) for n in value.shape]
            if key.startswith("rnn."):
                index[0] = gate_rows
                if key.startswith("rnn.weight_ih_l") and not key.startswith("rnn.weight_ih_l0"):
                    index[1] = bilstm_columns  # a deeper layer reads the BiLSTM below
            elif key == "classifier.weight":
                index[1] = bilstm_columns
            if value.dim() > 1:
                target[index[0]] = 0.0  # old units: nothing from new inputs
            target[torch.meshgrid(*index, indexing="ij")] = value
    wide.load_state_dict(state)
    return wide


class RecognizerTask:
    """CRNN training set-up for :func:`docvision.training.loop.fit`."""

    name = "recognizer"
    metric = "accuracy"

    def __init__(self, config: RecTrainConfig, model: CRNN | None = None, vocab: Vocab | None = None, pages_per_pass: int = 200):
        self.config = config
        self.vocab = vocab or (Vocab.load(config.vocab) if config.vocab else Vocab.load())
        self.model = model or CRNN(self.vocab.num_classes, config.model)
        self.train_pages, self.weights = mixed(config.train, crops=True)
        self.pages_per_pass = pages_per_pass
        self.val_crops = []
        for source in config.val:
            dataset = open_source(source, crops=True)
            for i in range(len(dataset)):
                item = dataset[i]
                pairs = word_samples(item, self.vocab, None) if isinstance(item, LabeledPage) else [item]
                self.val_crops += [(crop, text) for crop, text in pairs if self.vocab.covers(text)]
        self.val_crops = self.val_crops[:MAX_VAL_WORDS]
        teacher = config.teacher
        self.teacher = CTCTeacher(teacher_path(teacher), self.vocab, torch.get_num_threads()) if teacher else None

    def batches(self, seed: int) -> Iterator[dict[str, Any]]:
        loop = self.config.loop
        order = list(weighted_sampler(self.weights, self.pages_per_pass, seed))
        dataset = WordCrops(self.train_pages, order, self.vocab, self.config, seed)
        yield from DataLoader(dataset, batch_size=None, num_workers=loop.workers)

    def loss(self, batch: dict[str, Any], device: torch.device) -> dict[str, torch.Tensor]:
        logits = self.model(batch["image"].to(device).contiguous(memory_format=torch.channels_last), batch["steps"])
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # T, N, C
        steps = batch["steps"].clamp(max=log_probs.shape[0])
        ctc = F.ctc_loss(log_probs, batch["labels"].to(device), steps, batch["label_lengths"],
                         blank=0, reduction="mean", zero_infinity=True)
        if self.teacher is None:
            return {"total": ctc, "ctc": ctc.detach()}
        teacher = self.config.teacher
        labels = [label.tolist() for label in batch["labels"].split(batch["label_lengths"].tolist())] \
            if teacher.only_right else None
        targets, target_steps = self.teacher.probabilities(batch["image"], steps)
        kd, share = distillation_loss(logits, targets, steps, teacher.temperature, labels, teacher.misread, target_steps)
        total = ctc + teacher.weight * kd
        return {"total": total, "ctc": ctc.detach(), "kd": kd.detach(), "kd_share": torch.tensor(share)}

    def validate(self, device: torch.device) -> dict[str, float]:
        recognizer = Recognizer(self.model, self.vocab, batch_size=128, device=device)
        predicted = [text for text, _ in recognizer.recognize([crop for crop, _ in self.val_crops])]
        scores = word_scores(predicted, [text for _, text in self.val_crops]).as_dict()
        return {"accuracy": scores["accuracy"], "accuracy_nocase": scores["accuracy_nocase"], "cer": scores["cer"]}

    def manifest(self, metrics: dict[str, float]) -> Manifest:
        return Manifest(
            architecture="crnn",
            name="crnn_resnet_slim",
            config=to_dict(self.config.model),
            vocabulary=list(self.vocab.chars),
            training_data=", ".join(map(describe, self.config.train)),
            metrics={"validation": metrics},
        )
