"""The detection stage: scaling, padding, mapping polygons back to page pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from docvision.config import PostprocessConfig
from docvision.detection.detector import (
    MEAN, STD, Detector, content_box, pad_and_normalize, scale_to_fit, scaled_page, stack_padded,
)
from docvision.detection.postprocess import detect_boxes

BOXES = [(30, 60, 119, 89), (300, 60, 449, 119), (60, 240, 539, 269)]  # inclusive pixel boxes, multiples of 3


@pytest.fixture
def page(page_image):
    return np.array(page_image(600, 400, BOXES))


def test_scale_to_fit_scales_down_and_up_to_a_limit():
    image, scale = scale_to_fit(np.zeros((400, 600, 3), np.uint8), 200, max_upscale=2.0)
    assert scale == pytest.approx(1 / 3) and image.shape == (133, 200, 3)
    small = np.zeros((50, 70, 3), np.uint8)
    image, scale = scale_to_fit(small, 1280)
    assert scale == 1.0 and image is small  # never up by default
    image, scale = scale_to_fit(small, 1280, max_upscale=2.0)
    assert scale == 2.0 and image.shape == (100, 140, 3)
    image, scale = scale_to_fit(small, 105, max_upscale=2.0)
    assert scale == 1.5 and image.shape == (75, 105, 3)


def test_pad_and_normalize_pads_white_to_multiples_of_32():
    image = np.full((133, 200, 3), 255, np.uint8)
    image[0:3, 0:3] = 0
    array = pad_and_normalize(image)
    assert array.shape == (3, 160, 224)
    assert array.dtype == np.float32 and array.flags.c_contiguous
    white = (255 - MEAN) / STD
    np.testing.assert_allclose(array[:, -1, -1], white, rtol=1e-5)  # padding is white paper
    np.testing.assert_allclose(array[:, 0, 0], -MEAN / STD, atol=0.03)  # ink stays ink


def test_content_box_surrounds_the_ink_with_a_grid_aligned_margin():
    image = np.full((300, 400, 3), 250, np.uint8)
    image[100:120, 150:260] = 20
    image[200, 90] = 200  # faint speck: 50 grey levels from the paper counts as ink
    image[250, 300] = 215  # fainter than INK_CONTRAST: paper
    assert content_box(image, margin=10) == (64, 64, 270, 211)
    assert content_box(image, margin=100) == (0, 0, 360, 300)  # clipped to the page


def test_content_box_finds_light_ink_on_dark_paper_and_nothing_on_a_blank_page():
    image = np.full((100, 100, 3), 30, np.uint8)
    assert content_box(image) is None
    image[50:60, 40:70] = 230
    assert content_box(image, margin=0) == (32, 32, 70, 60)
    assert content_box(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), margin=0) == (32, 32, 70, 60)  # its grey: the same


def test_a_page_scaled_once_is_detected_as_the_page(ink_model, page):
    detector = Detector(ink_model, max_side=200)
    small = scaled_page(page, 0.5)
    assert small.image.shape == (200, 300, 3) and small.grey.shape == (200, 300) and small.scale == 0.5
    np.testing.assert_array_equal(detector.page_probability(small), detector.probability_map(page, 0.5)[0])
    expected = detector.detect(page, scale=0.5)
    assert len(expected) == 3
    for det, want in zip(detector.detect_page(small), expected):
        np.testing.assert_array_equal(det.polygon, want.polygon)  # in pixels of the page as given


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


def test_detect_postprocess_applies_to_one_call_only(ink_model, page):
    detector = Detector(ink_model, max_side=200)
    assert len(detector.detect(page, postprocess=PostprocessConfig(bin_thresh=1.0))) == 0  # no pixel over 1
    assert len(detector.detect(page)) == 3
    assert detector.postprocess == PostprocessConfig()


def test_small_page_is_scaled_up_at_most_max_upscale_and_mapped_back(ink_model, page_image):
    image = np.array(page_image(90, 50, [(10, 10, 49, 29)]))
    config = PostprocessConfig(unclip_ratio=0.1)
    assert Detector(ink_model, max_side=1280).probability_map(image)[1] == 2.0  # the default limit
    assert Detector(ink_model, max_side=135).probability_map(image)[1] == 1.5  # up to max_side
    for upscale in (1.0, 2.0):
        (det,) = Detector(ink_model, max_side=1280, max_upscale=upscale, postprocess=config).detect(image)
        np.testing.assert_allclose(det.polygon.min(axis=0), [10, 10], atol=1.5)  # pixel 49 ends at 50
        np.testing.assert_allclose(det.polygon.max(axis=0), [49, 29], atol=1.5)


def test_model_runs_without_autograd(page):
    seen = {}

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen["grad"] = torch.is_grad_enabled()
            seen["shape"] = tuple(x.shape)
            return torch.zeros(x.shape[0], 1, *x.shape[2:])

    Detector(Spy(), max_side=200).detect(page)
    assert seen["grad"] is False


def test_network_sees_only_the_content_box(ink_model, page_image):
    """Wide margins are not fed to the network, and a blank page not at all; the boxes are
    those of the whole page."""
    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape[2:]))
            return ink_model(x)

    image = np.array(page_image(900, 1200, [(300, 400, 389, 429), (450, 400, 599, 459)]))
    config = PostprocessConfig(unclip_ratio=0.1)
    found = Detector(Spy(), max_side=1280, max_upscale=1.0, postprocess=config).detect(image)
    assert seen == [(160, 384)]  # rows 352-491, columns 256-631, padded: not the whole 1216 x 928
    whole = detect_boxes(ink_model(torch.from_numpy(pad_and_normalize(image))[None])[0, 0].numpy(), config)
    assert len(found) == len(whole) == 2
    for a, b in zip(found, whole):
        np.testing.assert_allclose(a.polygon, b.polygon)
    assert Detector(Spy(), max_side=1280).detect(np.full((400, 300, 3), 255, np.uint8)) == []
    assert len(seen) == 1


def test_stack_padded_pads_each_array_with_the_fill():
    a, b = np.zeros((3, 2, 4), np.float32), np.ones((3, 3, 2), np.float32)
    fill = np.array([7, 8, 9], np.float32)
    batch = stack_padded([a, b], fill)
    assert batch.shape == (2, 3, 3, 4) and batch.dtype == np.float32
    assert (batch[0, :, :2] == 0).all() and (batch[0, :, 2] == fill[:, None]).all()
    assert (batch[1, :, :, :2] == 1).all() and (batch[1, :, :, 2:] == fill[:, None, None]).all()
    assert stack_padded([a], fill).base is a  # one page: not copied


def _same_detections(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.polygon, b.polygon, atol=1e-4)
        assert a.score == pytest.approx(b.score, abs=1e-5)


def test_pages_detected_in_one_forward_are_detected_as_alone(ink_model, page_image):
    """Pages of other sizes and scales, and a blank one, in one forward: each padded with paper to the
    largest, each page's boxes as when it is detected alone; the blank page is not fed at all."""
    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape))
            return ink_model(x)

    detector = Detector(Spy(), max_side=400, postprocess=PostprocessConfig(unclip_ratio=0.1))
    images = [np.array(page_image(600, 400, BOXES)), np.array(page_image(300, 500, [(40, 300, 250, 330)])),
              np.full((200, 200, 3), 255, np.uint8), np.array(page_image(200, 120, [(10, 10, 150, 30)]))]
    pages = [scaled_page(image, detector.input_scale(image)) for image in images]
    alone = [detector.detect_page(page) for page in pages]
    seen.clear()
    together = detector.detect_pages(pages)
    assert len(seen) == 1 and seen[0][0] == 3  # the blank page is not fed
    assert [len(found) for found in together] == [3, 1, 0, 1]
    for got, want in zip(together, alone):
        _same_detections(got, want)
    assert detector.detect_pages([]) == []


