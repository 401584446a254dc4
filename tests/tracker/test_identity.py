"""The identity state machine on planted candidate streams (no network)."""

import numpy as np
import pytest

from parttrack.tracker.identity import IdentityTracker


def _run(tracker, frames, appearance=None):
    out = []
    for cands in frames:
        tracker.predict()
        app = None if appearance is None else appearance(cands)
        out.append(tracker.step(np.array(cands, dtype=float).reshape(-1, 5), app))
    return out


def _cand(x, y=200.0, h=100.0, score=0.9):
    return [x, y, 0.4 * h, h, score]


def test_two_identical_people_crossing_keep_their_identity():
    # A walks right from x=100, B left from x=400, 5 px/frame; while within 30 px of each other
    # the network sees one merged peak between them. The subject is A.
    t = IdentityTracker()
    t.reset((100 - 20, 150, 40, 100))
    frames = []
    for k in range(1, 61):
        a, b = 100 + 5 * k, 400 - 5 * k
        frames.append([_cand((a + b) / 2)] if abs(a - b) < 30 else [_cand(a), _cand(b)])
    out = _run(t, frames)
    for k, d in enumerate(out, start=1):
        a, b = 100 + 5 * k, 400 - 5 * k
        if abs(a - b) >= 30:
            assert d.present, k
        if d.present:  # never on B: within 20 px of A (the merged peak is 15 px from A)
            assert abs(d.box[0] + d.box[2] / 2 - a) <= 20, k
    # after the crossing the subject is on A's side (x = 400), not B's (x = 100)
    assert abs(out[-1].box[0] + out[-1].box[2] / 2 - 400) < 15


def test_hidden_subject_is_absent_then_refound():
    t = IdentityTracker()
    t.reset((180, 150, 40, 100))
    frames = [[_cand(200)]] * 5 + [[]] * 10 + [[_cand(200)]] * 5
    out = _run(t, frames)
    assert [d.present for d in out] == [True] * 5 + [False] * 10 + [True] * 5
    assert all(d.index is None and d.presence == 0.0 for d in out[5:15])


def test_known_distractor_is_not_taken_while_subject_hidden():
    # subject at x=200 vanishes; a distractor standing at x=260 (inside the gate) stays.
    t = IdentityTracker(switch_frames=8)
    t.reset((180, 150, 40, 100))
    frames = [[_cand(200), _cand(260)]] * 5 + [[_cand(260)]] * 6
    out = _run(t, frames)
    assert all(not d.present for d in out[5:])


def test_distractor_taken_back_after_switch_frames_only_if_appearance_matches():
    def run(sim):
        t = IdentityTracker(switch_frames=4)
        t.reset((180, 150, 40, 100))
        frames = [[_cand(200), _cand(240)]] * 3 + [[_cand(240)]] * 6
        return _run(t, frames, lambda c: np.full(len(c), sim))

    same, other = run(0.9), run(0.1)
    assert [d.present for d in same[3:]] == [False] * 3 + [True] * 3
    assert same[6].switched
    assert not any(d.present for d in other[3:])


def test_low_score_candidate_is_not_the_subject():
    t = IdentityTracker(present_threshold=0.3)
    t.reset((180, 150, 40, 100))
    out = _run(t, [[_cand(200, score=0.25)]])
    assert not out[0].present


def test_rival_flag_when_another_candidate_is_within_a_width():
    t = IdentityTracker()
    t.reset((180, 150, 40, 100))
    out = _run(t, [[_cand(200), _cand(230)], [_cand(200), _cand(400)]])
    assert out[0].rival and not out[1].rival


def test_camera_shift_moves_the_prediction():
    t = IdentityTracker()
    t.reset((180, 150, 40, 100))
    box = t.predict((60.0, 0.0))
    assert box[0] == pytest.approx(240.0)
    assert t.step(np.array([_cand(260)])).present


@pytest.mark.parametrize(
    "kw", [{"present_threshold": 0.5, "refind_threshold": 0.4}, {"switch_frames": -1}, {"coast_damping": 2.0}]
)
def test_bad_arguments_raise(kw):
    with pytest.raises(ValueError):
        IdentityTracker(**kw)


def test_reset_rejects_empty_box():
    with pytest.raises(ValueError, match="positive size"):
        IdentityTracker().reset((0, 0, 0, 10))


def test_size_rate_pulls_the_measured_scale_towards_the_estimate():
    # the network's size is a partial correction anchored to the search scale, so a smaller
    # height moves the scale only by size_rate x score of the way (size_rate 0: not at all)
    def scale_after(rate):
        t = IdentityTracker(size_rate=rate)
        t.reset((180, 150, 40, 100))
        _run(t, [[_cand(200, h=60.0, score=1.0)]])
        return t.subject.mean[2]

    assert scale_after(0.0) == pytest.approx(100.0, abs=1e-9)
    assert 92.0 <= scale_after(0.2) < 100.0
    assert scale_after(1.0) < 92.0


def test_refind_grace_keeps_the_presence_threshold_for_a_short_dropout():
    # one frame without a peak, then the subject back at score 0.3 (between the presence
    # threshold 0.2 and the re-find threshold 0.4)
    def present(grace):
        t = IdentityTracker(refind_grace=grace)
        t.reset((180, 150, 40, 100))
        out = _run(t, [[_cand(200)], [], [_cand(200, score=0.3)]])
        return [d.present for d in out]

    assert present(2) == [True, False, True]
    assert present(0) == [True, False, False]
