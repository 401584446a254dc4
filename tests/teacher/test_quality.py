import pytest

from parttrack.teacher.quality import (
    FrameScore,
    head_from_body,
    inside,
    match_heads,
    score_frame,
    summarize,
)


def test_head_from_body():
    assert head_from_body((100, 50, 60, 200)) == pytest.approx((100, 50, 60, 40))


def test_inside_enlarged():
    assert inside((14, 5), (0, 0, 10, 10), 1.5) is False
    assert inside((12.5, 5), (0, 0, 10, 10), 1.5) is True


def test_match_heads_one_to_one_nearest():
    heads = [(0, 0, 10, 10), (10, 0, 10, 10)]
    points = [(9, 5), (6, 5), (50, 50)]  # both near head 0; (9, 5) also admissible for head 1
    assert sorted(match_heads(points, heads)) == [(0, 1), (1, 0)]
    assert match_heads([], heads) == []


def test_score_frame_counts_strays_and_extras():
    heads = [(0, 0, 10, 10)]
    bodies = [(0, 0, 10, 60)]
    points = [(5, 6), (5, 30), (100, 100)]  # hit (error 0.1), extra inside the body, stray
    s = score_frame(points, heads, bodies)
    assert (s.true, s.hits, s.teacher, s.strays, s.extra) == (1, 1, 3, 1, 1)
    assert s.errors == pytest.approx((0.1,))


def test_summarize():
    q = summarize([FrameScore(4, 3, 4, 1, 0, (0.1, 0.2, 0.3)), FrameScore(2, 1, 1, 0, 0, (0.5,))])
    assert (q.true, q.hits, q.recall, q.stray_rate) == (6, 4, pytest.approx(4 / 6), pytest.approx(0.2))
    assert q.median_error == pytest.approx(0.25) and q.mean_error == pytest.approx(0.275)
