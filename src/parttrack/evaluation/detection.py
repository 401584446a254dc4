"""Part detector accuracy: average precision of head points against true head boxes.

Protocol (issue 13, "head AP at 0.5 head-box IoU (or hit within the head box)"; the
hit-within-the-box form, since the detector's output used by the tracker is a point):

* per search window, the detections are points ``(x, y)`` with a score; the truths are the
  true head boxes whose centre lies in the window;
* detections are matched greedily, best score first: one is a true positive when its point
  lies inside a true head box not matched yet (of several such boxes, the one whose centre
  is nearest the point; each truth is matched once), else a false positive;
* detections and truths of all windows are pooled; **AP** is the area under the
  precision-recall curve with PASCAL VOC's all-points interpolation (Everingham et al., "The
  PASCAL Visual Object Classes Challenge 2010 development kit", sec. 3.4.1: precision at
  recall r is the highest precision at any recall >= r); detections with equal scores enter
  the curve together.
* at the threshold of the best F1 the summary also gives recall, precision and **strays**
  (false positives per window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from parttrack.data.types import BoxXYWH


def match_window(
    points: Sequence[tuple[float, float]], scores: Sequence[float], heads: Sequence[BoxXYWH]
) -> np.ndarray:
    """Greedy matching of one window's detections to its true head boxes.

    Args:
        points: detected head points ``(x, y)`` image px.
        scores: their scores (same length).
        heads: true head boxes ``(x, y, w, h)`` image px (edges count as inside).

    Returns:
        ``(N,)`` bool, in the order of ``points``: True where the detection is a true positive.

    Raises:
        ValueError: ``points`` and ``scores`` differ in length.
    """
    if len(points) != len(scores):
        raise ValueError(f"{len(points)} points but {len(scores)} scores")
    tp = np.zeros(len(points), dtype=bool)
    free = np.ones(len(heads), dtype=bool)
    boxes = np.asarray(heads, dtype=np.float64).reshape(-1, 4)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"):
        x, y = points[i]
        hit = free & (boxes[:, 0] <= x) & (x <= boxes[:, 0] + boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 1] + boxes[:, 3])
        if hit.any():
            cand = np.flatnonzero(hit)
            j = cand[np.argmin(np.hypot(centres[cand, 0] - x, centres[cand, 1] - y))]
            free[j] = False
            tp[i] = True
    return tp


def pr_curve(scores: np.ndarray, tp: np.ndarray, num_true: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall at each distinct score threshold, highest threshold first.

    Args:
        scores: ``(N,)`` pooled detection scores; tp: ``(N,)`` bool true positives.
        num_true: number of truths (positives) pooled.

    Returns:
        ``(thresholds, precision, recall)``, each ``(M,)``, ``M`` = distinct scores: keeping
        every detection scoring ``>= thresholds[m]`` gives ``precision[m]``, ``recall[m]``
        (recall 0 when ``num_true`` is 0).
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    tp = np.asarray(tp, dtype=bool).reshape(-1)
    if scores.shape != tp.shape:
        raise ValueError(f"scores {scores.shape} and tp {tp.shape} differ in shape")
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], tp[order]
    ctp = np.cumsum(t)
    cfp = np.cumsum(~t)
    if len(s) == 0:
        return s, np.zeros(0), np.zeros(0)
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))  # the last of each run of equal scores
    precision = ctp[last] / np.maximum(ctp[last] + cfp[last], 1)
    recall = ctp[last] / num_true if num_true else np.zeros(len(last))
    return s[last], precision, recall


def average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """VOC all-points interpolated AP of a precision-recall curve (recall ascending, as
    :func:`pr_curve` gives it): the sum over recall steps of the step times the highest
    precision at that recall or above. 0 for an empty curve."""
    if len(recall) == 0:
        return 0.0
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


@dataclass(frozen=True)
class DetectionScore:
    """Pooled detector accuracy of one sequence.

    Attributes:
        windows: search windows scored; truths: true heads counted (a head in two windows
            counts twice); detections: head peaks found (at or above the lowest threshold).
        ap: average precision (VOC all-points), in [0, 1].
        best_f1: the highest F1 over thresholds; threshold: the score threshold giving it.
        recall, precision: at that threshold.
        strays: false positives per window at that threshold.
    """

    windows: int
    truths: int
    detections: int
    ap: float
    best_f1: float
    threshold: float
    recall: float
    precision: float
    strays: float


def score_detections(scores: np.ndarray, tp: np.ndarray, num_true: int, windows: int) -> DetectionScore:
    """The :class:`DetectionScore` of pooled detections (``scores``, ``tp`` from
    :func:`match_window` over ``windows`` windows holding ``num_true`` truths)."""
    thr, prec, rec = pr_curve(scores, tp, num_true)
    ap = average_precision(prec, rec)
    if len(thr) == 0:
        return DetectionScore(windows, num_true, 0, 0.0, 0.0, float("nan"), 0.0, 0.0, 0.0)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    m = int(np.argmax(f1))
    kept = np.asarray(scores) >= thr[m]
    fp = int(np.sum(kept & ~np.asarray(tp, dtype=bool)))
    return DetectionScore(
        windows, num_true, len(scores), ap, float(f1[m]), float(thr[m]), float(rec[m]), float(prec[m]),
        fp / max(windows, 1),
    )
