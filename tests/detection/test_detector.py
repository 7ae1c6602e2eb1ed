"""The detection stage: scaling, padding, mapping polygons back to page pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from docvision.config import PostprocessConfig
from docvision.detection.detector import MEAN, STD, Detector, prepare_image
from docvision.detection.postprocess import detect_boxes

BOXES = [(30, 60, 119, 89), (300, 60, 449, 119), (60, 240, 539, 269)]  # inclusive pixel boxes, multiples of 3


@pytest.fixture
def page(page_image):
    return np.array(page_image(600, 400, BOXES))


def test_prepare_image_scales_down_pads_and_normalizes():
    image = np.full((400, 600, 3), 255, np.uint8)
    image[0:3, 0:3] = 0
    array, scale = prepare_image(image, 200)
    assert scale == pytest.approx(1 / 3)
    assert array.shape == (3, 160, 224)  # 133 x 200 padded to multiples of 32
    assert array.dtype == np.float32 and array.flags.c_contiguous
    white = (255 - MEAN) / STD
    np.testing.assert_allclose(array[:, -1, -1], white, rtol=1e-5)  # padding is white paper
    np.testing.assert_allclose(array[:, 0, 0], -MEAN / STD, atol=0.03)  # ink stays ink


def test_prepare_image_never_scales_up():
    array, scale = prepare_image(np.zeros((50, 70, 3), np.uint8), 1280)
    assert scale == 1.0 and array.shape == (3, 64, 96)


def test_probability_map_cuts_the_padding(ink_model, page):
    detector = Detector(ink_model, max_side=200)
    prob, scale = detector.probability_map(page)
    assert scale == pytest.approx(1 / 3) and prob.shape == (133, 200)
    assert prob[25, 20] == 1.0 and prob[0, 0] == 0.0


def test_detect_maps_polygons_back_to_page_pixels(ink_model, page):
    detector = Detector(ink_model, max_side=200, postprocess=PostprocessConfig(unclip_ratio=0.1))
    detections = detector.detect(page)
    prob, scale = detector.probability_map(page)
    expected = detect_boxes(prob, detector.postprocess)
    assert len(detections) == len(expected) == 3
    for det, small in zip(detections, expected):
        np.testing.assert_allclose(det.polygon, small.polygon * 3, rtol=1e-5)
    found = [np.concatenate([d.polygon.min(axis=0), d.polygon.max(axis=0)]) for d in detections]
    for want in BOXES:
        error = min(np.abs(got - np.array(want)).max() for got in found)
        assert error <= 4, (want, found)


def test_detect_overrides_apply_to_one_call_only(ink_model, page):
    detector = Detector(ink_model, max_side=200)
    assert len(detector.detect(page, box_thresh=1.01)) == 0
    assert len(detector.detect(page)) == 3
    assert detector.postprocess == PostprocessConfig()


def test_small_page_is_not_scaled(ink_model, page_image):
    image = np.array(page_image(90, 50, [(10, 10, 49, 29)]))
    (det,) = Detector(ink_model, max_side=1280, postprocess=PostprocessConfig(unclip_ratio=0.1)).detect(image)
    np.testing.assert_allclose(det.polygon.min(axis=0), [10, 10], atol=1)
    np.testing.assert_allclose(det.polygon.max(axis=0), [49, 29], atol=1)


def test_model_runs_without_autograd(page):
    seen = {}

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen["grad"] = torch.is_grad_enabled()
            seen["shape"] = tuple(x.shape)
            return torch.zeros(x.shape[0], 1, *x.shape[2:])

    Detector(Spy(), max_side=200).detect(page)
    assert seen == {"grad": False, "shape": (1, 3, 160, 224)}
