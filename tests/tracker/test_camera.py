"""Camera motion by phase correlation on planted whole-picture shifts."""

import cv2
import numpy as np
import pytest

from parttrack.tracker.camera import CameraMotion


def _scene(seed=0, size=(480, 640)):
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.integers(0, 255, (*size, 3), dtype=np.uint8), (0, 0), 3)
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX)


@pytest.mark.parametrize("shift", [(60.0, 0.0), (-24.0, 36.0)])
def test_recovers_a_whole_picture_jump(shift):
    img = _scene()
    moved = cv2.warpAffine(img, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), img.shape[1::-1],
                           borderMode=cv2.BORDER_REFLECT)
    cam = CameraMotion()
    assert cam(img) == (0.0, 0.0)  # no previous frame
    dx, dy = cam(moved)
    assert dx == pytest.approx(shift[0], abs=3) and dy == pytest.approx(shift[1], abs=3)


def test_still_camera_reads_zero_and_reset():
    img = _scene(1)
    cam = CameraMotion()
    cam(img)
    assert cam(img.copy()) == (0.0, 0.0)
    cam.reset()
    assert cam(img) == (0.0, 0.0)


def test_bad_width():
    with pytest.raises(ValueError, match="width"):
        CameraMotion(width=4)
