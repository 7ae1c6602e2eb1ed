"""Knowledge distillation from PP-OCR's recognizer (training.teacher)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from docvision.datasets.synth.fonts import find_fonts, load_font
from docvision.errors import WeightsError
from docvision.models.crnn import STEP
from docvision.recognition.crops import pad_batch, to_recognizer_input
from docvision.recognition.recognizer import output_steps
from docvision.recognition.vocab import Vocab
from docvision.training.config import DataSource, LoopConfig, RecTrainConfig, TeacherConfig
from docvision.training.recognition import RecognizerTask
from docvision.training.teacher import CTCTeacher, distillation_loss, teacher_path

from tests.training.test_training import TINY_REC, VAL

pytest.importorskip("rapidocr")


def _word(text: str, px: int = 28) -> np.ndarray:
    info = next(f for f in find_fonts() if not (f.bold or f.italic))
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
    probs = teacher.probabilities(images)
    assert probs.shape == (len(words), images.shape[-1] // STEP, Vocab.load().num_classes)
    assert torch.allclose(probs.sum(-1), torch.ones(probs.shape[:2]), atol=1e-4)
    steps = torch.tensor([output_steps(w) for w in widths])
    reads = [teacher.vocab.decode(ids) for ids in teacher.greedy(probs, steps)]
    assert sum(r == w for r, w in zip(reads, words)) >= 3, reads


def test_distillation_loss_is_zero_at_the_teacher_and_counts_only_used_valid_steps():
    targets = torch.softmax(torch.randn(2, 5, 7), -1)
    steps, use = torch.tensor([5, 3]), torch.tensor([True, True])
    assert distillation_loss(targets.log(), targets, steps, use).item() == pytest.approx(0.0, abs=1e-5)
    wrong = torch.randn(2, 5, 7)
    loss = distillation_loss(wrong, targets, steps, use)
    assert loss.item() > 0.01
    changed = wrong.clone()
    changed[1, 3:] += 5.0  # crop 1's padding steps
    changed[0] = targets[0].log()  # crop 0 matched...
    assert distillation_loss(changed, targets, steps, torch.tensor([False, True])).item() == pytest.approx(
        distillation_loss(wrong, targets, steps, torch.tensor([False, True])).item())
    assert distillation_loss(wrong, targets, steps, torch.tensor([False, False])).item() == 0.0


def test_a_recognizer_task_with_a_teacher_learns_its_probabilities():
    config = RecTrainConfig(model=TINY_REC, loop=LoopConfig(batch_size=8, workers=0), val=VAL,
                            train=(DataSource(path="synth", size=2, seed=3, dpi=(150.0, 150.0)),),
                            teacher=TeacherConfig(weight=2.0, only_right=True))
    task = RecognizerTask(config, pages_per_pass=1)
    batch = next(task.batches(seed=0))
    losses = task.loss(batch, torch.device("cpu"))
    assert 0.5 <= losses["kd_share"].item() <= 1.0  # the teacher reads most clean synthetic words right
    assert losses["total"].item() == pytest.approx(losses["ctc"].item() + 2.0 * losses["kd"].item(), rel=1e-4)
    losses["total"].backward()
    assert task.model.classifier.weight.grad.abs().sum() > 0
    plain = RecognizerTask(RecTrainConfig(model=TINY_REC, loop=config.loop, val=VAL, train=config.train), pages_per_pass=1)
    assert set(plain.loss(batch, torch.device("cpu"))) == {"total", "ctc"} and plain.teacher is None


def test_teacher_config_from_yaml_and_a_missing_model_file(tmp_path):
    from docvision.config import from_dict

    config = from_dict(RecTrainConfig, {"teacher": {"model": "rapidocr", "weight": 0.5}})
    assert config.teacher == TeacherConfig(weight=0.5) and from_dict(RecTrainConfig, {}).teacher is None
    with pytest.raises(WeightsError, match="teacher model .*nothing.onnx does not exist"):
        teacher_path(TeacherConfig(model=str(tmp_path / "nothing.onnx")))
