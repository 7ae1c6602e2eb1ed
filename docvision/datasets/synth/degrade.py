"""Scan, photocopy and fax degradations as pure functions, plus the page geometry transform.

Geometric changes are one homography applied to the ink layers and, with the same matrix, to
the word polygons (:func:`warp_points`), so labels follow the ink exactly. Photometric changes
never move ink.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np


def random_homography(
    rng: np.random.Generator, width: int, height: int, max_skew_deg: float, max_perspective: float
) -> np.ndarray:
    """A rotation by up to ``max_skew_deg`` about the centre plus corner jitter of up to
    ``max_perspective`` times the shorter side (a slightly tilted scan or photo)."""
    src = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    rot = cv2.getRotationMatrix2D((width / 2, height / 2), float(rng.uniform(-max_skew_deg, max_skew_deg)), 1.0)
    dst = cv2.transform(src[None], rot)[0]
    dst += rng.uniform(-1, 1, (4, 2)).astype(np.float32) * max_perspective * min(width, height)
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def warp_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map ``(N, 2)`` page points (pixel-edge coordinates) through ``matrix`` as
    :func:`warp_image` maps pixels (OpenCV uses pixel-centre coordinates, hence the half pixel)."""
    pts = np.asarray(points, np.float32).reshape(-1, 1, 2) - 0.5
    return (cv2.perspectiveTransform(pts, matrix).reshape(-1, 2) + 0.5).astype(np.float32)


