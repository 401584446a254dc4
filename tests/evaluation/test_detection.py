import numpy as np
import pytest

from parttrack.evaluation.detection import (
    average_precision,
    match_window,
    pr_curve,
    score_detections,
)


def test_match_window_greedy_by_score_each_truth_once():
    heads = [(0, 0, 10, 10), (8.5, 0, 10, 10)]  # overlapping: x 8.5..10 lies in both
    points = [(9, 5), (5, 5), (9, 5), (100, 100)]
    scores = [0.9, 0.5, 0.4, 0.95]
    # by score: the far point is a FP; (9, 5) lies in both boxes and takes head 0 (centre 4
    # px away, head 1's is 4.5); (5, 5) lies only in head 0, already matched: a FP; the
    # second (9, 5) takes the free head 1
    assert match_window(points, scores, heads).tolist() == [True, False, True, False]


def test_match_window_prefers_nearest_free_centre():
    heads = [(0, 0, 10, 10), (6, 0, 10, 10)]
    assert match_window([(9, 5)], [1.0], heads).tolist() == [True]
    tp = match_window([(9, 5), (3, 5)], [1.0, 0.5], heads)  # (9, 5) takes head 1 (centre 11)
    assert tp.tolist() == [True, True]
    assert match_window([], [], heads).tolist() == []
    with pytest.raises(ValueError, match="2 points but 1 scores"):
        match_window([(0, 0), (1, 1)], [1.0], heads)


def test_pr_curve_and_ap_exact():
    scores = np.array([0.6, 0.9, 0.7, 0.8])
    tp = np.array([False, True, True, False])
    thr, prec, rec = pr_curve(scores, tp, num_true=3)
    assert thr.tolist() == [0.9, 0.8, 0.7, 0.6]
    assert prec == pytest.approx([1, 1 / 2, 2 / 3, 1 / 2])
    assert rec == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])
    # envelope: 1 up to recall 1/3, 2/3 up to recall 2/3, nothing beyond
    assert average_precision(prec, rec) == pytest.approx(1 / 3 + 2 / 9)


def test_pr_curve_equal_scores_enter_together():
    thr, prec, rec = pr_curve(np.array([0.5, 0.5, 0.9]), np.array([False, True, True]), num_true=2)
    assert thr.tolist() == [0.9, 0.5]
    assert prec == pytest.approx([1, 2 / 3]) and rec == pytest.approx([0.5, 1])
    assert average_precision(prec, rec) == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_score_detections_best_f1_and_strays():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    tp = np.array([True, False, True, False])
    s = score_detections(scores, tp, num_true=3, windows=4)
    # F1 per threshold: 0.5, 0.4, 2/3 (P 2/3, R 2/3), 4/7 -> best at 0.7, one FP over 4 windows
    assert (s.threshold, s.detections, s.truths, s.windows) == (0.7, 4, 3, 4)
    assert (s.recall, s.precision, s.best_f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert s.strays == pytest.approx(0.25)
    assert s.ap == pytest.approx(1 / 3 + 2 / 9)


def test_score_detections_empty():
    s = score_detections(np.zeros(0), np.zeros(0, bool), num_true=5, windows=2)
    assert (s.ap, s.recall, s.detections) == (0.0, 0.0, 0)
    assert average_precision(np.zeros(0), np.zeros(0)) == 0.0
