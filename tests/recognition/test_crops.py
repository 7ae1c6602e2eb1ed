"""Word crops: rectification of rotated boxes, recognizer input, batching."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from docvision.recognition.crops import (
    MAX_WIDTH, crop_polygon, fit_to_lines, pad_batch, part_neighbours, text_rows, to_recognizer_input, widen_short,
    word_crops,
)


def patch(w=120, h=30) -> np.ndarray:
    """An upright word stand-in whose orientation shows: black left half, grey right
    half, a white stripe along the top third."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2 :] = 128
    img[: h // 3, :] = 255
    return img


def place_rotated(img: np.ndarray, degrees: float, canvas=(300, 300)):
    """Paste ``img`` rotated by ``degrees`` (counter-clockwise on screen) centred on a
    canvas of paper (value 200); returns the page and the word's corners tl, tr, br, bl."""
    h, w = img.shape[:2]
    cx, cy = canvas[1] / 2, canvas[0] / 2
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    matrix[:, 2] += (cx - w / 2, cy - h / 2)
    page = cv2.warpAffine(img, matrix, (canvas[1], canvas[0]), flags=cv2.INTER_LINEAR, borderValue=(200, 200, 200))
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return page, cv2.transform(corners[None], matrix)[0]


@pytest.mark.parametrize("degrees", [0, 15, -25])
def test_rotated_word_is_rectified_upright(degrees):
    page, corners = place_rotated(patch(), degrees)
    for polygon in (corners, corners[[2, 0, 3, 1]]):  # corner order must not matter
        crop = crop_polygon(page, polygon)
        assert abs(crop.shape[0] - 30) <= 1 and abs(crop.shape[1] - 120) <= 1 and crop.shape[2] == 3
        inner = crop[3:-3, 3:-3, 0].astype(int)  # away from interpolated borders
        assert inner[:7].mean() > 240  # white stripe on top: upright
        assert inner[12:, :50].mean() < 20  # black on the left: not mirrored
        assert abs(inner[12:, 64:].mean() - 128) < 15


def test_non_quad_polygon_uses_min_area_rect():
    page, corners = place_rotated(patch(), 10)
    mids = (corners + np.roll(corners, -1, axis=0)) / 2
    octagon = np.stack([corners, mids], axis=1).reshape(-1, 2)  # 8 points on the same rectangle
    crop = crop_polygon(page, octagon)
    assert abs(crop.shape[0] - 30) <= 1 and abs(crop.shape[1] - 120) <= 1


def test_degenerate_polygon_gives_a_pixel():
    crop = crop_polygon(np.zeros((10, 10, 3), np.uint8), np.array([[5, 5]] * 4, np.float32))
    assert crop.shape[:2] == (1, 1)


def test_to_recognizer_input():
    crop = np.full((60, 200, 3), 255, np.uint8)
    crop[:, :100] = 0
    x = to_recognizer_input(crop, 32)
    assert x.shape == (32, 107) and x.dtype == np.float32  # 200 * 32 / 60 = 106.7
    assert x[:, :50].min() == pytest.approx(1.0) and x[:, -50:].max() == pytest.approx(0.0)  # ink-positive
    gray = to_recognizer_input(np.full((16, 16), 255, np.uint8), 32)
    assert gray.shape == (32, 32) and gray.max() == 0.0


def test_to_recognizer_input_width_limits():
    assert to_recognizer_input(np.zeros((100, 2, 3), np.uint8), 32).shape == (32, 4)
    assert to_recognizer_input(np.zeros((10, 5000, 3), np.uint8), 32).shape == (32, MAX_WIDTH)


def test_pad_batch():
    inputs = [np.ones((32, w), np.float32) for w in (10, 33, 4)]
    batch, widths = pad_batch(inputs)
    assert isinstance(batch, torch.Tensor) and batch.dtype == torch.float32
    assert batch.shape == (3, 1, 32, 36)  # widest 33 rounded up to a multiple of 4
    assert widths == [10, 33, 4]
    for i, w in enumerate(widths):
        assert batch[i, 0, :, :w].min() == 1 and batch[i, 0, :, w:].abs().sum() == 0


def quad(x0, y0, x1, y1, tilt=0.0):
    return np.array([[x0, y0], [x1, y0 + tilt], [x1, y1 + tilt], [x0, y1]], np.float32)


def test_overlapping_neighbours_are_cut_apart_halfway():
    words = [quad(0, 0, 104, 30), quad(96, 2, 200, 32), quad(0, 26, 100, 60), quad(300, 0, 400, 30)]
    left, right, below, alone = part_neighbours(words)
    assert left[:, 0].max() == 100 and right[:, 0].min() == 100  # side by side: cut at x = 100
    assert left[:, 1].max() == 28 and below[:, 1].min() == 28  # one above the other: cut at y = 28
    assert np.array_equal(alone, words[3])
    assert np.array_equal(right[:, 1], words[1][:, 1])  # no word below it overlaps it enough


def test_apart_tilted_or_contained_quads_are_kept():
    apart = [quad(0, 0, 90, 30), quad(100, 0, 200, 30)]
    tilted = [quad(0, 0, 104, 30, tilt=8), quad(96, 0, 200, 30)]
    inside = [quad(0, 0, 200, 30), quad(50, 0, 100, 30)]
    for words in (apart, tilted, inside, apart[:1]):
        assert all(np.array_equal(a, b) for a, b in zip(part_neighbours(words), words))


def test_word_crops_of_small_words_come_from_the_page_enlarged():
    image = np.full((60, 200, 3), 255, np.uint8)
    image[20:27, 30:70] = 0  # a 7 px word
    small = np.array([[28, 18], [72, 18], [72, 29], [28, 29]], np.float32)  # 11 px box
    tiny = np.array([[30, 20], [70, 20], [70, 27], [30, 27]], np.float32)  # 7 px box
    assert word_crops(image, [small])[0].shape[:2] == (11, 44)
    (crop,) = word_crops(image, [tiny])
    assert crop.shape[:2] == (14, 80) and crop[2:-2, 2:-2].max() < 60  # twice the size, all ink
    assert word_crops(image, [tiny], page=[small, small])[0].shape[:2] == (7, 40)  # the page's words decide


def test_an_enlarged_crop_has_the_pixels_of_the_page_enlarged_but_only_its_part_is(monkeypatch):
    page = np.random.default_rng(0).integers(0, 256, (80, 120, 3), np.uint8)
    enlarged = cv2.resize(page, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    polygons = [
        np.array([[30.3, 20.6], [71.8, 24.1], [71.1, 31.7], [29.6, 28.2]], np.float32),  # tilted, inside
        np.array([[-2.5, 70.2], [40.4, 70.2], [40.4, 82.0], [-2.5, 82.0]], np.float32),  # over the corner
        np.array([[100.2, 1.7], [119.9, 1.7], [119.9, 9.1], [100.2, 9.1]], np.float32),  # at the edges
    ]
    resized = []
    resize = cv2.resize
    monkeypatch.setattr(cv2, "resize", lambda image, *a, **k: resized.append(image.shape[:2]) or resize(image, *a, **k))
    for polygon in polygons:
        crop, expected = crop_polygon(page, polygon, 2.0), crop_polygon(enlarged, polygon * 2)
        assert crop.shape == expected.shape and np.abs(crop.astype(int) - expected).max() <= 1
    assert len(resized) == 3 and all(h * w < 0.1 * page.shape[0] * page.shape[1] for h, w in resized)


def test_short_boxes_are_widened_along_their_baseline():
    square = np.float32([[10, 10], [30, 10], [30, 30], [10, 30]])  # as wide as tall: fully widened
    np.testing.assert_allclose(widen_short(square, 0.1), [[8, 10], [32, 10], [32, 30], [8, 30]], atol=1e-5)
    two = np.float32([[0, 0], [40, 0], [40, 20], [0, 20]])  # twice as wide as tall: half of it
    np.testing.assert_allclose(widen_short(two, 0.1)[:, 0], [-1, 41, 41, -1], atol=1e-5)
    long = np.float32([[0, 0], [60, 0], [60, 20], [0, 20]])  # three times: as it was
    np.testing.assert_array_equal(widen_short(long, 0.1), long)
    turned = np.float32([[0, 0], [0, -20], [20, -20], [20, 0]])  # a square read bottom to top
    np.testing.assert_allclose(widen_short(turned, 0.1), [[0, 2], [0, -22], [20, -22], [20, 2]], atol=1e-5)


def test_crops_much_taller_than_their_ink_are_cut_to_the_text_rows():
    tall = np.full((60, 80), 255, np.uint8)
    tall[22:42, 10:70] = 0  # 20 ink rows in a 60-row crop (3x): 29 rows kept around their middle
    assert text_rows(tall) == (18, 46)
    fitting = np.full((30, 80), 255, np.uint8)
    fitting[5:25, 10:70] = 0  # 1.5x: read whole
    assert text_rows(fitting) == (0, 30)
    assert text_rows(np.full((60, 80, 3), 200, np.uint8)) == (0, 60)  # nothing stands out
    speck = np.full((60, 80), 255, np.uint8)
    speck[29:31, 30:32] = 0
    assert text_rows(speck) == (0, 60)  # under 3 ink rows (and under a tenth of them): whole


def box(x0, y0, x1, y1) -> np.ndarray:
    return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def test_short_words_take_the_top_and_bottom_of_their_line():
    line = [box(0, 100, 90, 130), box(100, 108, 125, 126), box(135, 100, 240, 132)]  # "Word is another"
    fitted = fit_to_lines(line)
    np.testing.assert_array_equal(fitted[1], box(100, 100, 125, 131))  # the medians of its neighbours
    np.testing.assert_array_equal(fitted[0], line[0])  # long words as they are
    np.testing.assert_array_equal(fitted[2], line[2])
    alone = [box(100, 108, 125, 126), box(100, 300, 200, 330)]  # no neighbour on its line
    np.testing.assert_array_equal(fit_to_lines(alone)[0], alone[0])
    far = [box(100, 108, 125, 126), box(300, 100, 400, 130)]  # more than 4 heights away
    np.testing.assert_array_equal(fit_to_lines(far)[0], far[0])
    heading = [box(100, 108, 125, 126), box(135, 60, 400, 140)]  # over 2.5x as tall: another line's size
    np.testing.assert_array_equal(fit_to_lines(heading)[0], heading[0])
    descender = [box(100, 108, 125, 126), box(135, 97, 300, 137)]  # 2.2x: "Project" boxed with its "j"
    np.testing.assert_array_equal(fit_to_lines(descender)[0], box(100, 97, 125, 137))
    vertical = [box(100, 60, 110, 140), box(120, 60, 300, 140)]  # a word printed upwards
    np.testing.assert_array_equal(fit_to_lines(vertical)[0], vertical[0])
    assert fit_to_lines([]) == []


def test_low_words_take_the_top_and_bottom_of_their_line():
    """Words of x-height letters up to 4:1 ("was", an "is" boxed without its dot) are fitted too, against
    the longer words of the line only; words as tall as the line stay as they are."""
    line = [box(0, 100, 90, 130), box(100, 110, 160, 126), box(170, 100, 250, 131), box(260, 108, 285, 126)]
    fitted = fit_to_lines(line)
    np.testing.assert_array_equal(fitted[1], box(100, 100, 160, 130.5))  # 3.75:1, 16 of 30 px
    np.testing.assert_array_equal(fitted[3], box(260, 100, 285, 131))  # short: the medians of the longer words beside it
    tall = [box(0, 100, 90, 130), box(100, 102, 180, 128), box(190, 100, 280, 132)]  # 3:1 but 26 of 30 px
    np.testing.assert_array_equal(fit_to_lines(tall)[1], tall[1])
    long = [box(0, 100, 90, 130), box(100, 110, 180, 126), box(190, 100, 280, 132)]  # 5:1: a long word
    np.testing.assert_array_equal(fit_to_lines(long)[1], long[1])
    beside_taller = [box(100, 110, 160, 126), box(170, 100, 300, 137)]  # 2.3x: over the 2x low words allow
    np.testing.assert_array_equal(fit_to_lines(beside_taller)[0], beside_taller[0])
