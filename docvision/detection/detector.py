"""The detection stage: page image -> word polygons in page pixels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from docvision.config import DET_MAX_SIDE, PostprocessConfig
from docvision.detection.postprocess import Detection, detect_boxes
from docvision.models.dbnet import DBNet

MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255
"""RGB (0-255) standardization of the detector's inputs (ImageNet's, as its backbone was pretrained);
the trainer records them in the detector's manifest, which the pipeline and the calibrator read."""
STRIDE = 32
INK_CONTRAST = 40
"""Grey levels from the paper's colour that make a pixel ink for :func:`content_box`."""


def normalize(image: np.ndarray, mean: np.ndarray = MEAN, std: np.ndarray = STD) -> np.ndarray:
    """``H x W x 3`` uint8 RGB -> ``(3, H, W)`` float32 standardized as the detector expects (OpenCV's
    blob maker: one pass over the page, 3-4x faster than numpy's three)."""
    params = cv2.dnn.Image2BlobParams()
    params.mean = (*map(float, mean), 0.0)
    params.scalefactor = (*(1.0 / float(s) for s in std), 0.0)
    params.ddepth = cv2.CV_32F
    return cv2.dnn.blobFromImageWithParams(image, params)[0]


def fit_scale(height: int, width: int, max_side: int, max_upscale: float = 1.0) -> float:
    """The scale that brings the longest side to ``max_side``: down always, up by at most
    ``max_upscale`` (1.0: never up)."""
    return min(max_upscale, max_side / max(height, width))


