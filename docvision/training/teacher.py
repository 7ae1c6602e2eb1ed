"""A stronger CTC recognizer as teacher (knowledge distillation): its class probabilities at each character
it reads in a training crop, in the student's vocabulary, as soft targets beside the labels.

The teacher is an ONNX CTC recognizer in PaddleOCR's layout: input ``(N, 3, 48, W)`` in [-1, 1], output
``(N, W / 8, C)`` softmax with the blank first and a space last, its characters listed in the model's
``character`` metadata (the PP-OCR recognizer inside the ``rapidocr`` wheel, Apache-2.0). The student's
crops are 32 px tall with one step per 4 columns; the teacher gets them 48 px tall and twice as wide, so
that its steps fall on the student's one for one (the text stretched 4/3 across, which PP-OCRv6 reads
as well as unstretched: 87.8% of FUNSD's every-5th-page crops, 89.0% through RapidOCR's own code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from docvision.errors import WeightsError
from docvision.extras import require
from docvision.recognition.vocab import Vocab
from docvision.training.config import TeacherConfig

TEACHER_HEIGHT = 48


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
        # Every batch has its own width: ONNX Runtime's CPU arena and memory patterns keep a block per shape
        # seen, which grew a training run's RSS from 0.6 to 5 GB over 100 widths; without them it stays flat.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        chars = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        index = {c: i for i, c in enumerate(["<blank>", *chars, " "])}
        # The teacher's class for each student class (blank first), -1 where the teacher lacks the character.
        self.columns = torch.tensor([0] + [index.get(c, -1) for c in vocab.chars])

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, W / 4, C_student)`` teacher probabilities for student inputs ``(N, 1, 32, W)`` (ink 1, paper 0),
        renormalised over the characters both know (the mass on the others is dropped)."""
        n, _, _, width = images.shape
        paper = 1.0 - images.float()
        x = F.interpolate(paper, size=(TEACHER_HEIGHT, 2 * width), mode="bilinear", align_corners=False)
        x = (x * 2.0 - 1.0).expand(n, 3, TEACHER_HEIGHT, 2 * width).contiguous()
        out = torch.from_numpy(self.session.run(None, {self.input: x.numpy()})[0])
        known = self.columns >= 0
        probs = torch.zeros(*out.shape[:2], len(self.columns))
        probs[..., known] = out[..., self.columns[known]]
        return probs / probs.sum(-1, keepdim=True).clamp_min(1e-8)


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
                      labels: list[list[int]] | None = None,
                      misread: bool = False) -> tuple[torch.Tensor, float]:
    """KL(teacher || student) at the characters' peaks, and the share of crops it used: the k-th character's
    peak step in the teacher's probabilities ``targets`` against the k-th in the student's ``logits`` (both
    ``(N, T, C)``), on the crops that both read the same (and, given ``labels``, as labeled). Two CTC models
    place their peaks at different steps (PP-OCR's 1-4 steps after ours within one word), so per-step targets
    would teach timing instead of reading. Both softened by ``temperature`` (Hinton et al. 2015), the loss
    scaled by its square. ``misread`` (with ``labels``): also the crops the teacher reads as labeled and the
    student does not, the student's steps from its forced alignment to the label (:func:`aligned_peaks`)."""
    student = logits.detach().float().softmax(-1)
    s_paths, t_paths = student.argmax(-1).tolist(), targets.argmax(-1).tolist()
    rows, s_steps, t_steps = [], [], []
    for n, count in enumerate(steps.tolist()):
        theirs = peaks(t_paths[n], count, targets[n])
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
