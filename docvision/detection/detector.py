"""The detection stage: page image -> word polygons in page pixels."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import torch

from docvision.config import PostprocessConfig
from docvision.detection.postprocess import Detection, detect_boxes
from docvision.models.dbnet import DBNet

MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255
STRIDE = 32


def normalize(image: np.ndarray) -> np.ndarray:
    """``H x W x 3`` uint8 RGB -> ``(3, H, W)`` float32 standardized as the detector expects."""
    return np.ascontiguousarray(((image.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1))


def scale_to_fit(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale so the longest side is at most ``max_side`` (never up); returns the scale too."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image, scale


def prepare_image(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Scale an RGB page down so its longest side is at most ``max_side`` (never up),
    pad right/bottom with white to a multiple of 32 and normalize.

    Returns the ``(3, H, W)`` float32 array and the scale applied to the page.
    """
    image, scale = scale_to_fit(image, max_side)
    rh, rw = image.shape[:2]
    ph, pw = -(-rh // STRIDE) * STRIDE, -(-rw // STRIDE) * STRIDE
    padded = np.full((ph, pw, 3), 255, np.uint8)
    padded[:rh, :rw] = image
    return normalize(padded), scale


class Detector:
    """DBNet + post-processing; thread-safe (no state changes after construction)."""

    def __init__(
        self,
        model: DBNet,
        *,
        max_side: int = 1280,
        postprocess: PostprocessConfig = PostprocessConfig(),
        device: torch.device = torch.device("cpu"),
    ):
        self.model = model.eval().to(device, memory_format=torch.channels_last)
        self.max_side = max_side
        self.postprocess = postprocess
        self.device = device

    def probability_map(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """Text probability of the scaled page (``(h, w)`` float32, padding cut off) and the scale."""
        array, scale = prepare_image(image, self.max_side)
        x = torch.from_numpy(array)[None].to(self.device).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            prob = self.model(x)[0, 0].float().cpu().numpy()
        h, w = image.shape[:2]
        return prob[: max(1, round(h * scale)), : max(1, round(w * scale))], scale

    def detect(self, image: np.ndarray, **overrides: float) -> list[Detection]:
        """Word boxes of an RGB page, in page pixels. ``overrides`` replace post-processing
        settings for this call (e.g. ``box_thresh=0.3``)."""
        prob, scale = self.probability_map(image)
        config = replace(self.postprocess, **overrides) if overrides else self.postprocess
        detections = detect_boxes(prob, config)
        for det in detections:
            det.polygon = det.polygon / scale
        return detections