def rescale(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` resized by ``scale`` (area averaging down, cubic up)."""
    if scale == 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC)


@dataclass(frozen=True)
class ScaledPage:
    """An RGB page resized once by ``scale`` (:func:`rescale`) and its grey: the detector's input
    at that scale, and what the measures before detection (letter size, ink) read."""

    image: np.ndarray
    grey: np.ndarray
    scale: float


def scaled_page(image: np.ndarray, scale: float) -> ScaledPage:
    """The RGB page ``image`` resized by ``scale``, and its grey."""
    scaled = rescale(image, scale)
    return ScaledPage(scaled, cv2.cvtColor(scaled, cv2.COLOR_RGB2GRAY), scale)


def scale_to_fit(image: np.ndarray, max_side: int, max_upscale: float = 1.0) -> tuple[np.ndarray, float]:
    """``image`` at :func:`fit_scale`, and that scale."""
    scale = fit_scale(*image.shape[:2], max_side, max_upscale)
    return rescale(image, scale), scale


def pad_and_normalize(image: np.ndarray, mean: np.ndarray = MEAN, std: np.ndarray = STD) -> np.ndarray:
    """Pad an RGB image right/bottom with white paper to multiples of 32 and normalize it:
    the ``(3, H, W)`` float32 array the detector takes."""
    h, w = image.shape[:2]
    padded = cv2.copyMakeBorder(image, 0, -h % STRIDE, 0, -w % STRIDE, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    return normalize(padded, mean, std)


def stack_padded(arrays: Sequence[np.ndarray], fill: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` float32 arrays as one ``(N, 3, H, W)`` batch of the largest height and width, each
    padded right and bottom with the per-channel value ``fill`` (one array: itself, not copied)."""
    if len(arrays) == 1:
        return arrays[0][None]
    height, width = max(a.shape[1] for a in arrays), max(a.shape[2] for a in arrays)
    batch = np.empty((len(arrays), 3, height, width), np.float32)
    batch[:] = fill.reshape(1, 3, 1, 1)
    for row, array in enumerate(arrays):
        batch[row, :, : array.shape[1], : array.shape[2]] = array
    return batch


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of a page (RGB or grey) that differ from the paper (its median grey) by more than ``INK_CONTRAST``."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    paper = int(np.searchsorted(counts, gray.size / 2))
    return cv2.absdiff(gray, paper) > INK_CONTRAST


def content_box(image: np.ndarray, margin: int = STRIDE) -> tuple[int, int, int, int] | None:
    """The part of a page (RGB or grey) the detector needs to see: ``(x0, y0, x1, y1)`` around every
    :func:`ink_mask` pixel, grown by ``margin``, its top-left corner on the detector's 32-pixel
    grid (so the network sees the text as on the whole page). ``None`` for a blank page."""
    ink = ink_mask(image)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    h, w = ink.shape
    x0, y0 = (max(0, int(v) - margin) // STRIDE * STRIDE for v in (cols[0], rows[0]))
    return x0, y0, min(w, int(cols[-1]) + 1 + margin), min(h, int(rows[-1]) + 1 + margin)


def detector_input(
    scaled: np.ndarray, mean: np.ndarray = MEAN, std: np.ndarray = STD, grey: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The network input ``(3, H, W)`` of a page already at its detection scale: its :func:`content_box`
    (also returned; from its ``grey`` when given), padded and standardized; ``None`` for a blank page. The
    detector and the int8 calibration prepare pages with this; training crops use :func:`rescale` and
    :func:`normalize` as it does."""
    box = content_box(scaled if grey is None else grey)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return pad_and_normalize(scaled[y0:y1, x0:x1], mean, std), box


class Detector:
    """DBNet + post-processing; thread-safe (no state changes after construction)."""

    def __init__(
        self,
        model: DBNet,
        *,
        max_side: int = DET_MAX_SIDE,
        max_upscale: float = 2.0,
        postprocess: PostprocessConfig = PostprocessConfig(),
        device: torch.device = torch.device("cpu"),
        mean: np.ndarray = MEAN,
        std: np.ndarray = STD,
    ):
        self.model = model.eval().to(device, memory_format=torch.channels_last)
        self.max_side, self.max_upscale = max_side, max_upscale
        self.mean, self.std = mean, std
        self.postprocess = postprocess
        self.device = device

    @property
    def engine(self) -> str:
        """What runs the network: ``torch``, or the int8 model's ``onnxruntime`` / ``openvino``."""
        return getattr(self.model, "engine", "torch")

    def input_scale(self, image: np.ndarray) -> float:
        """The scale the page is detected at by default: :func:`fit_scale` to ``max_side``."""
        return fit_scale(*image.shape[:2], self.max_side, self.max_upscale)

    def probability_map(self, image: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
        """Text probability of the page scaled by ``scale`` (default :meth:`input_scale`) as
        ``(h, w)`` float32 (:meth:`page_probability`), and the scale."""
        page = scaled_page(image, self.input_scale(image) if scale is None else scale)
        return self.page_probability(page), page.scale

    def page_probability(self, page: ScaledPage) -> np.ndarray:
        """Text probability of ``page`` at its scale as ``(h, w)`` float32. The network runs on the
        page's :func:`content_box` only (zero elsewhere; not at all on a blank page)."""
        return self.page_probabilities([page])[0]

    def page_probabilities(self, pages: Sequence[ScaledPage]) -> list[np.ndarray]:
        """:meth:`page_probability` of each page, their content boxes run in one forward: padded with
        white paper to the largest (a GPU runs a batch of pages in about the time of one). The padding
        reaches the network's edge where one page alone meets zeros, so a page of a batch may differ
        from the page alone by rounding near its box's right and bottom edges."""
        probs = [np.zeros(page.image.shape[:2], np.float32) for page in pages]
        prepared = [(i, found) for i, page in enumerate(pages)
                    if (found := detector_input(page.image, self.mean, self.std, page.grey)) is not None]
        if not prepared:
            return probs
        arrays = [array for _, (array, _) in prepared]
        x = torch.from_numpy(stack_padded(arrays, (np.float32(255) - self.mean) / self.std)).to(self.device)
        if self.engine == "torch":  # the int8 runtimes take NCHW: a round trip through channels-last costs 10+ ms a page
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            out = self.model(x)[:, 0].float().cpu().numpy()
        for row, (i, (_, (x0, y0, x1, y1))) in enumerate(prepared):
            probs[i][y0:y1, x0:x1] = out[row, : y1 - y0, : x1 - x0]
        return probs

    def detect(
        self, image: np.ndarray, *, scale: float | None = None, postprocess: PostprocessConfig | None = None
    ) -> list[Detection]:
        """Word boxes of an RGB page, in page pixels, found at ``scale`` (default :meth:`input_scale`)
        with ``postprocess`` (default: the detector's; settings change only as a whole config, per call)."""
        return self.detect_page(scaled_page(image, self.input_scale(image) if scale is None else scale), postprocess)

    def detect_page(self, page: ScaledPage, postprocess: PostprocessConfig | None = None) -> list[Detection]:
        """Word boxes of a page already at its detection scale, in pixels of the page before scaling;
        ``postprocess`` as :meth:`detect`."""
        return self.detect_pages([page], postprocess)[0]

    def detect_pages(
        self, pages: Sequence[ScaledPage], postprocess: PostprocessConfig | None = None
    ) -> list[list[Detection]]:
        """:meth:`detect_page` of each page, the network run once over all (:meth:`page_probabilities`)."""
        found = []
        for page, prob in zip(pages, self.page_probabilities(pages)):
            detections = detect_boxes(prob, postprocess or self.postprocess)
            for det in detections:
                det.polygon = det.polygon / page.scale
            found.append(detections)
        return found
