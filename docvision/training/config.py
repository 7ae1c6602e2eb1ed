"""Training configs: the defaults ``docvision/configs/*.yaml`` (package data), templates in ``configs/``, the
model card's runs in ``experiments/``."""

from __future__ import annotations

from dataclasses import dataclass, field

from docvision.config import SHRINK_RATIO, DetectorConfig, RecognizerConfig


@dataclass(frozen=True)
class DataSource:
    """``path`` is ``synth`` (pages generated on the fly) or a labeled dataset path
    (page folder, ICDAR txt, FUNSD, LMDB...); ``weight`` sets its share of the batches."""

    path: str = "synth"
    weight: float = 1.0
    size: int = 100_000
    """Synthetic only: number of distinct pages (page ``i`` of a seed is always the same)."""
    seed: int = 0
    dpi: tuple[float, float] = (100.0, 200.0)
    """Synthetic only: render resolution range."""
    font_dir: str | None = None
    """Synthetic only: fonts from this folder instead of fontconfig's."""
    clean: float = 0.1
    """Synthetic only: share of pages left without degradation (clean print)."""
    layouts: dict[str, float] | None = None
    """Synthetic only: weights of the page layouts drawn (``{form: 1}`` for forms alone); unset: the generator's mix."""
    handwritten: float | None = None
    """Synthetic only: share of forms filled in by hand; unset: the generator's (``layouts.HANDWRITTEN``)."""
    split: tuple[float, float] = (0.0, 1.0)
    """The part used, as fractions of the items in their order: ``[0, 0.8]`` to train and
    ``[0.8, 1]`` to validate on one labeled folder."""


@dataclass(frozen=True)
class LoopConfig:
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    max_steps: int = 200_000
    """Also the length of the cosine learning-rate schedule."""
    log_every: int = 20
    val_every: int = 500
    checkpoint_every: int = 100
    workers: int = 2
    seed: int = 0
    grad_clip: float = 5.0
    freeze_norm: bool = False
    """BatchNorm layers keep their running statistics (their scale and shift still learn): fine-tuning a
    trained model on small batches of crops, whose statistics would otherwise drift from its pages'."""
    amp: bool = True
    """bf16 autocast on CUDA and on CPUs with native bf16 (AVX-512 BF16, AMX); ignored on other CPUs, where
    bf16 is slower than fp32 (``training.loop.native_bf16``)."""


@dataclass(frozen=True)
class DetTrainConfig:
    model: DetectorConfig = field(default_factory=DetectorConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    train: tuple[DataSource, ...] = (DataSource(),)
    val: tuple[DataSource, ...] = (DataSource(size=16, seed=10_000),)
    crop_size: int = 512
    max_side: int = 1280
    """Pages are scaled as the pipeline scales them (longest side to this) before cropping; recorded in the
    manifest, the pipeline's ``det_max_side`` by default."""
    max_upscale: float = 2.0
    """With ``max_side``, the pipeline's scaling (``det_max_upscale``): small pages are scaled up."""
    scale_range: tuple[float, float] = (0.6, 1.4)
    """Random extra scale around the pipeline's, so the model sees text at varied sizes."""
    crops_per_page: int = 1
    """Crops cut from each page; a batch holds ``batch_size // crops_per_page`` pages."""
    shrink_ratio: float = SHRINK_RATIO
    """How far the targets shrink each word; recorded in the manifest for post-processing to undo."""


@dataclass(frozen=True)
class TeacherConfig:
    """Knowledge distillation (``training.teacher``): ``model`` is an ONNX CTC recognizer in PaddleOCR's layout,
    or ``rapidocr`` for the one inside the installed ``rapidocr`` package (the ``compare`` extra)."""

    model: str = "rapidocr"
    weight: float = 1.0
    """Scale of the distillation term against the CTC loss."""
    only_right: bool = True
    """Distil only the crops the teacher reads exactly as labeled: its misreadings (of the generator's hardest
    crops, of characters it lacks) are not taught."""
    temperature: float = 2.0
    """Softens both distributions, so that the teacher's second choices (its sense of which characters look
    alike) carry weight beside its near-certain first."""
    misread: bool = False
    """With ``only_right``, distil also the crops the student misreads, at the steps of its forced alignment to
    the label: else the teacher teaches only words the student already reads."""


@dataclass(frozen=True)
class RecTrainConfig:
    model: RecognizerConfig = field(default_factory=RecognizerConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    train: tuple[DataSource, ...] = (DataSource(),)
    val: tuple[DataSource, ...] = (DataSource(size=8, seed=10_000),)
    vocab: str = ""
    """Vocabulary file; empty = the package's default."""
    max_width: int = 512
    """Wider crops (at the recognizer's height) are skipped in training."""
    phrase: float = 0.0
    """Chance that a training word also starts a crop of 2-3 words of its line, spaces in the
    label (``training.recognition.word_groups``); 0 trains on single words only."""
    shrink: float = 0.0
    """Share of training crops first shrunk with area averaging to 6-12 px tall (``training.recognition
    .shrink``): a scanned page at half size, whose word crops the recognizer scales up again."""
    teacher: TeacherConfig | None = None
    """A stronger recognizer whose probabilities at each character's peak the model also learns (off when empty)."""
