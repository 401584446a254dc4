"""Constant-velocity Kalman filter: exact algebra on planted motion."""

import numpy as np
import pytest

from parttrack.tracker.kalman import CHI2_95_2DOF, ConstantVelocityKalman


def test_start_is_at_rest_and_predict_keeps_position():
    kf = ConstantVelocityKalman.start((10.0, 20.0, 50.0))
    assert kf.mean == (10.0, 20.0, 50.0) and kf.velocity == (0.0, 0.0, 0.0)
    assert kf.predict() == (10.0, 20.0, 50.0)


def test_learns_constant_velocity_and_predicts_ahead():
    kf = ConstantVelocityKalman.start((100.0, 100.0, 100.0))
    for t in range(1, 40):
        kf.predict()
        kf.update((100.0 + 5 * t, 100.0, 100.0))
    assert kf.velocity[0] == pytest.approx(5.0, abs=0.05)
    x = kf.mean[0]
    assert kf.predict()[0] == pytest.approx(x + kf.velocity[0])


def test_shift_moves_state_exactly():
    kf = ConstantVelocityKalman.start((10.0, 20.0, 50.0))
    kf.shift(3.0, -4.0)
    assert kf.mean == (13.0, 16.0, 50.0)


def test_gate_distance_is_mahalanobis():
    kf = ConstantVelocityKalman.start((0.0, 0.0, 100.0))
    S = (kf.P + np.diag([10.0, 10.0, 10.0, 0, 0, 0]) ** 2)[:2, :2]  # R = (0.1 s)^2
    d = kf.position_distance(np.array([[3.0, 4.0]]))
    assert d[0] == pytest.approx(np.array([3.0, 4.0]) @ np.linalg.inv(S) @ np.array([3.0, 4.0]))
    near, far = kf.position_distance(np.array([[5.0, 0.0], [200.0, 0.0]]))
    assert near < CHI2_95_2DOF < far


def test_damp_velocity():
    kf = ConstantVelocityKalman.start((0.0, 0.0, 10.0))
    kf.x[3:] = [2.0, 4.0, 0.0]
    kf.damp_velocity(0.5)
    assert kf.velocity == (1.0, 2.0, 0.0)


@pytest.mark.parametrize("m", [(0, 0, 0), (0, 0, -1), (float("nan"), 0, 1)])
def test_start_rejects_bad_measurement(m):
    with pytest.raises(ValueError, match="scale > 0"):
        ConstantVelocityKalman.start(m)


def test_position_distance_and_sigma_match_the_matrix_form():
    # the closed-form 2x2 inverse equals the general one on a correlated covariance
    kf = ConstantVelocityKalman.start((100.0, 50.0, 80.0))
    for _ in range(3):
        kf.predict()
    kf.update((104.0, 47.0, 82.0))
    kf.predict()
    kf.P[0, 1] = kf.P[1, 0] = 0.3 * np.sqrt(kf.P[0, 0] * kf.P[1, 1])
    pts = np.array([[110.0, 40.0], [90.0, 70.0], [100.0, 50.0]])
    H = np.eye(3, 6)
    S = (H @ kf.P @ H.T + kf._r())[:2, :2]
    d = pts - np.array(kf.mean[:2])
    expected = np.einsum("ni,ij,nj->n", d, np.linalg.inv(S), d)
    np.testing.assert_allclose(kf.position_distance(pts), expected, rtol=1e-12)
    assert kf.position_sigma() == pytest.approx(float(np.sqrt(max(S[0, 0], S[1, 1]))), rel=1e-12)
