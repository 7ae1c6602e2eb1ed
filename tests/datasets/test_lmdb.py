from __future__ import annotations

import lmdb
import numpy as np
import pytest

from docvision.datasets.labeled_crops import jitter_quad, labeled_crops
from docvision.geometry import order_quad
from docvision.recognition.crops import crop_polygon
from docvision.datasets.lmdb_store import (
    DetectionLmdb,
    RecognitionLmdb,
    _close_readonly,
    lmdb_kind,
    write_detection_lmdb,
    write_recognition_lmdb,
)
from docvision.datasets.formats import open_crops, open_labeled
from docvision.datasets.types import LabeledPage, LabeledWord


def _crop(value: int) -> np.ndarray:
    return np.full((8, 20, 3), value, np.uint8)


def test_recognition_round_trip_and_key_convention(tmp_path):
    samples = [(_crop(10), "Total"), (_crop(200), "€1.234,56"), (_crop(90), "naïve")]
    assert write_recognition_lmdb(tmp_path / "rec", samples) == 3
    env = lmdb.open(str(tmp_path / "rec"), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b"num-samples") == b"3"
        assert txn.get(b"label-000000002").decode() == "€1.234,56"
        assert txn.get(b"image-000000001")[:4] == b"\x89PNG"
    env.close()
    assert lmdb_kind(tmp_path / "rec") == "recognition"
    ds = RecognitionLmdb(tmp_path / "rec")
    assert len(ds) == 3
    for (image, text), (ref, ref_text) in zip((ds[i] for i in range(3)), samples):
        assert text == ref_text and np.array_equal(image, ref)
    assert isinstance(open_crops(tmp_path / "rec"), RecognitionLmdb)


def test_detection_round_trip(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    poly = np.array([[1, 1], [20, 2], [20, 9], [1, 8]], np.float32)
    pages = [LabeledPage("p0", img, [LabeledWord("a", poly), LabeledWord("", poly + 10, ignore=True)], ordered=True)]
    assert write_detection_lmdb(tmp_path / "det", pages) == 1
    assert lmdb_kind(tmp_path / "det") == "detection"
    ds = open_labeled(tmp_path / "det")
    assert isinstance(ds, DetectionLmdb) and len(ds) == 1
    page = ds[0]
    assert page.id == "p0" and np.array_equal(page.image, img) and page.ordered
    assert [(w.text, w.ignore) for w in page.words] == [("a", False), ("", True)]
    np.testing.assert_allclose(page.words[0].polygon, poly)


def test_crops_follow_the_box():
    img = np.zeros((50, 100, 3), np.uint8)
    img[10:20, 30:60] = 255
    quad = order_quad(np.array([[30, 10], [60, 10], [60, 20], [30, 20]], np.float32))
    np.testing.assert_allclose(quad, [[30, 10], [60, 10], [60, 20], [30, 20]])
    crop = crop_polygon(img, quad)
    assert crop.shape == (10, 30, 3) and crop.min() == 255
    grown = jitter_quad(quad, np.random.default_rng(0), 0.3)
    assert np.abs(grown - quad).max() <= 0.3 * 10 + 1e-4
    page = LabeledPage(
        "p", img, [LabeledWord("ab", quad), LabeledWord("cd", quad + [0, 20]), LabeledWord("", quad, ignore=True)]
    )
    assert [t for _, t in labeled_crops(page)] == ["ab", "cd"]
    assert [t for _, t in labeled_crops(page, lines=[[0, 1]])] == ["ab cd"]


def test_synthetic_word_crops_to_lmdb(tmp_path, small_synth):
    synth = small_synth.generate(0)
    crops = list(labeled_crops(synth.page, np.random.default_rng(0), 0.15))
    assert crops and all(c.ndim == 3 and c.size for c, _ in crops)
    assert write_recognition_lmdb(tmp_path / "w", crops) == len(crops)
    assert RecognitionLmdb(tmp_path / "w")[0][1] == crops[0][1]


def test_datasets_work_in_dataloader_workers(tmp_path, small_synth):
    from torch.utils.data import DataLoader

    write_recognition_lmdb(tmp_path / "rec", [(_crop(i), f"w{i}") for i in range(6)])
    for ds in (RecognitionLmdb(tmp_path / "rec"), small_synth):
        loader = DataLoader(ds, batch_size=2, num_workers=2, collate_fn=list)
        batches = [b for _, b in zip(range(2), loader)]
        assert len(batches) == 2 and len(batches[0]) == 2
    assert RecognitionLmdb(tmp_path / "rec")[5][1] == "w5"  # the parent still reads after the workers


@pytest.mark.parametrize("count", [b"99999999999", b"-3", b"abc", b"4"])
def test_num_samples_must_match_the_database(tmp_path, count):
    """A huge count would loop over missing samples almost for ever, a negative one breaks len()."""
    write_recognition_lmdb(tmp_path / "rec", [(_crop(i), f"w{i}") for i in range(3)])
    env = lmdb.open(str(tmp_path / "rec"))
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", count)
    env.close()
    _close_readonly(tmp_path / "rec")
    with pytest.raises(ValueError, match=r"rec: num-samples is .*(not a count|holds 3 samples at most)") as err:
        RecognitionLmdb(tmp_path / "rec")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="num-samples"):
        DetectionLmdb(tmp_path / "rec")
