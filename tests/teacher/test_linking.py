import numpy as np
import pytest

from parttrack.teacher.linking import LinkParams, associate, link


def test_associate_hungarian_with_gate():
    iou = np.array([[0.8, 0.1], [0.2, 0.6], [0.0, 0.0]])
    assert associate(iou, 0.3, 0.15) == ([(0, 0), (1, 1)], set())
    pairs, amb = associate(np.array([[0.2]]), 0.3, 0.15)
    assert pairs == [] and amb == set()


def test_associate_flags_close_rivals():
    # person 0 fits track 0 (0.7) and track 1 (0.6); track 1 fits person 0 better than 1 (0.5)
    iou = np.array([[0.7, 0.0], [0.6, 0.5]])
    assert associate(iou, 0.3, 0.15) == ([], {0, 1})
    assert associate(iou, 0.3, 0.05) == ([(0, 0)], {1})


def walk(x0: float, dx: float, n: int) -> list[np.ndarray]:
    return [np.array([x0 + dx * t, 0, x0 + dx * t + 20, 60], float) for t in range(n)]


def test_link_two_people_apart():
    a, b = walk(0, 2, 6), walk(100, -2, 6)
    boxes = [np.stack([a[t], b[t]]) if t % 2 == 0 else np.stack([b[t], a[t]]) for t in range(6)]
    scores = [np.array([0.9, 0.8])] * 6
    segs = link(list(range(10, 16)), boxes, scores, LinkParams(min_length=3))
    assert [s.id for s in segs] == [1, 2]
    # identity 1 is the person starting at x=0: index 0 on even frames, 1 on odd ones
    assert segs[0].frames == {10: 0, 11: 1, 12: 0, 13: 1, 14: 0, 15: 1}
    assert segs[0].mean_score == pytest.approx(0.85)


def test_link_cuts_when_two_people_merge_and_drops_short_segments():
    # two people walk into each other: from frame 3 the boxes coincide -> ambiguous
    a = walk(0, 10, 6)
    b = walk(60, -10, 6)
    boxes = [np.stack([a[t], b[t]]) for t in range(6)]
    boxes[3] = np.stack([np.array([30, 0, 50, 60.0]), np.array([31, 0, 51, 60.0])])
    scores = [np.array([0.9, 0.9])] * 6
    segs = link(list(range(6)), boxes, scores, LinkParams(min_length=1))
    for s in segs:  # no kept identity spans the crossing
        assert not (min(s.frames) < 3 < max(s.frames))
    assert link(list(range(6)), boxes, scores, LinkParams(min_length=4)) == []


def test_link_gap_and_low_score():
    boxes = [np.array([[0, 0, 20, 60.0]]), np.zeros((0, 4)), np.array([[1, 0, 21, 60.0]])]
    scores = [np.array([0.9]), np.zeros(0), np.array([0.9])]
    assert [s.frames for s in link([0, 1, 2], boxes, scores, LinkParams(min_length=2, max_gap=1))] == [{0: 0, 2: 0}]
    assert len(link([0, 1, 2], boxes, scores, LinkParams(min_length=1, max_gap=0))) == 2
    assert link([0, 1, 2], boxes, [s * 0.2 for s in scores], LinkParams(min_length=1)) == []
