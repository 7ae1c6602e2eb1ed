"""A stronger CTC recognizer as teacher (knowledge distillation): its class probabilities at each character
it reads in a training crop, in the student's vocabulary, as soft targets beside the labels.

The teacher is an ONNX CTC recognizer in PaddleOCR's layout: input ``(N, 3, 48, W)`` in [-1, 1], output
``(N, W / 8, C)`` softmax with the blank first and a space last, its characters listed in the model's
``character`` metadata (the PP-OCR recognizer inside the ``rapidocr`` wheel, Apache-2.0). The student's
crops are 32 px tall with one step per 4 columns; the teacher gets them 48 px tall at their own aspect,
so it has 3 steps for every 4 of the student's: the distillation pairs the characters' peaks, not steps.
Until 2026-12-07 it got them twice as wide (steps one for one, the text stretched 4/3 across), which read
FUNSD's crops no better (87.0% against 87.35% of every 10th page's 1,969) at 1.3-1.5x the teacher's time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from docvision.errors import WeightsError
from docvision.extras import require
from docvision.models.crnn import STEP
from docvision.recognition.vocab import Vocab
from docvision.training.config import TeacherConfig

TEACHER_HEIGHT = 48
TEACHER_STEP = 8
"""Input columns per output step of the teacher."""


def teacher_path(config: TeacherConfig) -> Path:
    """The teacher's ONNX file: ``config.model``, or for ``rapidocr`` the recognizer inside that package."""
    if config.model != "rapidocr":
        path = Path(config.model)
        if not path.is_file():
            raise WeightsError(f"teacher model {path} does not exist")
        return path
    folder = Path(require("rapidocr", "compare").__file__).parent / "models"
    models = sorted(folder.glob("*rec*.onnx"))
    if not models:
        raise WeightsError(f"no recognizer ONNX file in {folder} (the rapidocr package) to use as teacher")
    return models[-1]


