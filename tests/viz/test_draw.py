"""Drawing helpers: exact pixels of drawn boxes, contact-sheet layout, bad input."""

import numpy as np
import pytest

from parttrack.data.types import FrameAnnotation, PartBox, Subject
from parttrack.viz.draw import (
    HIDDEN_COLOR,
    PART_COLORS,
    SUBJECT_COLOR,
    contact_sheet,
    draw_annotations,
    id_color,
)


def _frame() -> FrameAnnotation:
    chosen = Subject(1, (10, 10, 20, 30), 1.0, {"head": PartBox((14, 12, 8, 6), True), "eye": None})
    other = Subject(2, (40, 5, 10, 40), 0.5, {"head": PartBox((41, 6, 8, 8), False)})
    return FrameAnnotation(0, (chosen, other))


def test_subject_box_green_two_pixels_others_by_id() -> None:
    img = np.zeros((60, 60, 3), np.uint8)
    out = draw_annotations(img, _frame(), subject_id=1, labels=False)
    assert img.sum() == 0  # input untouched
    assert tuple(out[20, 10]) == SUBJECT_COLOR and tuple(out[20, 11]) == SUBJECT_COLOR  # 2 px thick
    assert tuple(out[20, 12]) == (0, 0, 0)  # inside stays clear
    assert tuple(out[39, 20]) == SUBJECT_COLOR  # bottom edge = row ceil(y + h) - 1
    assert tuple(out[25, 40]) == id_color(2)
    assert tuple(out[25, 41]) == (0, 0, 0)  # 1 px thick


def test_part_boxes_visible_solid_hidden_dashed_absent_skipped() -> None:
    img = np.zeros((60, 60, 3), np.uint8)
    out = draw_annotations(img, _frame(), subject_id=1, labels=False)
    assert tuple(out[12, 18]) == PART_COLORS["head"]  # top edge of the visible head box
    hidden_edge = [tuple(out[6, x]) for x in range(42, 48)]  # top edge of the hidden head box
    assert HIDDEN_COLOR in hidden_edge and (0, 0, 0) in hidden_edge  # dashed
    assert not np.any(np.all(out == PART_COLORS["eye"], axis=2))  # eye None: nothing drawn


def test_no_subject_chosen_and_grayscale_input() -> None:
    out = draw_annotations(np.zeros((60, 60), np.uint8), _frame(), labels=False)
    assert out.shape == (60, 60, 3)
    assert tuple(out[20, 10]) == id_color(1)
    assert not np.any(np.all(out == SUBJECT_COLOR, axis=2))


def test_draw_rejects_bad_images() -> None:
    with pytest.raises(ValueError, match="uint8"):
        draw_annotations(np.zeros((5, 5, 3), np.float32), FrameAnnotation(0))
    with pytest.raises(ValueError, match="shape|\\(H, W"):
        draw_annotations(np.zeros((5, 5, 4), np.uint8), FrameAnnotation(0))


@pytest.mark.parametrize(
    ("n", "cols", "labels", "shape"),
    [
        (5, 2, False, (3 * (10 + 2) + 2, 2 * (20 + 2) + 2, 3)),
        (5, 2, True, (3 * (10 + 14 + 2) + 2, 2 * (20 + 2) + 2, 3)),
        (1, 4, False, (10 + 2 + 2, 20 + 2 + 2, 3)),  # fewer images than columns
        (4, 4, False, (10 + 2 + 2, 4 * (20 + 2) + 2, 3)),
    ],
)
def test_contact_sheet_layout(n: int, cols: int, labels: bool, shape: tuple[int, int, int]) -> None:
    images = [np.full((10, 20, 3), 10 * (k + 1), np.uint8) for k in range(n)]
    sheet = contact_sheet(images, cols, [f"#{k}" for k in range(n)] if labels else None)
    assert sheet.shape == shape
    band = 14 if labels else 0
    for k in range(n):
        r, c = divmod(k, min(cols, n))
        y, x = 2 + r * (10 + band + 2) + band, 2 + c * (20 + 2)
        assert np.all(sheet[y : y + 10, x : x + 20] == 10 * (k + 1))


def test_contact_sheet_resizes_to_first_and_takes_gray() -> None:
    sheet = contact_sheet([np.zeros((10, 20, 3), np.uint8), np.full((20, 40), 200, np.uint8)], 2)
    assert sheet.shape == (14, 46, 3)
    assert np.all(sheet[2:12, 24:44] == 200)


@pytest.mark.parametrize(
    ("images", "cols", "labels", "match"),
    [
        ([], 2, None, "at least one"),
        ([np.zeros((4, 4, 3), np.uint8)], 0, None, "cols"),
        ([np.zeros((4, 4, 3), np.uint8)], 1, ["a", "b"], "labels"),
    ],
)
def test_contact_sheet_errors(images, cols, labels, match) -> None:
    with pytest.raises(ValueError, match=match):
        contact_sheet(images, cols, labels)
