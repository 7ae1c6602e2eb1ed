"""Page geometry: word quadrilaterals and boxes, and page frames (turning and rotating a page image,
mapping points between the frames).

A frame change is a 2 x 3 affine matrix ``m`` taking a point ``(x, y)`` of one image to
``m @ (x, y, 1)`` in the other. Coordinates are continuous pixels, origin at the top-left
corner of the top-left pixel (pixel ``(row, col)`` covers ``[col, col + 1] x [row, row + 1]``),
as everywhere in docvision. Angles are counter-clockwise as seen on the page (y points down).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def order_quad(points: np.ndarray) -> np.ndarray:
    """Corners clockwise starting at the top-left one (image axes, y down)."""
    points = np.asarray(points, np.float32).reshape(4, 2)
    xy = points.tolist()  # four points: Python's (stable) sort beats numpy's per-call overhead 4x
    by_x = sorted(range(4), key=lambda i: xy[i][0])
    tl, bl = sorted(by_x[:2], key=lambda i: xy[i][1])
    tr, br = sorted(by_x[2:], key=lambda i: xy[i][1])
    return points[[tl, tr, br, bl]]


def bbox_polygon(bbox: Sequence[float]) -> np.ndarray:
    """Corners of an axis-aligned ``(x0, y0, x1, y1)`` box, clockwise from top-left."""
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def on_line(box: Sequence[float], boxes: np.ndarray, taller: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``boxes`` (``(N, 4)``, x0 y0 x1 y1) share the text line of ``box``: overlapping it vertically
    by half the smaller height and 0.5-``taller`` times as tall (a word's ascenders and descenders, not a
    heading or a stray mark); and the horizontal gap from ``box`` to each (negative where they overlap)."""
    x0, y0, x1, y1 = box
    height, heights = y1 - y0, boxes[:, 3] - boxes[:, 1]
    overlap = np.minimum(y1, boxes[:, 3]) - np.maximum(y0, boxes[:, 1])
    same = (overlap >= 0.5 * np.minimum(height, heights)) & (heights >= 0.5 * height) & (heights <= taller * height)
    return same, np.maximum(boxes[:, 0] - x1, x0 - boxes[:, 2])


def compose(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The frame change ``first`` then ``second``."""
    return second[:, :2] @ first + np.hstack([np.zeros((2, 2)), second[:, 2:]])


def invert(matrix: np.ndarray) -> np.ndarray:
    """The frame change back."""
    return cv2.invertAffineTransform(np.asarray(matrix, np.float64))


def transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(N, 2)`` points moved by ``matrix``."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]


def moved_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The axis-aligned boxes ``(N, 4)`` around ``boxes`` ``(N, 4)`` (two opposite corners each, such as
    ``x0, y0, x1, y1``) moved by ``matrix``: all four corners moved (exact for quarter turns)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    xs, ys = boxes[:, [0, 2, 0, 2]], boxes[:, [1, 3, 3, 1]]
    px = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
    py = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
    return np.stack([px.min(1), py.min(1), px.max(1), py.max(1)], axis=1)


def moved_box(box: Sequence[float], matrix: np.ndarray) -> tuple[float, float, float, float]:
    """One box of :func:`moved_boxes`."""
    x0, y0, x1, y1 = moved_boxes(np.asarray(box), matrix)[0].tolist()
    return x0, y0, x1, y1


def pdf_frame(box: Sequence[float], rotation: int, size: tuple[int, int]) -> np.ndarray:
    """The frame change from PDF user space (points, y up) to the pixels of a page as renderers draw
    it (``/Rotate`` applied, origin top-left): ``box`` is the page box drawn (``x0, y0, x1, y1`` in
    points: the CropBox, or the MediaBox), ``rotation`` the page's ``/Rotate`` in degrees clockwise,
    ``size`` the rendered ``(width, height)``. Its :func:`invert` maps pixels back to user space."""
    x0, y0, x1, y1 = (float(v) for v in box)
    turned = rotation % 180 == 90
    sx = size[0] / ((y1 - y0) if turned else (x1 - x0))
    sy = size[1] / ((x1 - x0) if turned else (y1 - y0))
    return {
        0: np.array([[sx, 0, -sx * x0], [0, -sy, sy * y1]]),
        90: np.array([[0, sx, -sx * y0], [sy, 0, -sy * x0]]),
        180: np.array([[-sx, 0, sx * x1], [0, sy, -sy * y0]]),
        270: np.array([[0, -sx, sx * y1], [-sy, 0, sy * x1]]),
    }[rotation % 360]


def quarter_turns(size: tuple[int, int], turns: int) -> np.ndarray:
    """The frame change from an image of ``size`` ``(width, height)`` to ``np.rot90(image, turns)``
    (``turns`` quarter turns counter-clockwise; negative: clockwise)."""
    matrix = IDENTITY.copy()
    width, height = size
    for _ in range(turns % 4):  # one counter-clockwise quarter: (x, y) -> (y, width - x)
        matrix = compose(np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, float(width)]]), matrix)
        width, height = height, width
    return matrix


def rotation(size: tuple[int, int], degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The frame change that rotates an image of ``size`` ``(width, height)`` by ``degrees``
    counter-clockwise about its centre onto a canvas just large enough to hold all of it, and
    that canvas's size."""
    width, height = size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(np.ceil(height * sin + width * cos)), int(np.ceil(height * cos + width * sin))
    matrix[0, 2] += (new_width - width) / 2
    matrix[1, 2] += (new_height - height) / 2
    return matrix, (new_width, new_height)


def turn_image(image: np.ndarray, turns: int) -> np.ndarray:
    """``image`` turned ``turns`` quarter turns counter-clockwise (exact, no resampling)."""
    return np.ascontiguousarray(np.rot90(image, turns % 4))


def rotate_image(image: np.ndarray, degrees: float, fill: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``image`` rotated by ``degrees`` counter-clockwise onto the canvas of :func:`rotation`,
    the uncovered corners filled with ``fill``; returns the frame change too."""
    matrix, size = rotation((image.shape[1], image.shape[0]), degrees)
    # OpenCV maps pixel centres: shift by half a pixel either side of the continuous-coordinate matrix
    centred = compose(np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5]]), compose(matrix, np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])))
    rotated = cv2.warpAffine(image, centred, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return rotated, matrix