def test_dbnet_pages_of_one_input_size_read_in_one_forward_as_alone(small_detector_config, page_image):
    """A real network: pages whose padded inputs have one size give, in one forward, the maps and boxes
    each gives alone (to float rounding). (A page padded further differs near its edges: see
    :meth:`Detector.page_probabilities`.)"""
    from docvision.models.dbnet import DBNet
    from docvision.models.fold import fold_batch_norms

    torch.manual_seed(0)
    config = PostprocessConfig(box_thresh=0.3)
    detector = Detector(fold_batch_norms(DBNet(small_detector_config)), max_side=256, postprocess=config)
    marks = [(20, 20, 120, 40), (150, 20, 260, 40), (20, 80, 200, 100)]  # one content box: one input size
    images = [np.array(page_image(300, 200, [*marks, (40 + 40 * i, 55, 70 + 40 * i, 65)])) for i in range(3)]
    pages = [scaled_page(image, detector.input_scale(image)) for image in images]
    alone = [detector.page_probability(page) for page in pages]
    for got, want in zip(detector.page_probabilities(pages), alone):
        np.testing.assert_allclose(got, want, atol=1e-5)
    found = [detector.detect_page(page) for page in pages]
    assert any(found)
    for got, want in zip(detector.detect_pages(pages), found):
        _same_detections(got, want)
