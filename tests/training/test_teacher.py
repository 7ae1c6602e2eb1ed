"""Knowledge distillation from PP-OCR's recognizer (training.teacher)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from docvision.datasets.synth.fonts import find_fonts, load_font
from docvision.errors import WeightsError
from docvision.models.crnn import STEP
from docvision.recognition.crops import pad_batch, to_recognizer_input
from docvision.recognition.decode import ctc_greedy_decode
from docvision.recognition.recognizer import output_steps
from docvision.recognition.vocab import Vocab
from docvision.training.config import DataSource, LoopConfig, RecTrainConfig, TeacherConfig
from docvision.training.recognition import RecognizerTask
from docvision.training.teacher import CTCTeacher, aligned_peaks, distillation_loss, peaks, teacher_path

from tests.training.test_training import TINY_REC, VAL

pytest.importorskip("rapidocr")


def _word(text: str, px: int = 28) -> np.ndarray:
    info = next(f for f in find_fonts() if not (f.bold or f.italic or f.handwriting))
    font = load_font(info.path, px)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (right - left + 12, bottom - top + 12), 255)
    ImageDraw.Draw(image).text((6 - left, 6 - top), text, font=font, fill=0)
    return np.asarray(image)


@pytest.fixture(scope="module")
def teacher() -> CTCTeacher:
    return CTCTeacher(teacher_path(TeacherConfig()), Vocab.load())


def test_teacher_reads_printed_words_in_the_student_vocabulary_and_steps(teacher):
    words = ["Invoice", "2,450.00", "naïve", "Kraków"]
    images, widths = pad_batch([to_recognizer_input(_word(w), 32) for w in words])
    steps = torch.tensor([output_steps(w) for w in widths])
    probs, filled = teacher.probabilities(images, steps)
    # 48 px tall at the crops' own aspect: 3 teacher steps of 8 columns for every 4 student steps of 4
    assert probs.shape == (len(words), images.shape[-1] * 3 // 2 // 8, Vocab.load().num_classes)
    assert torch.allclose(probs.sum(-1), torch.ones(probs.shape[:2]), atol=1e-4)
    assert filled.tolist() == [min(-(-3 * s // 4), probs.shape[1]) for s in steps.tolist()]
    reads = [ctc_greedy_decode(p[:f].numpy(), Vocab.load())[0] for p, f in zip(probs, filled.tolist())]
    assert sum(r == w for r, w in zip(reads, words)) >= 3, reads


def test_teacher_session_keeps_no_memory_plan_per_crop_width_but_its_arena(teacher):
    # With memory patterns a training run's teacher grew from 0.6 to 5 GB over 100 crop widths; without the
    # arena it ran at about half the speed.
    options = teacher.session.get_session_options()
    assert options.enable_cpu_mem_arena and not options.enable_mem_pattern


def _path(*classes: int) -> torch.Tensor:
    """Near-certain probabilities ``(T, 7)`` of a CTC path, class per step (0 blank)."""
    return torch.softmax(torch.nn.functional.one_hot(torch.tensor(classes), 7).float() * 8.0, -1)


def test_peaks_take_each_emitted_character_at_its_most_certain_step():
    probs = _path(0, 3, 3, 0, 3, 5, 0)
    probs[2, 3] += 0.5  # the second step of the first 3 is surer
    assert peaks(probs.argmax(-1).tolist(), 7, probs) == [(3, 2), (3, 4), (5, 5)]
    assert peaks(probs.argmax(-1).tolist(), 3, probs) == [(3, 2)]


def test_distillation_pairs_the_kth_peaks_whatever_their_steps():
    student = _path(3, 0, 5, 0, 0, 0).log()[None]
    teacher = _path(0, 0, 3, 0, 0, 5)[None]  # the same reading, two and three steps later
    steps = torch.tensor([6])
    same, share = distillation_loss(student, teacher, steps, 2.0)
    assert share == 1.0 and same.item() == pytest.approx(0.0, abs=1e-4)
    # the teacher's own step count: in its first 3 steps it reads "3" alone, not what the student reads
    assert distillation_loss(student, teacher, steps, 2.0, target_steps=torch.tensor([3]))[1] == 0.0
    doubtful = teacher.clone()
    doubtful[0, 2] = torch.tensor([0.0, 0.0, 0.0, 0.6, 0.0, 0.0, 0.4])  # the teacher's second choice for "3"
    loss, _ = distillation_loss(student, doubtful, steps, 2.0)
    assert loss.item() > 0.1
    assert distillation_loss(student, doubtful, steps, 2.0, labels=[[3, 5]])[1] == 1.0
    other = _path(0, 0, 4, 0, 0, 5)[None]  # reads otherwise: not distilled
    loss, share = distillation_loss(student, other, steps, 2.0)
    assert share == 0.0 and loss.item() == 0.0
    assert distillation_loss(student, doubtful, steps, 2.0, labels=[[3, 6]])[1] == 0.0  # both misread the label
    student.requires_grad_(True)
    distillation_loss(student, doubtful, steps, 2.0)[0].backward()
    assert student.grad[0, 0].abs().sum() > 0 and student.grad[0, 1].abs().sum() == 0  # the peak only


def test_forced_alignment_finds_where_a_misreading_student_should_read_each_character():
    student = _path(0, 3, 3, 0, 4, 0)  # reads "3 4"
    student[1, 3] -= 0.2  # the second step of its 3 is surer
    assert aligned_peaks(student.log(), [3, 4]) == [(3, 2), (4, 4)]
    assert aligned_peaks(student.log(), [3, 5]) == [(3, 2), (5, 4)]  # the 4's step is where the 5 belongs
    assert aligned_peaks(student.log(), [3, 3]) in ([(3, 1), (3, 2)], [(3, 2), (3, 4)])  # a blank must part them
    assert aligned_peaks(student.log(), [1, 2, 3, 4, 5, 6]) is not None  # one step each
    assert aligned_peaks(student.log(), [3, 3, 3, 3]) is None  # 7 steps needed, 6 there


def test_misread_crops_are_distilled_at_the_aligned_steps():
    student = _path(3, 0, 4, 0, 0, 0).log()[None]  # reads "3 4"
    teacher = _path(0, 0, 3, 0, 0, 5)[None]  # reads "3 5", as labeled
    steps, label = torch.tensor([6]), [[3, 5]]
    assert distillation_loss(student, teacher, steps, 2.0, label)[1] == 0.0
    loss, share = distillation_loss(student, teacher, steps, 2.0, label, misread=True)
    assert share == 1.0 and loss.item() > 1.0
    student.requires_grad_(True)
    distillation_loss(student, teacher, steps, 2.0, label, misread=True)[0].backward()
    grad = student.grad[0]
    assert grad[2, 5] < 0 and grad[2, 4] > 0  # towards the teacher's 5 where the student read 4
    assert distillation_loss(student, teacher, steps, 2.0, None, misread=True)[1] == 0.0  # needs the labels


class Echo(torch.nn.Module):
    """A student that reads as ``teacher`` does, a little less sure of one character (a learnable bias)."""

    def __init__(self, teacher: CTCTeacher):
        super().__init__()
        self.teacher = teacher
        self.bias = torch.nn.Parameter(torch.zeros(len(teacher.columns)))
        with torch.no_grad():
            self.bias[Vocab.load().encode("e")[0]] = -0.5

    def forward(self, images: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        probs, _ = self.teacher.probabilities(images, steps)
        at = torch.arange(images.shape[-1] // STEP) * probs.shape[1] // (images.shape[-1] // STEP)
        return probs[:, at].clamp_min(1e-8).log() + self.bias  # the teacher's steps spread over the student's


def test_a_recognizer_task_with_a_teacher_learns_its_probabilities(teacher):
    config = RecTrainConfig(model=TINY_REC, loop=LoopConfig(batch_size=8, workers=0), val=VAL,
                            train=(DataSource(path="synth", size=2, seed=3, dpi=(150.0, 150.0)),),
                            teacher=TeacherConfig(weight=2.0, only_right=True))
    task = RecognizerTask(config, pages_per_pass=1)
    task.model = Echo(teacher)  # an untrained student never reads as the teacher: nothing would be distilled
    batch = next(task.batches(seed=0))
    losses = task.loss(batch, torch.device("cpu"))
    assert losses["kd_share"].item() > 0.5 and losses["kd"].item() > 0.0
    assert losses["total"].item() == pytest.approx(losses["ctc"].item() + 2.0 * losses["kd"].item(), rel=1e-4)
    (losses["total"] - losses["ctc"]).backward()  # the distillation term alone
    assert task.model.bias.grad.abs().sum() > 0
    everything = replace(config, teacher=TeacherConfig(weight=2.0, only_right=False))
    task.config = everything
    assert task.loss(batch, torch.device("cpu"))["kd_share"].item() >= losses["kd_share"].item()
    task.model.bias.data[:] = 0.0
    # under every other class: now misreads the words with the batch's commonest character
    task.model.bias.data[torch.mode(batch["labels"]).values] = -30.0
    task.config = config
    right = task.loss(batch, torch.device("cpu"))["kd_share"].item()
    task.config = replace(config, teacher=TeacherConfig(weight=2.0, only_right=True, misread=True))
    assert task.loss(batch, torch.device("cpu"))["kd_share"].item() > right
    plain = RecognizerTask(RecTrainConfig(model=TINY_REC, loop=config.loop, val=VAL, train=config.train), pages_per_pass=1)
    assert set(plain.loss(batch, torch.device("cpu"))) == {"total", "ctc"} and plain.teacher is None


def test_teacher_config_from_yaml_and_a_missing_model_file(tmp_path):
    from docvision.config import from_dict

    config = from_dict(RecTrainConfig, {"teacher": {"model": "rapidocr", "weight": 0.5, "temperature": 1.0}})
    assert config.teacher == TeacherConfig(weight=0.5, temperature=1.0) and from_dict(RecTrainConfig, {}).teacher is None
    with pytest.raises(WeightsError, match="teacher model .*nothing.onnx does not exist"):
        teacher_path(TeacherConfig(model=str(tmp_path / "nothing.onnx")))
