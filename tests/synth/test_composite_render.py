"""Pure pieces of the composites: masks, exact paste mapping, visibility, recolouring."""

import cv2
import numpy as np
import pytest

from parttrack.synth.composite_render import (
    Pasted,
    contact_shadow,
    ellipse_mask,
    fill_holes,
    foot_affine,
    foreground_mask,
    map_box,
    paint_labels,
    paste,
    recolour,
    visible_fraction,
)


def test_ellipse_mask_inside_outside_and_symmetry():
    m = ellipse_mask((20, 10), (0.0, 0.0, 10.0, 20.0), feather=0.0)
    assert m.shape == (20, 10) and m.dtype == np.float32
    assert m[10, 5] == 1.0 and m[0, 0] == 0.0 and m[19, 9] == 0.0
    assert np.array_equal(m, m[::-1]) and np.array_equal(m, m[:, ::-1])
    soft = ellipse_mask((20, 10), (0.0, 0.0, 10.0, 20.0), feather=4.0)
    assert 0.0 < soft[10, 0] < 1.0 and soft[10, 5] == 1.0


def test_fill_holes_fills_a_ring_not_the_outside():
    ring = np.zeros((9, 9), bool)
    ring[2:7, 2:7] = True
    ring[4, 4] = False
    filled = fill_holes(ring)
    assert filled[4, 4] and not filled[0, 0] and filled.sum() == 25


def test_foreground_mask_finds_the_person_and_drops_the_street():
    bg = np.full((60, 30, 3), 100, np.uint8)
    crop = bg.copy()
    crop[8:56, 9:21] = (30, 200, 40)  # the person: a block inside the body box
    alpha = foreground_mask(crop, bg, (6.0, 5.0, 18.0, 52.0))
    assert alpha.shape == (60, 30) and alpha.dtype == np.float32
    assert alpha[30, 15] > 0.95 and alpha[52, 12] > 0.9  # body, legs
    assert alpha[30, 1] < 0.05 and alpha[2, 28] < 0.05  # street beside it
    with pytest.raises(ValueError):
        foreground_mask(crop, bg[:10], (6.0, 5.0, 18.0, 52.0))


@pytest.mark.parametrize("mirror", [False, True])
def test_foot_affine_stands_the_box_on_the_foot(mirror):
    aff = foot_affine((10.0, 20.0, 30.0, 60.0), (100.0, 200.0), 120.0, mirror)
    assert map_box((10.0, 20.0, 30.0, 60.0), aff) == pytest.approx((70.0, 80.0, 60.0, 120.0))
    head = map_box((12.0, 20.0, 10.0, 8.0), aff)  # left of the body centre ...
    expected_x = 74.0 if not mirror else 100.0 + 2 * (25.0 - 22.0)  # ... or right when mirrored
    assert head == pytest.approx((expected_x, 80.0, 20.0, 16.0))


@pytest.mark.parametrize("sx", [2.0, -2.0])
def test_paste_puts_pixels_exactly_on_the_mapped_box(sx):
    crop = np.zeros((10, 10, 3), np.uint8)
    crop[2:8, 3:7] = 255
    alpha = np.zeros((10, 10), np.float32)
    alpha[2:8, 3:7] = 1.0  # box (3, 2, 4, 6)
    aff = (sx, 2.0, 5.0 if sx > 0 else 45.0, 7.0)
    canvas = np.zeros((40, 60, 3), np.uint8)
    p = paste(canvas, crop, alpha, aff)
    x, y, w, h = map_box((3.0, 2.0, 4.0, 6.0), aff)
    ys, xs = np.nonzero(canvas[..., 0] >= 128)
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (x, x + w, y, y + h)
    sy, sx_ = np.nonzero(p.solid())
    assert (sx_.min() + p.x0, sy.min() + p.y0) == (x, y)


def test_paste_blends_by_alpha_and_applies_gain():
    canvas = np.full((4, 4, 3), 100, np.uint8)
    crop = np.full((4, 4, 3), 200, np.uint8)
    alpha = np.full((4, 4), 0.25, np.float32)
    paste(canvas, crop, alpha, (1.0, 1.0, 0.0, 0.0), gain=(1.0, 0.5, 1.0))
    assert canvas[1, 1].tolist() == [125, 100, 125]


def _block(x0: int, y0: int, w: int, h: int) -> Pasted:
    return Pasted(x0, y0, np.ones((h, w), np.float32))


def test_visible_fraction_counts_nearer_people_and_the_frame_edge():
    labels = np.zeros((10, 20), np.uint8)
    far, near = _block(0, 0, 10, 10), _block(5, 0, 10, 10)
    paint_labels(labels, far, 1)
    paint_labels(labels, near, 2)
    assert visible_fraction(labels, far, 1) == 0.5
    assert visible_fraction(labels, near, 2) == 1.0
    assert visible_fraction(labels, far, 1, region=(0.0, 0.0, 5.0, 4.0)) == 1.0  # head-like region
    assert visible_fraction(labels, far, 1, region=(5.0, 0.0, 5.0, 4.0)) == 0.0
    off = _block(15, 0, 10, 10)  # half outside the 20 px frame
    labels2 = np.zeros((10, 20), np.uint8)
    paint_labels(labels2, off, 3)
    assert visible_fraction(labels2, off, 3) == 0.5
    assert visible_fraction(labels2, _block(40, 0, 5, 5), 4) == 0.0


def test_recolour_keeps_lightness_and_changes_hue():
    rng = np.random.default_rng(0)
    img = rng.integers(70, 180, (16, 16, 3)).astype(np.uint8)
    img[..., 2] = 170  # reddish, so the hue has somewhere to turn
    weight = np.ones((16, 16), np.float32)
    weight[:, :4] = 0.0
    out = recolour(img, weight, 150.0, chroma=20.0)
    lab0 = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(int)
    lab1 = cv2.cvtColor(out, cv2.COLOR_BGR2LAB).astype(int)
    assert np.abs(lab1[..., 0] - lab0[..., 0]).max() <= 3
    assert np.abs(lab1[:, 4:, 1:] - lab0[:, 4:, 1:]).mean() > 10
    assert np.array_equal(out[:, :4], img[:, :4])  # weight 0: untouched


def test_contact_shadow_darkens_under_the_feet_only():
    canvas = np.full((50, 50, 3), 200, np.uint8)
    contact_shadow(canvas, (25.0, 40.0), 40.0)
    assert canvas[40, 25, 0] < 170 and canvas[5, 5, 0] == 200
    contact_shadow(canvas, (-100.0, -100.0), 40.0)  # off the frame: nothing, no error