def warp_image(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warp an ink layer (zero outside) keeping its size."""
    h, w = image.shape[:2]
    return cv2.warpPerspective(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def spread_ink(alpha: np.ndarray, amount: int) -> np.ndarray:
    """Ink bleed (``amount > 0``: dilate) or erosion (``amount < 0``: thin and break strokes)."""
    if amount == 0:
        return alpha
    kernel = np.ones((abs(amount) + 1, abs(amount) + 1), np.uint8)
    if amount > 0:
        return cv2.dilate(alpha, kernel)
    return cv2.addWeighted(alpha, 0.5, cv2.erode(alpha, kernel), 0.5, 0)


def paper(rng: np.random.Generator, height: int, width: int, tint: np.ndarray, texture: float) -> np.ndarray:
    """Paper background in [0, 1]: a tint (one value per channel) with low-frequency blotches."""
    small = rng.normal(0, 1, (max(height // 48, 2), max(width // 48, 2))).astype(np.float32)
    blotch = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC) * texture
    base = np.clip(1.0 + blotch, 0, 1)
    return base[..., None] * tint if tint.size > 1 else base * float(tint[0])


def composite(background: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Lay ink layers (uint8 coverage, ink colour per channel in [0, 1]) over the background."""
    out = background.copy()
    for alpha, color in layers:
        if not alpha.any():
            continue
        a = alpha.astype(np.float32) * np.float32(1 / 255)
        if out.ndim == 3:
            a = a[..., None]
        out -= a * (out - (color if out.ndim == 3 else np.float32(color.mean())))
    return out


def shadow(image: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Darken towards one side, as a page lifted off the scanner glass or lit from the side."""
    h, w = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * np.linspace(-1, 1, w)[None, :] + np.sin(angle) * np.linspace(-1, 1, h)[:, None]).astype(
        np.float32
    )
    gain = 1 - strength * np.clip(ramp * rng.uniform(1, 3) - rng.uniform(0, 1.5), 0, 1)
    return image * (gain[..., None] if image.ndim == 3 else gain)


def dark_edges(image: np.ndarray, rng: np.random.Generator, width: float) -> np.ndarray:
    """Dark strips along one or two page edges (copier lid, page edge), ``width`` of the page
    width wide, with a ragged inner border."""
    h, w = image.shape[:2]
    out = image.copy()
    cols, rows = np.arange(w)[None, :], np.arange(h)[:, None]
    for side in rng.choice(4, int(rng.integers(1, 3)), replace=False):
        n = h if side < 2 else w
        depth = (width * w * rng.uniform(0.5, 1.5, max(n // 16, 2))).astype(np.float32)
        depth = cv2.resize(depth[None], (n, 1), interpolation=cv2.INTER_LINEAR)[0]
        mask = [cols < depth[:, None], cols >= w - depth[:, None], rows < depth[None, :], rows >= h - depth[None, :]][
            side
        ]
        out[mask] = 0.05
    return out


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (defocus, scanner optics)."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def resample(image: np.ndarray, factor: float) -> np.ndarray:
    """Down-sample by ``factor`` (< 1) and back: the look of a low-DPI scan at the same size."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(int(w * factor), 1), max(int(h * factor), 1)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def noise(image: np.ndarray, rng: np.random.Generator, sigma: float, tile: int = 384) -> np.ndarray:
    """Additive Gaussian sensor noise (a random tile repeated over the page: much faster than
    drawing every pixel and indistinguishable at this amplitude)."""
    h, w = image.shape[:2]
    field = rng.standard_normal((tile, tile), dtype=np.float32) * np.float32(sigma)
    field = np.tile(field, (-(-h // tile), -(-w // tile)))[:h, :w]
    return image + (field[..., None] if image.ndim == 3 else field)


def binarize(image: np.ndarray, threshold: float) -> np.ndarray:
    """Black and white at ``threshold`` (fax, bilevel scan)."""
    gray = image.mean(-1, keepdims=True) if image.ndim == 3 else image
    out = (gray > threshold).astype(np.float32)
    return np.broadcast_to(out, image.shape).copy() if image.ndim == 3 else out


def speckle(image: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Dust and toner specks: ``count`` small dark dots."""
    h, w = image.shape[:2]
    out = image.copy()
    for x, y, r in zip(rng.integers(0, w, count), rng.integers(0, h, count), rng.choice([0, 0, 0, 1], count)):
        cv2.circle(out, (int(x), int(y)), int(r), (0.0, 0.0, 0.0) if out.ndim == 3 else 0.0, -1)
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip of a uint8 image."""
    _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


@dataclass(frozen=True)
class Degradation:
    """Parameters of one page's degradation (drawn by :func:`sample_degradation`)."""

    color: bool
    ink_spread: int
    shadow: float
    blur: float
    resample: float
    noise: float
    binarize: float
    speckle: int
    jpeg: int
    edge: float = 0.0


CLEAN = Degradation(False, 0, 0.0, 0.0, 1.0, 0.0, 0.0, 0, 0)
"""No degradation at all: the page exactly as rendered."""


def sample_degradation(rng: np.random.Generator, dpi: float, clean: float = 0.1) -> Degradation:
    """Draw a clean print (chance ``clean``), office scan, photocopy or fax look for a page
    rendered at ``dpi`` (low-resolution resampling aims at an effective 75-200 DPI, never above ``dpi``)."""
    rest = (1 - clean) / 0.9
    kind = rng.choice(["clean", "scan", "photocopy", "fax"], p=[clean, 0.45 * rest, 0.25 * rest, 0.2 * rest])
    u = rng.uniform
    if kind == "clean":
        return replace(CLEAN, color=bool(rng.random() < 0.3))
    if kind == "scan":
        return Degradation(
            color=bool(rng.random() < 0.3),
            ink_spread=int(rng.choice([-1, 0, 0, 1])),
            shadow=u(0.05, 0.3) if rng.random() < 0.3 else 0.0,
            blur=u(0.3, 1.0),
            resample=min(1.0, u(75, 200) / dpi) if rng.random() < 0.4 else 1.0,
            noise=u(0.005, 0.03),
            binarize=0.0,
            speckle=int(rng.integers(0, 50)),
            jpeg=int(rng.integers(30, 95)) if rng.random() < 0.6 else 0,
        )
    if kind == "photocopy":
        bilevel = rng.random() < 0.3
        return Degradation(
            color=False,
            ink_spread=int(rng.choice([-1, 1, 1, 2])),
            shadow=u(0.05, 0.15 if bilevel else 0.4) if rng.random() < 0.4 else 0.0,
            blur=u(0.4, 1.2),
            resample=1.0,
            noise=u(0.02, 0.06),
            binarize=u(0.5, 0.65) if bilevel else 0.0,
            speckle=int(rng.integers(50, 600)),
            jpeg=int(rng.integers(40, 95)) if rng.random() < 0.4 else 0,
            edge=u(0.003, 0.02) if rng.random() < 0.4 else 0.0,
        )
    return Degradation(
        color=False,
        ink_spread=int(rng.choice([0, 0, 1])),
        shadow=0.0,
        blur=u(0.3, 0.8),
        resample=min(1.0, u(100, 200) / dpi),
        noise=u(0.01, 0.05),
        binarize=u(0.5, 0.7),
        speckle=int(rng.integers(100, 1500)),
        jpeg=0,
        edge=u(0.003, 0.015) if rng.random() < 0.3 else 0.0,
    )


def apply_photometric(image: np.ndarray, d: Degradation, rng: np.random.Generator) -> np.ndarray:
    """Turn a composited float page in [0, 1] into a degraded uint8 page (same geometry)."""
    if d.shadow:
        image = shadow(image, rng, d.shadow)
    if d.edge:
        image = dark_edges(image, rng, d.edge)
    if d.blur:
        image = blur(image, d.blur)
    if d.resample < 1:
        image = resample(image, d.resample)
    if d.noise:
        image = noise(image, rng, d.noise)
    if d.binarize:
        image = binarize(image, d.binarize)
    if d.speckle:
        image = speckle(image, rng, d.speckle)
    out = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
    return jpeg(out, d.jpeg) if d.jpeg else out
