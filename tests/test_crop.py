"""Crop geometry shared by training and inference: windows, warps and point maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parttrack.crop import CropWindow, context_side


def test_context_side_exact() -> None:
    # p = 0.5 * (10 + 20) = 15 -> sqrt(25 * 35)
    assert context_side((0.0, 0.0, 10.0, 20.0), 0.5) == pytest.approx(math.sqrt(25 * 35), abs=1e-12)
    assert context_side((5.0, 5.0, 4.0, 9.0), 0.0) == pytest.approx(6.0, abs=1e-12)


def test_around_centre_side_scale() -> None:
    w = CropWindow.around((10.0, 20.0, 10.0, 20.0), size=64, factor=2.0, context=0.5)
    assert (w.cx, w.cy) == (15.0, 30.0)
    assert w.side == pytest.approx(2 * math.sqrt(25 * 35), abs=1e-12)
    assert w.scale == pytest.approx(64 / w.side, abs=1e-12)
    assert CropWindow.around((0.0, 0.0, 0.01, 0.01), size=8, context=0.0).side == 1.0  # never below 1 px


def test_point_maps_are_inverse_and_match_matrix() -> None:
    w = CropWindow(cx=100.0, cy=50.0, side=40.0, size=128)
    pts = np.array([[100.0, 50.0], [80.0, 30.0], [130.5, 77.25]])
    crop = w.to_crop(pts)
    np.testing.assert_allclose(crop[0], [64.0, 64.0])  # the centre maps to size/2
    np.testing.assert_allclose(crop[1], [0.0, 0.0])  # the window's corner maps to the crop's
    np.testing.assert_allclose(w.to_image(crop), pts, atol=1e-12)
    m = w.matrix()
    np.testing.assert_allclose(pts @ m[:, :2].T + m[:, 2], crop, atol=1e-12)


def test_box_maps() -> None:
    w = CropWindow(cx=100.0, cy=50.0, side=40.0, size=128)  # scale 3.2
    box = (90.0, 40.0, 10.0, 5.0)
    assert w.box_to_crop(box) == pytest.approx((32.0, 32.0, 32.0, 16.0), abs=1e-12)
    assert w.box_to_image(w.box_to_crop(box)) == pytest.approx(box, abs=1e-12)


def test_warp_unit_scale_is_a_plain_crop() -> None:
    frame = np.arange(80 * 100 * 3, dtype=np.uint32).reshape(80, 100, 3).astype(np.uint8)
    frame = np.ascontiguousarray(frame)
    crop = CropWindow(cx=50.0, cy=40.0, side=16.0, size=16).warp(frame)
    assert crop.shape == (16, 16, 3) and crop.dtype == np.uint8
    np.testing.assert_array_equal(crop, frame[32:48, 42:58])


def test_warp_samples_where_to_image_says() -> None:
    ys, xs = np.mgrid[0:200, 0:300].astype(np.float32)
    frame = np.dstack([xs, ys, xs + ys])  # linear: bilinear sampling is exact
    w = CropWindow(cx=150.0, cy=90.0, side=50.0, size=32)
    crop = w.warp(frame, border_value=(0, 0, 0))
    for i, j in [(0, 0), (16, 16), (31, 7), (5, 29)]:
        x, y = w.to_image(np.array([i, j], dtype=np.float64))
        np.testing.assert_allclose(crop[j, i], [x, y, x + y], atol=1e-2)


def test_warp_border_fill() -> None:
    frame = np.zeros((20, 20, 3), np.uint8)
    frame[:, :10] = (200, 100, 50)  # mean colour (100, 50, 25)
    w = CropWindow(cx=0.0, cy=0.0, side=10.0, size=10)  # top-left quarter lies outside
    np.testing.assert_array_equal(w.warp(frame)[0, 0], [100, 50, 25])
    np.testing.assert_array_equal(w.warp(frame, border_value=(1, 2, 3))[0, 0], [1, 2, 3])
    np.testing.assert_array_equal(w.warp(frame)[9, 9], [200, 100, 50])  # inside: the frame