class CTCTeacher:
    """Soft targets from an ONNX CTC recognizer, mapped onto a student vocabulary."""

    def __init__(self, path: str | Path, vocab: Vocab, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Every batch has its own width: ONNX Runtime's memory patterns keep a plan per shape seen, which with
        # the arena grew a training run's RSS from 0.6 to 5 GB over 100 widths. Without the patterns the arena
        # levels off (1.8 GB after 30 batches of 32 crops of random widths, the same after 60); without the arena
        # too the teacher took 1.6-2x as long a batch (3.4-3.9 s against 2.1 s for 64 crops 192 px wide).
        options.enable_mem_pattern = False
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        chars = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        index = {c: i for i, c in enumerate(["<blank>", *chars, " "])}
        # The teacher's class for each student class (blank first), -1 where the teacher lacks the character.
        self.columns = torch.tensor([0] + [index.get(c, -1) for c in vocab.chars])

    def probabilities(self, images: torch.Tensor, steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher probabilities ``(N, T, C_student)`` for student inputs ``(N, 1, h, W)`` (ink 1, paper 0) whose
        crops fill ``steps`` student steps of ``STEP`` columns, renormalised over the characters both know (the
        mass on the others is dropped), and the teacher steps each crop fills."""
        n, _, height, width = images.shape
        scale = TEACHER_HEIGHT / height
        columns = max(TEACHER_STEP, round(width * scale / TEACHER_STEP) * TEACHER_STEP)
        paper = 1.0 - images.float()
        x = F.interpolate(paper, size=(TEACHER_HEIGHT, columns), mode="bilinear", align_corners=False)
        x = (x * 2.0 - 1.0).expand(n, 3, TEACHER_HEIGHT, columns).contiguous()
        out = torch.from_numpy(self.session.run(None, {self.input: x.numpy()})[0])
        known = self.columns >= 0
        probs = torch.zeros(*out.shape[:2], len(self.columns))
        probs[..., known] = out[..., self.columns[known]]
        filled = torch.ceil(steps * (STEP * columns / width / TEACHER_STEP)).long().clamp(1, out.shape[1])
        return probs / probs.sum(-1, keepdim=True).clamp_min(1e-8), filled


def peaks(path: list[int], steps: int, probs: torch.Tensor) -> list[tuple[int, int]]:
    """Each character a greedy CTC ``path`` (class per step) emits in its first ``steps``: its class and the step
    of its run where ``probs`` ``(T, C)`` gives it most."""
    out: list[tuple[int, int]] = []
    for i, c in enumerate(path[:steps]):
        if not c:
            continue
        if i and path[i - 1] == c:
            if probs[i, c] > probs[out[-1][1], c]:
                out[-1] = (c, i)
        else:
            out.append((c, i))
    return out


def aligned_peaks(log_probs: torch.Tensor, label: list[int]) -> list[tuple[int, int]] | None:
    """Each character of ``label`` and the step where ``log_probs`` ``(T, C)`` gives it most within the run
    the best CTC path that reads ``label`` (Viterbi forced alignment, blank 0) spends on it; ``None`` when
    ``T`` steps cannot hold the label. Where a model misreads a crop, this is where it should have read
    each character."""
    lp = log_probs.detach().float().cpu().numpy()
    states = np.zeros(2 * len(label) + 1, np.int64)
    states[1::2] = label
    size = len(states)
    skip = np.zeros(size, bool)  # a character state reached from two back: no blank needed between differing characters
    skip[3::2] = states[3::2] != states[1:-2:2]
    score = np.full(size, -np.inf)
    score[:2] = lp[0, states[:2]]
    back = np.zeros((len(lp), size), np.int8)  # how many states back each best path came from
    for t in range(1, len(lp)):
        one = np.concatenate(([-np.inf], score[:-1]))
        two = np.where(skip, np.concatenate(([-np.inf, -np.inf], score[:-2])), -np.inf)
        moves = np.stack([score, one, two])
        back[t] = moves.argmax(0)
        score = moves.max(0) + lp[t, states]
    end = size - 1 if size == 1 or score[-1] >= score[-2] else size - 2
    if not np.isfinite(score[end]):
        return None
    best: dict[int, int] = {}  # character index -> its surest step on the path
    s = end
    for t in range(len(lp) - 1, -1, -1):
        if s % 2:
            k = s // 2
            if k not in best or lp[t, label[k]] >= lp[best[k], label[k]]:
                best[k] = t
        s -= back[t, s]
    return [(c, best[k]) for k, c in enumerate(label)]


def distillation_loss(logits: torch.Tensor, targets: torch.Tensor, steps: torch.Tensor, temperature: float,
                      labels: list[list[int]] | None = None, misread: bool = False,
                      target_steps: torch.Tensor | None = None) -> tuple[torch.Tensor, float]:
    """KL(teacher || student) at the characters' peaks, and the share of crops it used: the k-th character's
    peak step in the teacher's probabilities ``targets`` (``(N, T', C)``, each crop's first ``target_steps``,
    default ``steps``) against the k-th in the student's ``logits`` (``(N, T, C)``, each crop's first
    ``steps``), on the crops that both read the same (and, given ``labels``, as labeled). Two CTC models
    place their peaks at different steps (PP-OCR's 1-4 steps after ours within one word), so per-step targets
    would teach timing instead of reading. Both softened by ``temperature`` (Hinton et al. 2015), the loss
    scaled by its square. ``misread`` (with ``labels``): also the crops the teacher reads as labeled and the
    student does not, the student's steps from its forced alignment to the label (:func:`aligned_peaks`)."""
    student = logits.detach().float().softmax(-1)
    s_paths, t_paths = student.argmax(-1).tolist(), targets.argmax(-1).tolist()
    rows, s_steps, t_steps = [], [], []
    theirs_counts = (steps if target_steps is None else target_steps).tolist()
    for n, count in enumerate(steps.tolist()):
        theirs = peaks(t_paths[n], theirs_counts[n], targets[n])
        read = [c for c, _ in theirs]
        if not read or (labels is not None and read != labels[n]):
            continue
        mine = peaks(s_paths[n], count, student[n])
        if [c for c, _ in mine] != read and misread and labels is not None:
            mine = aligned_peaks(logits[n, :count].float().log_softmax(-1), read) or mine
        if [c for c, _ in mine] == read:
            rows += [n] * len(mine)
            s_steps += [i for _, i in mine]
            t_steps += [j for _, j in theirs]
    if not rows:
        return logits.sum() * 0.0, 0.0
    target = targets[rows, t_steps].clamp_min(1e-8).pow(1.0 / temperature).to(logits.device)
    target = target / target.sum(-1, keepdim=True)
    log_student = (logits[rows, s_steps].float() / temperature).log_softmax(-1)
    kl = (target * (target.log() - log_student)).sum(-1).mean()
    return kl * temperature**2, len(set(rows)) / len(steps)
