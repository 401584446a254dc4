"""Evaluation plans (parttrack.evaluation.plan): which subjects, from which frame, methods."""

from __future__ import annotations

import pytest

from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import UsageError
from parttrack.evaluation.plan import check_methods, plan_subjects
from tests.evaluation.test_run import H, W


def subj(pid: int, x: float, vis: float = 1.0) -> Subject:
    return Subject(pid, (x, 50.0, 20.0, 60.0), vis, {"head": PartBox((x + 5, 50.0, 10.0, 10.0))})


def test_plan_subjects_rules() -> None:
    anns = {}
    for k in range(15):
        subs = [subj(0, 10.0 + k, vis=0.2 if k < 3 else 1.0)]  # visible from frame 3
        if k < 9:
            subs.append(subj(1, 100.0))  # only 9 frames: too short for "all"
        if k >= 2:
            subs.append(subj(2, -15.0 if k < 6 else 50.0))  # centre outside until frame 6
        anns[k] = FrameAnnotation(k, tuple(subs))
    seq = AnnotatedSequence(SequenceInfo("p", W, H, 25.0, 15), anns, subject_id=1)
    plans = plan_subjects(seq, "all")
    assert [(p.subject_id, p.start, p.end) for p in plans] == [(0, 3, 14), (2, 6, 14)]
    assert plans[0].box == (13.0, 50.0, 20.0, 60.0)
    assert [(p.subject_id, p.start, p.end) for p in plan_subjects(seq, "chosen")] == [(1, 0, 8)]
    assert [(p.start, p.end) for p in plan_subjects(seq, "all", max_frames=4)] == [(3, 7), (6, 10)]
    none = AnnotatedSequence(seq.info, anns, subject_id=None)
    with pytest.raises(UsageError, match="no chosen subject"):
        plan_subjects(none, "chosen")
    with pytest.raises(UsageError, match="'all' or 'chosen'"):
        plan_subjects(seq, "some")  # type: ignore[arg-type]


def test_check_methods() -> None:
    assert check_methods(["product", "top-down", "product"]) == ("product", "top-down")
    with pytest.raises(UsageError, match="unknown method.*'bogus'"):
        check_methods(["product", "bogus"])
    with pytest.raises(UsageError, match="none given"):
        check_methods([])
