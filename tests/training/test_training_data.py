"""Training sources: weights and the train/validation split of one labeled folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from docvision.datasets.labels import write_page
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.training.config import DataSource
from docvision.datasets.synth.fonts import find_fonts
from docvision.datasets.synth.generator import SynthConfig
from docvision.training.data import describe, mixed, open_source, synth_config


@pytest.fixture()
def folder(tmp_path):
    box = np.array([[2, 2], [12, 2], [12, 8], [2, 8]], np.float32)
    for i in range(10):
        write_page(tmp_path, LabeledPage(f"p{i}", np.full((16, 16, 3), 255, np.uint8), [LabeledWord(f"w{i}", box)]))
    return str(tmp_path)


def _ids(dataset) -> list[str]:
    return [dataset[i].id for i in range(len(dataset))]


def test_split_parts_are_disjoint_and_cover_the_folder(folder):
    train = open_source(DataSource(path=folder, split=(0.0, 0.8)))
    val = open_source(DataSource(path=folder, split=(0.8, 1.0)))
    assert _ids(train) == [f"p{i}" for i in range(8)]
    assert _ids(val) == ["p8", "p9"]
    assert len(open_source(DataSource(path=folder))) == 10


@pytest.mark.parametrize("split", [(0.5, 0.5), (-0.1, 0.5), (0.2, 1.2)])
def test_bad_split_is_a_clear_error(folder, split):
    with pytest.raises(ValueError, match="split must be two fractions"):
        open_source(DataSource(path=folder, split=split))


def test_weights_give_each_source_its_share(folder):
    dataset, weights = mixed([DataSource(path=folder, weight=3.0, split=(0.0, 0.5)), DataSource(path=folder, weight=1.0)])
    assert len(dataset) == 15
    assert weights[:5].sum().item() == pytest.approx(0.75) and weights[5:].sum().item() == pytest.approx(0.25)


def test_generated_pages_are_described_with_their_font_families(folder, tmp_path_factory):
    fonts = tmp_path_factory.mktemp("fonts")
    families: dict[bool, dict[str, str]] = {False: {}, True: {}}
    for font in find_fonts():
        families[font.handwriting].setdefault(font.family, font.path)
    hands = list(families[True].values())[:1]  # where `make fonts` installed them
    for path in [*list(families[False].values())[:2], *hands]:
        shutil.copy(path, fonts)
    assert describe(DataSource(path="synth", seed=4, font_dir=str(fonts))) == (
        f"synth (weight 1.0, seed 4, 2 font families, {len(hands)} handwriting)"
    )
    assert describe(DataSource(path=folder, weight=2.0)) == f"{folder} (weight 2.0)"


def test_synth_sources_choose_their_layouts_and_share_of_hands():
    source = DataSource(path="synth", size=4, layouts={"form": 1, "receipt": 0}, handwritten=1.0)
    config = synth_config(source)
    assert config.layouts == {"form": 1, "receipt": 0} and config.handwritten == 1.0
    assert {open_source(source).generate(i).layout for i in range(4)} == {"form"}
    assert synth_config(DataSource(path="synth")) == SynthConfig(dpi=(100.0, 200.0))  # unset: the generator's mix


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layouts": {"poster": 1}}, "synth layouts must weigh"),
        ({"layouts": {"form": -1, "memo": 2}}, "synth layouts must weigh"),
        ({"layouts": {"form": 0}}, "synth layouts must weigh"),
        ({"handwritten": 1.5}, r"synth handwritten must be a share in \[0, 1\]"),
    ],
)
def test_bad_synth_options_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        synth_config(DataSource(path="synth", **options))
