"""Training targets of one search crop (parttrack.training.targets): exact peaks, sizes,
offsets, the subject-only product target and its masks."""

import numpy as np
import pytest

from parttrack import maps
from parttrack.data.types import FrameAnnotation
from parttrack.training.config import SampleConfig
from parttrack.training.targets import make_targets
from tests.training.test_samples import CFG, SC, WIN, person, seq_of  # noqa: F401


def test_part_targets_exact_peak_size_offset():
    fa = FrameAnnotation(0, (person(1, 190, 120),))
    t = make_targets(fa, 1, WIN, False, CFG, SC, ("head", "eye"))
    # head centre image (200, 124) -> crop (64, 38) -> map (16, 9.5) -> element (16, 10)
    assert t["part_heatmap"][0, 10, 16] == 1.0
    assert t["part_heatmap"][0].max() == 1.0 and (t["part_heatmap"][0] == 1.0).sum() == 1
    assert t["part_reg_mask"][0].sum() == 1.0 and t["part_reg_mask"][0, 10, 16] == 1.0
    assert tuple(t["part_size"][0:2, 10, 16]) == (2.0, 2.0)  # 8 px / stride 4
    assert tuple(t["part_offset"][0:2, 10, 16]) == pytest.approx((0.0, -0.5))
    # eye centre (200, 123) -> map (16, 9.25) -> element (16, 9)
    assert t["part_heatmap"][1, 9, 16] == 1.0
    assert tuple(t["part_offset"][2:4, 9, 16]) == pytest.approx((0.0, 0.25))
    # subject centre (200, 150) -> map (16, 16); size (5, 15) elements
    assert t["subject_heatmap"][0, 16, 16] == 1.0
    assert tuple(t["subject_size"][:, 16, 16]) == (5.0, 15.0)
    # S105 correct answer = formula (1) of the subject's own part centres ([0041]-[0044])
    expect = maps.correct_answer_map([(64.0, 38.0), (64.0, 37.0)], (128, 128), (32, 32), SC.sigma, SC.gaussian)
    np.testing.assert_allclose(t["subject_parts"], expect, atol=1e-6)
    assert t["subject_parts"][0, 10, 16] == pytest.approx(1 / (2 * np.pi))  # default "pdf"


def test_only_the_tracked_subjects_parts_in_the_product_target():
    fa = FrameAnnotation(0, (person(1, 190, 120), person(2, 215, 118)))
    t = make_targets(fa, 1, WIN, False, CFG, SampleConfig(gaussian="peak"), ("head", "eye"))
    # both heads in the detector target, only subject 1's in the S105 target
    assert (t["part_heatmap"][0] == 1.0).sum() == 2
    assert t["subject_parts"][0].max() == 1.0
    ys, xs = np.nonzero(t["subject_parts"][0] == 1.0)
    assert (xs.tolist(), ys.tolist()) == ([16], [10])
    # subject 2 as the tracked one: its head (225, 122) -> crop (89, 36) -> element (22, 9)
    t2 = make_targets(fa, 2, WIN, False, CFG, SampleConfig(gaussian="peak"), ("head", "eye"))
    assert t2["subject_parts"][0, 9, 22] == 1.0 and t2["subject_parts"][0, 10, 16] < 1e-6


def test_masks_absent_occluded_and_not_annotated():
    fa = FrameAnnotation(
        0,
        (
            person(1, 190, 120, head=True, eye=False),  # eye annotated absent
            person(2, 150, 110, head=False, eye=None),  # head annotated absent, eye not annotated
            person(3, 230, 125, head=True, eye=False, visible=False),  # occluded head
        ),
    )
    t = make_targets(fa, 1, WIN, False, CFG, SC, ("head", "eye"))
    hm_mask = t["part_heatmap_mask"]
    assert (t["part_heatmap"][0] == 1.0).sum() == 1  # only subject 1's visible head
    assert (t["part_heatmap"][1] == 1.0).sum() == 0  # no visible annotated eye
    # person 2's eye is not annotated: its box is masked out of the eye channel, not background
    assert hm_mask[1, 12, 6] == 0.0 and hm_mask[0, 12, 6] == 1.0
    # person 3's occluded head: masked in the head channel
    assert hm_mask[0, 10, 25] == 0.0
    assert t["subject_parts_mask"].tolist() == [1.0, 1.0]
    assert t["subject_parts"][1].max() == 0.0  # absent eye -> all-zero correct answer
    t2 = make_targets(fa, 2, WIN, False, CFG, SC, ("head", "eye"))
    assert t2["subject_parts_mask"].tolist() == [1.0, 0.0]  # eye not annotated -> masked
    assert t2["subject_parts"].max() == 0.0
    t3 = make_targets(fa, 3, WIN, False, CFG, SC, ("head", "eye"))
    assert t3["subject_parts"][0].max() == 0.0  # occluded: not the subject's visible head
    # a data set without eye annotations: the whole eye channel is masked
    t4 = make_targets(fa, 1, WIN, False, CFG, SC, ("head",))
    assert hm_mask.shape == t4["part_heatmap_mask"].shape and t4["part_heatmap_mask"][1].max() == 0.0
    assert t4["subject_parts_mask"].tolist() == [1.0, 0.0]


def test_absent_subject_has_zero_subject_and_answer_maps():
    """Training for identity (issue 12): a crop without the subject teaches 'not here'."""
    fa = FrameAnnotation(0, (person(1, 190, 120), person(2, 215, 118)))
    t = make_targets(fa, 1, WIN, False, CFG, SampleConfig(gaussian="peak"), ("head", "eye"), present=False)
    assert t["subject_heatmap"].max() == 0.0 and t["subject_reg_mask"].max() == 0.0
    assert t["subject_parts"].max() == 0.0
    assert t["subject_parts_mask"].tolist() == [1.0, 1.0]  # annotated: the zero map is learned
    assert (t["part_heatmap"][0] == 1.0).sum() == 2  # the detector still sees both heads
