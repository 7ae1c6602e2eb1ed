"""``docvision eval``: score a pipeline on labeled pages.

Four views of the same pages:

* **detection** - the detector's boxes at the pipeline's ``box_thresh`` against the ground
  truth (P/R/F1 at IoU 0.5), optionally swept over ``box_thresh``;
* **recognition** - the recognizer alone on ground-truth word crops (word accuracy, CER);
* **end to end** - the full pipeline's words (box matched at IoU 0.5 *and* text equal) and
  the page-level CER/WER of its reading-order text against the ground truth in reading order
  (:func:`reference_text`);
* **reading order** - the same page CER/WER for the ground-truth words put through the
  pipeline's layout: what the reading order alone costs.

Ignored ground-truth words are left out of all four (see :mod:`docvision.evaluation.metrics`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from docvision.datasets.types import LabeledPage
from docvision.detection.postprocess import kept_on_lines
from docvision.document import Word
from docvision.evaluation.metrics import (
    IOU_THRESH,
    Counts,
    EndToEnd,
    TextErrors,
    WordScores,
    box_thresh_sweep,
    end_to_end,
    match_detections,
    ordered_text,
    page_text_errors,
    word_scores,
)
from docvision.evaluation.report import draw_boxes, write_png
from docvision.layout import arrange
from docvision.recognition.crops import crop_polygon


@dataclass
class PageEval:
    """Scores of one labeled page, plus the boxes a threshold sweep needs."""

    id: str
    detection: Counts
    recognition: WordScores
    end_to_end: EndToEnd
    text: TextErrors
    order: TextErrors
    """Page text errors of the ground-truth words arranged by the layout."""
    seconds: float
    pred_polygons: list[np.ndarray] = field(repr=False)
    pred_scores: list[float] = field(repr=False)
    gt_polygons: list[np.ndarray] = field(repr=False)
    gt_ignore: list[bool] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "detection": self.detection.as_dict(),
            "recognition": self.recognition.as_dict(),
            "end_to_end": {"exact": self.end_to_end.exact.as_dict(), "nocase": self.end_to_end.nocase.as_dict()},
            "page_text": _text_dict(self.text),
            "reading_order": _text_dict(self.order),
            "seconds": round(self.seconds, 3),
        }


def _text_dict(errors: TextErrors) -> dict[str, float]:
    return {"cer": errors.cer, "wer": errors.wer, "chars": errors.chars, "words": errors.words}


def reference_text(page: LabeledPage) -> str:
    """The page's ground-truth text: its non-ignored words in their own order when the labels
    give one (``page.ordered``), else in :func:`~docvision.evaluation.metrics.reading_order`."""
    words = [w for w in page.words if not w.ignore]
    if page.ordered:
        return " ".join(w.text for w in words)
    return ordered_text([w.text for w in words], [(*w.polygon.min(axis=0), *w.polygon.max(axis=0)) for w in words])


def parse_sweep(spec: str) -> list[float]:
    """``"0.3:0.9:0.05"`` -> ``[0.3, 0.35, ..., 0.9]`` (stop included)."""
    try:
        start, stop, step = (float(v) for v in spec.split(":"))
    except ValueError:
        raise ValueError(f"invalid sweep {spec!r} (expected START:STOP:STEP, e.g. 0.3:0.9:0.05)") from None
    if not (0 <= start <= stop <= 1 and step > 0):
        raise ValueError(f"invalid sweep {spec!r} (need 0 <= START <= STOP <= 1 and STEP > 0)")
    return [round(float(t), 6) for t in np.arange(start, stop + step / 2, step)]


def evaluate_page(
    pipeline: Any, page: LabeledPage, *, detect_thresh: float | None = None, draw_dir: Path | None = None
) -> PageEval:
    """Score ``pipeline`` on one page.

    The detector runs at ``detect_thresh`` (default: its own ``box_thresh``) so that a sweep
    can filter from there; detection scores use the boxes at the pipeline's ``box_thresh``.
    End to end reuses those boxes (``ocr_image(..., detections=...)``): one detector pass per page
    (more on pages the pipeline finds turned or skewed).
    """
    start = time.perf_counter()
    post = pipeline.detector.postprocess
    box_thresh = post.box_thresh
    if detect_thresh is not None:
        post = replace(post, box_thresh=min(detect_thresh, box_thresh))
    detections = pipeline.detect(page.image, post)
    kept_detections = detections  # the sweep scores all of them, the rest of the page those kept
    if post.box_thresh != box_thresh:
        kept_detections = kept_on_lines(detections, box_thresh, post.line_margin)
    kept = [d.polygon for d in kept_detections]

    gt_polygons = [w.polygon for w in page.words]
    gt_ignore = [w.ignore for w in page.words]
    det = match_detections(kept, gt_polygons, gt_ignore)

    scored = [w for w in page.words if not w.ignore]
    recognized = pipeline.recognizer.recognize([crop_polygon(page.image, w.polygon) for w in scored]) if scored else []
    rec = word_scores([text for text, _ in recognized], [w.text for w in scored])

    result = pipeline.ocr_image(page.image, detections=kept_detections)
    words = [(np.asarray(w.polygon, np.float32), w.text) for w in result.words()]
    e2e = end_to_end(words, [(w.polygon, w.text, w.ignore) for w in page.words])
    reference = reference_text(page)
    text = page_text_errors(result.text, reference)
    gt_words = [Word(w.text, (*w.polygon.min(0), *w.polygon.max(0)), w.polygon.tolist(), 1.0) for w in scored]
    laid_out = " ".join(w.text for b in arrange(gt_words, pipeline.config.layout) for ln in b.lines for w in ln.words)
    order = page_text_errors(laid_out, reference)

    if draw_dir is not None:
        canvas = draw_boxes(page.image, gt_polygons, gt_ignore, kept, {p for p, _ in det.pairs})
        write_png(canvas, draw_dir / f"{page.id.replace('/', '_')}.png")
    return PageEval(
        page.id,
        det.counts,
        rec,
        e2e,
        text,
        order,
        time.perf_counter() - start,
        [d.polygon for d in detections],
        [d.score for d in detections],
        gt_polygons,
        gt_ignore,
    )


def evaluate(
    pipeline: Any,
    pages: Iterable[LabeledPage],
    *,
    total: int | None = None,
    sweep: Sequence[float] | None = None,
    draw_dir: Path | None = None,
    worst: int = 10,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``pipeline`` on ``pages``; returns the report (totals, sweep, worst and per-page scores).

    Totals are micro averages over all words / characters of all pages.
    """
    if draw_dir is not None:
        draw_dir.mkdir(parents=True, exist_ok=True)
    results = [
        evaluate_page(pipeline, page, detect_thresh=min(sweep) if sweep else None, draw_dir=draw_dir)
        for page in tqdm(pages, total=total, desc="eval", unit="page", disable=not progress)
    ]
    detection = sum((r.detection for r in results), Counts())
    recognition = sum((r.recognition for r in results), WordScores(0, 0, 0, TextErrors()))
    e2e = sum((r.end_to_end for r in results), EndToEnd(Counts(), Counts()))
    text = sum((r.text for r in results), TextErrors())
    order = sum((r.order for r in results), TextErrors())
    report: dict[str, Any] = {
        "pages": len(results),
        "iou_thresh": IOU_THRESH,
        "box_thresh": pipeline.detector.postprocess.box_thresh,
        "detection": detection.as_dict(),
        "recognition": recognition.as_dict(),
        "end_to_end": {"exact": e2e.exact.as_dict(), "nocase": e2e.nocase.as_dict()},
        "page_text": _text_dict(text),
        "reading_order": _text_dict(order),
        "seconds": round(sum(r.seconds for r in results), 3),
    }
    if sweep:
        rows = box_thresh_sweep([(r.pred_polygons, r.pred_scores, r.gt_polygons, r.gt_ignore) for r in results], sweep)
        report["box_thresh_sweep"] = [{"box_thresh": t, **c.as_dict()} for t, c in rows]
    ranked = sorted(results, key=lambda r: (-r.text.cer, r.end_to_end.nocase.f1))
    report["worst_pages"] = [
        {
            "id": r.id,
            "page_cer": r.text.cer,
            "detection_f1": r.detection.f1,
            "end_to_end_f1_nocase": r.end_to_end.nocase.f1,
        }
        for r in ranked[:worst]
    ]
    report["per_page"] = [r.as_dict() for r in results]
    return report
