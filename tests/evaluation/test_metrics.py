"""Exact tests of parttrack.evaluation.metrics on hand-made frames."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.evaluation.metrics import (
    OTB_THRESHOLDS,
    box_iou,
    frame_proximity,
    part_outcomes,
    proximity_bucket,
    record_dict,
    subject_outcomes,
    success_curve,
    summarize,
    summarize_parts,
    summarize_subject,
)


def person(pid: int, head_xy: tuple[float, float], head: bool | None = True, visible: bool = True) -> Subject:
    """A person whose 10x10 head box has its top-left at ``head_xy``; body 30x80 below it."""
    hx, hy = head_xy
    parts: dict[str, PartBox | None] = {}
    if head is True:
        parts["head"] = PartBox((hx, hy, 10.0, 10.0), visible)
    elif head is None:
        parts["head"] = None
    return Subject(pid, (hx - 10.0, hy, 30.0, 80.0), 1.0, parts)


def seq(*frames: tuple[Subject, ...]) -> AnnotatedSequence:
    info = SequenceInfo("hand", 400, 300, 25.0, len(frames), None, ("head",))
    return AnnotatedSequence(info, {k: FrameAnnotation(k, s) for k, s in enumerate(frames)})


# subject 1 head at (100..110, 50..60), centre (105, 55); person 2 head 15 px to the right.
CLOSE = seq(
    (person(1, (100, 50)), person(2, (115, 50))),  # proximity 1.5 -> "1-2"
    (person(1, (100, 50)), person(2, (108, 50))),  # 0.8 -> "<1" (boxes overlap)
    (person(1, (100, 50)), person(2, (130, 90))),  # 5.0 -> ">4"
    (person(1, (100, 50)),),  # nobody else -> "none"
    (person(1, (100, 50), head=None), person(2, (115, 50))),  # annotated absent: not scored
    (person(1, (100, 50), head=False), person(2, (115, 50))),  # not annotated: not scored
    (person(2, (115, 50)),),  # subject not annotated: not scored
)


@pytest.mark.parametrize(
    ("p", "bucket"),
    [(None, "none"), (0.0, "<1"), (0.999, "<1"), (1.0, "1-2"), (1.99, "1-2"), (2.0, "2-4"),
     (3.99, "2-4"), (4.0, ">4"), (100.0, ">4")],
)
def test_proximity_bucket_edges(p: float | None, bucket: str) -> None:
    assert proximity_bucket(p) == bucket


@pytest.mark.parametrize("bad", [-0.1, math.nan])
def test_proximity_bucket_rejects_bad(bad: float) -> None:
    with pytest.raises(ValueError, match="proximity"):
        proximity_bucket(bad)


def test_frame_proximity_exact() -> None:
    assert frame_proximity(CLOSE, 0, 1, "head") == pytest.approx(1.5)
    assert frame_proximity(CLOSE, 1, 1, "head") == pytest.approx(0.8)
    assert frame_proximity(CLOSE, 2, 1, "head") == pytest.approx(5.0)  # 3-4-5 triangle x10
    assert frame_proximity(CLOSE, 3, 1, "head") is None
    assert frame_proximity(CLOSE, 4, 1, "head") is None
    assert frame_proximity(CLOSE, 99, 1, "head") is None


def test_part_outcomes_hit_hijack_miss_and_skips() -> None:
    preds = {
        0: (105.0, 55.0),  # own centre: hit, error 0
        1: (117.0, 55.0),  # outside own (100..110) but inside other's (108..118): hijack
        2: (110.0, 60.0),  # own box corner (edges count): hit
        3: (105.0, 75.0),  # nowhere: miss, error 2.0
        4: (105.0, 55.0),
        5: (105.0, 55.0),
        6: (120.0, 55.0),
    }
    recs = part_outcomes(preds, CLOSE, 1, "head")
    assert [r.frame for r in recs] == [0, 1, 2, 3]
    assert [r.outcome for r in recs] == ["hit", "hijack", "hit", "miss"]
    assert [r.bucket for r in recs] == ["1-2", "<1", ">4", "none"]
    assert recs[0].error == 0.0
    assert recs[1].error == pytest.approx(1.2)
    assert recs[2].error == pytest.approx(math.hypot(5, 5) / 10)
    assert recs[3].error == pytest.approx(2.0)
    assert all(r.predicted for r in recs)


def test_part_outcomes_no_prediction_is_miss_and_only_filters() -> None:
    recs = part_outcomes({0: None}, CLOSE, 1, "head", only={0, 1})
    assert [(r.frame, r.outcome, r.predicted, r.error) for r in recs] == [
        (0, "miss", False, None),
        (1, "miss", False, None),  # frame missing from the mapping
    ]


def test_part_outcomes_occluded_part_is_scored_and_flagged() -> None:
    s = seq((person(1, (100, 50), visible=False), person(2, (200, 50))))
    (r,) = part_outcomes({0: (101.0, 51.0)}, s, 1, "head")
    assert r.outcome == "hit" and r.visible is False and r.bucket == ">4"


def test_part_outcomes_empty_inputs() -> None:
    empty = AnnotatedSequence(SequenceInfo("e", 10, 10, 1.0, 0), {})
    assert part_outcomes({}, empty, 1, "head") == []
    assert part_outcomes({0: (1.0, 1.0)}, CLOSE, 42, "head") == []  # unknown subject
    assert part_outcomes({0: (1.0, 1.0)}, CLOSE, 1, "eye") == []  # part never annotated


def test_summarize_parts_exact() -> None:
    preds = {0: (105.0, 55.0), 1: (117.0, 55.0), 2: (110.0, 60.0)}  # frame 3: no prediction
    s = summarize_parts(part_outcomes(preds, CLOSE, 1, "head"))
    assert s["frames"] == 4
    assert (s["hits"], s["hijacks"], s["misses"], s["no_prediction"]) == (2, 1, 1, 1)
    assert s["hit_rate"] == 0.5 and s["hijack_rate"] == 0.25 and s["miss_rate"] == 0.25
    assert s["pck@0.5"] == 0.25  # errors 0, 1.2, 0.707 (<= 0.5: one); frame 3 none
    assert s["mean_error"] == pytest.approx((0 + 1.2 + math.sqrt(50) / 10) / 3)
    assert s["median_error"] == pytest.approx(math.sqrt(50) / 10)


def test_summarize_parts_empty() -> None:
    s = summarize_parts([])
    assert s["frames"] == 0 and s["hits"] == 0
    assert s["hit_rate"] is None and s["pck@0.5"] is None and s["mean_error"] is None


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
        ((0, 0, 10, 10), (5, 0, 10, 10), 50 / 150),
        ((0, 0, 10, 10), (10, 0, 10, 10), 0.0),  # touching edges
        ((0, 0, 10, 10), (2, 2, 4, 4), 16 / 100),  # contained
        ((0, 0, 10, 10), None, 0.0),
        ((0, 0, 0, 10), (0, 0, 10, 10), 0.0),  # degenerate predicted box
    ],
)
def test_box_iou(a, b, iou) -> None:
    assert box_iou(a, b) == pytest.approx(iou)
    assert box_iou(b, a) == pytest.approx(iou)


def test_success_curve_follows_otb() -> None:
    assert OTB_THRESHOLDS.shape == (21,)
    c = success_curve([1.0, 0.5, 0.0])
    # thresholds 0, .05, ..., 1; IoU > t: t=0 -> 2/3; t in [0.05, 0.45] -> 2/3; t >= 0.5 -> 1/3; t=1 -> 0
    expected = np.array([2 / 3] * 10 + [1 / 3] * 10 + [0.0])
    np.testing.assert_allclose(c, expected)
    assert np.isnan(success_curve([])).all()


def test_subject_outcomes_and_summary_exact() -> None:
    s = CLOSE  # subject 1 body box (90, 50, 30, 80), centre (105, 90)
    preds = {
        0: (90.0, 50.0, 30.0, 80.0),  # perfect
        1: (105.0, 50.0, 30.0, 80.0),  # shifted 15 px: IoU 15*80/(2*2400-1200) = 1/3
        2: (90.0, 80.0, 30.0, 80.0),  # shifted 30 px down: IoU 50/110
        3: (90.0, 50.0, 30.0, 80.0),  # reported lost below
        5: None,
    }
    recs = subject_outcomes(preds, s, 1, lost={3}, only={0, 1, 2, 3, 4, 5, 6}, part="head")
    assert [r.frame for r in recs] == [0, 1, 2, 3, 4, 5]  # frame 6: subject not annotated
    assert [r.iou for r in recs] == pytest.approx([1.0, 1 / 3, 50 / 110, 0.0, 0.0, 0.0])
    assert [r.center_error for r in recs[:3]] == pytest.approx([0.0, 15.0, 30.0])
    assert all(math.isinf(r.center_error) for r in recs[3:])
    assert [r.lost for r in recs] == [False, False, False, True, True, True]
    assert [r.bucket for r in recs] == ["1-2", "<1", ">4", "none", None, None]
    sm = summarize_subject(recs)
    assert sm["frames"] == 6 and sm["lost_frames"] == 3
    assert sm["precision@20"] == pytest.approx(2 / 6)
    assert sm["mean_iou"] == pytest.approx((1 + 1 / 3 + 50 / 110) / 6)
    assert sm["success_auc"] == pytest.approx(float(success_curve([r.iou for r in recs]).mean()))
    assert record_dict(recs[3])["center_error"] is None


def test_summarize_subject_empty() -> None:
    sm = summarize_subject([])
    assert sm == {"frames": 0, "lost_frames": 0, "success_auc": None, "precision@20": None,
                  "norm_precision@0.2": None, "mean_iou": None, "id_switches": 0,
                  "id_switches_per_1000": None, "hidden_frames": 0, "absence_recall": None,
                  "absence_precision": None, "success_curve": None}


def test_identity_switches_absence_and_normalised_precision() -> None:
    from parttrack.data.types import AnnotatedSequence, FrameAnnotation, SequenceInfo, Subject
    from parttrack.evaluation.metrics import identity_switches, subject_outcomes

    a = lambda x, vis=1.0: Subject(1, (x, 0.0, 10.0, 20.0), vis)  # noqa: E731
    b = lambda x: Subject(2, (x, 0.0, 10.0, 20.0))  # noqa: E731
    frames = {0: (a(0), b(50)), 1: (a(0), b(50)), 2: (a(0, 0.0), b(50)), 3: (a(0), b(50)), 4: (a(0), b(50))}
    seq = AnnotatedSequence(SequenceInfo("s", 100, 100, 25.0, 5), {k: FrameAnnotation(k, v) for k, v in frames.items()})
    # frame 0 on the subject, 1 on person 2 (switch), 2 lost while hidden, 3 on nobody, 4 back (switch)
    preds = {0: (1.0, 0.0, 10.0, 20.0), 1: (50.0, 0.0, 10.0, 20.0), 2: None, 3: (80.0, 80.0, 5.0, 5.0),
             4: (0.0, 0.0, 10.0, 20.0)}
    recs = subject_outcomes(preds, seq, 1)
    assert [r.identity for r in recs] == [1, 2, None, None, 1]
    assert identity_switches(recs) == 2
    sm = summarize_subject(recs)
    assert sm["id_switches"] == 2 and sm["id_switches_per_1000"] == 400.0
    assert sm["hidden_frames"] == 1 and sm["absence_recall"] == 1.0 and sm["absence_precision"] == 1.0
    assert sm["norm_precision@0.2"] == 2 / 5  # frames 0 (0.1 widths off) and 4
    assert identity_switches(recs + recs) == 4  # a second run counts on its own, no switch between


def test_summarize_by_bucket() -> None:
    preds = {0: (105.0, 55.0), 1: (117.0, 55.0), 2: (110.0, 60.0)}
    parts = part_outcomes(preds, CLOSE, 1, "head")
    subs = subject_outcomes({k: (90.0, 50.0, 30.0, 80.0) for k in range(7)}, CLOSE, 1, part="head")
    s = summarize(parts, subs)
    assert set(s["by_bucket"]) == {"<1", "1-2", "2-4", ">4", "none"}
    assert s["by_bucket"]["<1"]["part"]["hijack_rate"] == 1.0
    assert s["by_bucket"]["1-2"]["part"]["hit_rate"] == 1.0
    assert s["by_bucket"]["none"]["part"]["hit_rate"] == 0.0
    assert s["by_bucket"]["2-4"]["part"]["frames"] == 0
    assert s["by_bucket"]["2-4"]["part"]["hit_rate"] is None
    assert s["by_bucket"]["<1"]["subject"]["success_auc"] == pytest.approx(20 / 21)
    assert s["part"]["frames"] == 4 and s["subject"]["frames"] == 6
