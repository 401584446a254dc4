"""Annotation records: validation, lookups and the part-annotation semantics."""

from __future__ import annotations

import math

import pytest

from parttrack.data.types import (
    AnnotatedSequence,
    FrameAnnotation,
    PartBox,
    SequenceInfo,
    Subject,
    box_center,
    box_contains,
    check_box,
)


def test_check_box_converts_to_float_tuple() -> None:
    out = check_box([1, 2, 3, 4])  # type: ignore[arg-type]
    assert out == (1.0, 2.0, 3.0, 4.0) and isinstance(out, tuple) and all(type(v) is float for v in out)
    assert check_box((-5.5, -1.0, 0.25, 1e-3)) == (-5.5, -1.0, 0.25, 1e-3)  # outside the frame is fine


@pytest.mark.parametrize(
    ("box", "match"),
    [
        ((1, 2, 3), "4 values"),
        ((1, 2, 3, 4, 5), "4 values"),
        ((math.nan, 0, 1, 1), "non-finite"),
        ((0, 0, math.inf, 1), "non-finite"),
        ((0, 0, 0, 1), "positive width and height"),
        ((0, 0, 1, -2), "positive width and height"),
    ],
)
def test_check_box_rejects(box: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_box(box, "my box")
    with pytest.raises(ValueError, match="my box"):
        check_box(box, "my box")


def test_center_and_contains() -> None:
    assert box_center((10.0, 20.0, 4.0, 6.0)) == (12.0, 23.0)
    box = (0.0, 0.0, 2.0, 2.0)
    assert box_contains(box, (0.0, 2.0)) and box_contains(box, (1.0, 1.0))  # edges included
    assert not box_contains(box, (2.0001, 1.0)) and not box_contains(box, (1.0, -0.1))


def test_part_box() -> None:
    p = PartBox([1, 2, 3, 4])  # type: ignore[arg-type]
    assert p.box == (1.0, 2.0, 3.0, 4.0) and p.visible
    with pytest.raises(ValueError, match="part box"):
        PartBox((0, 0, 0, 1))


@pytest.mark.parametrize("vis", [-0.01, 1.01, math.nan])
def test_subject_visibility_range(vis: float) -> None:
    with pytest.raises(ValueError, match="visibility"):
        Subject(1, (0, 0, 1, 1), vis)


def test_subject_box_checked_and_named() -> None:
    with pytest.raises(ValueError, match="subject 4 box"):
        Subject(4, (0, 0, 1, 0))


def test_part_semantics() -> None:
    head = PartBox((1, 1, 2, 2), visible=False)
    s = Subject(1, (0, 0, 10, 10), 1.0, {"head": head, "eye": None})
    assert s.part("head") == head  # occluded but located
    assert s.part("eye") is None and "eye" in s.parts  # annotated absent
    assert s.part("hand") is None and "hand" not in s.parts  # not annotated


def test_frame_annotation() -> None:
    a, b = Subject(1, (0, 0, 1, 1)), Subject(2, (5, 5, 1, 1))
    fa = FrameAnnotation(3, (a, b))
    assert fa.get(2) == b and fa.get(9) is None
    with pytest.raises(ValueError, match="frame 3 has duplicate subject ids"):
        FrameAnnotation(3, (a, Subject(1, (2, 2, 1, 1))))


def test_sequence_order_tracks_and_ids() -> None:
    info = SequenceInfo("s", 100, 50, 25.0, 10)
    s1 = [Subject(1, (i, 0, 1, 1)) for i in range(3)]
    frames = {
        7: FrameAnnotation(7, (s1[2],)),
        2: FrameAnnotation(2, (s1[0], Subject(5, (0, 0, 1, 1)))),
        4: FrameAnnotation(4, ()),
        5: FrameAnnotation(5, (s1[1],)),
    }
    seq = AnnotatedSequence(info, frames, subject_id=1)
    assert [f.frame for f in seq] == [2, 4, 5, 7]
    assert seq.track_of(1) == {2: s1[0], 5: s1[1], 7: s1[2]}
    assert seq.track_of(9) == {}
    assert seq.subject_ids() == [1, 5]
    assert seq.info.source is None and seq.info.part_names == ()
