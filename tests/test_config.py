"""Typed configs: dict/YAML round trips, nesting, unknown keys, the shipped YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from docvision.config import (
    BackboneConfig,
    DetectorConfig,
    PipelineConfig,
    PostprocessConfig,
    from_dict,
    load_yaml,
    to_dict,
)

REPO = Path(__file__).resolve().parent.parent


def test_from_dict_nested_and_lists_become_tuples():
    config = from_dict(DetectorConfig, {"backbone": {"depth": 18, "stages": [1, 2, 3, 4]}, "k": 30})
    assert config.backbone == BackboneConfig(depth=18, stages=(1, 2, 3, 4))
    assert isinstance(config.backbone.stages, tuple)
    assert config.k == 30
    assert config.head_channels == DetectorConfig().head_channels


def test_from_dict_empty_gives_defaults():
    assert from_dict(PipelineConfig, None) == PipelineConfig()
    assert from_dict(PipelineConfig, {"postprocess": None}) == PipelineConfig()


@pytest.mark.parametrize("data", [{"nope": 1}, {"postprocess": {"box_tresh": 0.3}}])
def test_unknown_keys_raise_naming_them(data):
    with pytest.raises(ValueError, match="tresh|nope"):
        from_dict(PipelineConfig, data)


@pytest.mark.parametrize("values", [{"box_thresh": 2.0}, {"bin_thresh": -0.1}, {"line_margin": -1.0},
                                    {"unclip_ratio": 0.0}, {"shrink_ratio": 1.0}, {"max_candidates": 0}])
def test_postprocess_values_out_of_range_raise_naming_them(values):
    (name,) = values
    with pytest.raises(ValueError, match=name):
        from_dict(PipelineConfig, {"postprocess": values})


def test_to_dict_round_trip_is_plain():
    config = PipelineConfig(dpi=150, postprocess=PostprocessConfig(box_thresh=0.4))
    data = to_dict(config)
    assert data["postprocess"]["box_thresh"] == 0.4
    assert to_dict(DetectorConfig())["backbone"]["stages"] == [2, 3, 4]
    assert from_dict(PipelineConfig, data) == config
    assert from_dict(DetectorConfig, to_dict(DetectorConfig())) == DetectorConfig()


def test_configs_are_frozen():
    with pytest.raises(AttributeError):
        PipelineConfig().dpi = 10  # type: ignore[misc]


def test_shipped_pipeline_yaml_equals_defaults():
    # configs/pipeline.yaml says "Values shown are the defaults": keep them in step.
    assert load_yaml(PipelineConfig, REPO / "configs" / "pipeline.yaml") == PipelineConfig()


TRAINING_YAMLS = sorted([
    *(REPO / "docvision" / "configs").glob("*.yaml"),  # the defaults of docvision train, package data
    *(REPO / "configs").glob("*_*.yaml"),  # templates
    *(REPO / "experiments").rglob("*.yaml"),  # the runs of the model card
])


@pytest.mark.parametrize("path", TRAINING_YAMLS, ids=lambda p: str(p.relative_to(REPO)))
def test_training_yamls_load(path):
    from docvision.training.config import DataSource, DetTrainConfig, RecTrainConfig

    config = load_yaml(DetTrainConfig if path.name.startswith("det_") else RecTrainConfig, path)
    assert config.train and all(isinstance(source, DataSource) for source in (*config.train, *config.val))


def test_load_yaml(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("dpi: 100\npostprocess:\n  unclip_ratio: 2.0\n")
    config = load_yaml(PipelineConfig, path)
    assert config.dpi == 100 and config.postprocess.unclip_ratio == 2.0
    assert config.layout == PipelineConfig().layout
