"""Weights files: fp16 safetensors + manifest; every broken case is a WeightsError naming the file."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import torch
from safetensors.torch import load_file

import docvision
from docvision.config import RecognizerConfig, to_dict
from docvision.errors import WeightsError
from docvision.models import weights as weights_module
from docvision.models.crnn import CRNN
from docvision.models.weights import WEIGHTS_ENV, Manifest, load_weights, read_manifest, save_weights, weights_dir
from docvision.pipeline import UNTRAINED

CONFIG = RecognizerConfig(channels=(8, 8, 16, 16), lstm_hidden=8, lstm_layers=1)


def crnn(classes: int = 12, seed: int = 0) -> CRNN:
    torch.manual_seed(seed)
    return CRNN(classes, CONFIG).eval()


@pytest.fixture
def saved(tmp_path):
    model = crnn()
    manifest = Manifest("crnn", to_dict(CONFIG), name="tiny", vocabulary=list("abcdefghijk"))
    path = save_weights(model, tmp_path, "recognizer", manifest)
    return model, path, manifest


def test_round_trip_fp16(saved, tmp_path):
    model, path, manifest = saved
    assert path == tmp_path / "recognizer.safetensors"
    tensors = load_file(str(path))
    assert {t.dtype for k, t in tensors.items() if t.is_floating_point()} == {torch.float16}
    assert "num_batches_tracked" in " ".join(tensors)  # integer buffers kept as they are

    on_disk = read_manifest(tmp_path, "recognizer")
    assert on_disk == manifest and len(on_disk.sha256) == 64
    assert json.loads((tmp_path / "recognizer.json").read_text())["vocabulary"][0] == "a"

    other = crnn(seed=1)
    x = torch.rand(2, 1, 32, 48)
    with torch.no_grad():
        assert not torch.allclose(other(x), model(x))
        load_weights(other, tmp_path, "recognizer", on_disk)
        assert next(other.parameters()).dtype == torch.float32
        torch.testing.assert_close(other(x), model(x), rtol=0.02, atol=0.02)


def test_values_beyond_fp16_stay_fp32(tmp_path):
    model = crnn()
    bn = model.features[1]
    bn.running_var[0] = 8e5  # seen in a DBNet head trained from scratch: inf in fp16
    manifest = Manifest("crnn", to_dict(CONFIG), name="tiny", vocabulary=list("abcdefghijk"))
    save_weights(model, tmp_path, "recognizer", manifest)
    tensors = load_file(str(tmp_path / "recognizer.safetensors"))
    assert tensors["features.1.running_var"].dtype == torch.float32
    assert tensors["features.1.weight"].dtype == torch.float16
    other = crnn(seed=1)
    load_weights(other, tmp_path, "recognizer", read_manifest(tmp_path, "recognizer"))
    assert other.features[1].running_var[0] == 8e5


def test_non_finite_weights_are_refused(tmp_path):
    model = crnn()
    with torch.no_grad():
        model.classifier.bias[0] = float("inf")
    manifest = Manifest("crnn", to_dict(CONFIG), name="tiny", vocabulary=list("abcdefghijk"))
    save_weights(model, tmp_path, "recognizer", manifest)
    with pytest.raises(WeightsError, match="non-finite values in classifier.bias"):
        load_weights(crnn(), tmp_path, "recognizer", read_manifest(tmp_path, "recognizer"))


def test_sha256_mismatch(saved, tmp_path):
    _, path, manifest = saved
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256") as err:
        load_weights(crnn(), tmp_path, "recognizer", read_manifest(tmp_path, "recognizer"))
    assert str(path) in str(err.value)


def test_truncated_file(saved, tmp_path):
    _, path, manifest = saved
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(WeightsError, match=str(path)):
        load_weights(crnn(), tmp_path, "recognizer", read_manifest(tmp_path, "recognizer"))
    # without a recorded sha256 the safetensors reader itself must fail cleanly
    manifest.sha256 = ""
    with pytest.raises(WeightsError, match="unreadable") as err:
        load_weights(crnn(), tmp_path, "recognizer", manifest)
    assert str(path) in str(err.value)


def test_wrong_shape(saved, tmp_path):
    _, path, manifest = saved
    with pytest.raises(WeightsError, match="wrong shape: classifier") as err:
        load_weights(crnn(classes=20), tmp_path, "recognizer", manifest)
    assert str(path) in str(err.value)


def test_missing_and_unexpected_tensors(saved, tmp_path):
    _, path, manifest = saved
    bigger = CRNN(12, RecognizerConfig(channels=(8, 8, 16, 16), lstm_hidden=8, lstm_layers=2))
    with pytest.raises(WeightsError, match="missing: rnn"):
        load_weights(bigger, tmp_path, "recognizer", manifest)


def test_missing_manifest_and_missing_file(saved, tmp_path):
    _, path, manifest = saved
    (tmp_path / "recognizer.json").unlink()
    with pytest.raises(WeightsError, match="manifest missing") as err:
        read_manifest(tmp_path, "recognizer")
    assert str(tmp_path / "recognizer.json") in str(err.value)
    path.unlink()
    with pytest.raises(WeightsError, match="weights file missing") as err:
        load_weights(crnn(), tmp_path, "recognizer", manifest)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"architecture": "crnn"}', '{"architecture": "crnn", "config": {}, "bogus": 1}'])
def test_invalid_manifest(tmp_path, content):
    (tmp_path / "recognizer.json").write_text(content)
    with pytest.raises(WeightsError, match="not a valid weights manifest") as err:
        read_manifest(tmp_path, "recognizer")
    assert str(tmp_path / "recognizer.json") in str(err.value)


def test_weights_dir_precedence(monkeypatch, tmp_path):
    assert weights_dir() == weights_module.PACKAGE_WEIGHTS
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "env"))
    assert weights_dir() == tmp_path / "env"
    assert weights_dir(tmp_path / "arg") == tmp_path / "arg"


# --------------------------------------------------------------------------- docvision.load


@pytest.fixture
def empty_package_weights(monkeypatch, tmp_path):
    """Pretend the package ships no weights, whatever is installed in docvision/weights."""
    empty = tmp_path / "package-weights"
    empty.mkdir()
    monkeypatch.setattr(weights_module, "PACKAGE_WEIGHTS", empty)
    monkeypatch.setattr("docvision.zoo.PACKAGE_WEIGHTS", empty)
    return empty


def test_load_without_package_weights_is_untrained(empty_package_weights):
    ocr = docvision.load(device="cpu")
    assert ocr.trained is False
    assert ocr.models == {"detector": UNTRAINED, "recognizer": UNTRAINED}


def test_load_from_folder(small_weights):
    ocr = docvision.load(small_weights, device="cpu")
    assert ocr.trained is True
    assert ocr.models == {"detector": "test-dbnet", "recognizer": "test-crnn"}
    assert ocr.detector.model.backbone.stages == (2, 3, 4)
    assert ocr.recognizer.vocab.num_classes == ocr.recognizer.model.classifier.out_features


def test_load_honors_env_var(monkeypatch, small_weights, empty_package_weights):
    monkeypatch.setenv(WEIGHTS_ENV, str(small_weights))
    assert docvision.load(device="cpu").models["detector"] == "test-dbnet"


def test_env_var_pointing_to_empty_folder_is_an_error(monkeypatch, tmp_path, empty_package_weights):
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "nothing"))
    with pytest.raises(WeightsError, match="detector.safetensors"):
        docvision.load(device="cpu")


@pytest.mark.parametrize("missing", ["detector", "recognizer"])
def test_load_folder_missing_a_model(tmp_path, small_weights, missing):
    folder = tmp_path / "partial"
    folder.mkdir()
    for name in ("detector", "recognizer"):
        if name != missing:
            for suffix in (".safetensors", ".json"):
                (folder / f"{name}{suffix}").write_bytes((small_weights / f"{name}{suffix}").read_bytes())
    with pytest.raises(WeightsError) as err:
        docvision.load(folder, device="cpu")
    assert str(folder / f"{missing}.safetensors") in str(err.value)


def test_load_folder_missing_manifest(tmp_path, small_weights):
    folder = tmp_path / "nomanifest"
    folder.mkdir()
    for name in ("detector.safetensors", "recognizer.safetensors", "recognizer.json"):
        (folder / name).write_bytes((small_weights / name).read_bytes())
    with pytest.raises(WeightsError, match="manifest missing") as err:
        docvision.load(folder, device="cpu")
    assert str(folder / "detector.json") in str(err.value)


def test_load_rejects_swapped_architecture(tmp_path, small_weights):
    folder = tmp_path / "swapped"
    folder.mkdir()
    for name in ("detector.safetensors", "recognizer.safetensors", "recognizer.json"):
        (folder / name).write_bytes((small_weights / name).read_bytes())
    (folder / "detector.json").write_bytes((small_weights / "recognizer.json").read_bytes())
    with pytest.raises(WeightsError, match="architecture 'crnn', expected 'dbnet'"):
        docvision.load(folder, device="cpu")


def test_load_recognizer_manifest_without_vocabulary(tmp_path, small_weights):
    folder = tmp_path / "novocab"
    folder.mkdir()
    for name in ("detector.safetensors", "detector.json", "recognizer.safetensors"):
        (folder / name).write_bytes((small_weights / name).read_bytes())
    manifest = read_manifest(small_weights, "recognizer")
    manifest.vocabulary = None
    (folder / "recognizer.json").write_text(json.dumps(asdict(manifest)))
    with pytest.raises(WeightsError, match="no vocabulary"):
        docvision.load(folder, device="cpu")


def test_load_cuda_without_gpu_is_a_clear_error(small_weights):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(WeightsError, match="CUDA"):
        docvision.load(small_weights, device="cuda")


def test_load_manifest_with_invalid_config(tmp_path, small_weights):
    folder = tmp_path / "badconfig"
    folder.mkdir()
    for name in ("detector.safetensors", "recognizer.safetensors", "recognizer.json"):
        (folder / name).write_bytes((small_weights / name).read_bytes())
    manifest = read_manifest(small_weights, "detector")
    manifest.config = {**manifest.config, "backbone": {**manifest.config["backbone"], "depth": 19}}
    (folder / "detector.json").write_text(json.dumps(asdict(manifest)))
    with pytest.raises(WeightsError) as err:
        docvision.load(folder, device="cpu")
    assert str(folder / "detector.json") in str(err.value) and "19" in str(err.value)
