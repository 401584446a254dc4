"""Constant-velocity Kalman filter of the subject's centre and scale (the tracker core's motion
model, as in SORT / ByteTrack's ``kalman_filter.py``).

State ``x = (cx, cy, s, vx, vy, vs)``: box centre and scale in image pixels (scale = box height)
and their velocities in pixels per frame. Measurements are ``(cx, cy, s)``. Process and
measurement noise scale with ``s`` (ByteTrack's form; twice its weights, since a Siamese peak read at stride 4 of a
zoomed-out crop is noisier than a detector box), so one filter works for a 30 px and a
300 px person. The filter predicts where the next search is centred, gates candidates by
Mahalanobis distance, and coasts through short occlusions (predict without update).

Example::

    kf = ConstantVelocityKalman.start((320.0, 240.0, 120.0))
    kf.predict()                  # -> predicted (cx, cy, s)
    kf.update((324.0, 241.0, 121.0))
    kf.gate_distance(np.array([[330.0, 240.0, 120.0]]))   # squared Mahalanobis, (N,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: 95 % quantile of chi-square with 3 degrees of freedom (gating, as in DeepSORT).
CHI2_95_3DOF = 7.8147

#: 95 % quantile of chi-square with 2 degrees of freedom.
CHI2_95_2DOF = 5.9915

_F = np.eye(6)
_F[:3, 3:] = np.eye(3)
_H = np.eye(3, 6)


@dataclass
class ConstantVelocityKalman:
    """Kalman filter over ``(cx, cy, s, vx, vy, vs)`` (image px, px/frame).

    Attributes:
        x: state ``(6,)``.
        P: covariance ``(6, 6)``.
        std_pos: position noise per unit scale (process and measurement).
        std_vel: velocity noise per unit scale (process).
        std_scale: noise of a measured scale per unit scale (a larger value makes the scale
            adapt more slowly: tried 0.5 against loose start boxes, it cost more on ordinary
            tracking than it gained).
    """

    x: np.ndarray
    P: np.ndarray
    std_pos: float = 1.0 / 10.0
    std_vel: float = 1.0 / 80.0
    std_scale: float = 0.1

    @classmethod
    def start(
        cls, measurement: tuple[float, float, float], std_pos: float = 1 / 10, std_vel: float = 1 / 80
    ) -> ConstantVelocityKalman:
        """A filter at rest at ``measurement = (cx, cy, s)``, ``s > 0`` (ValueError otherwise)."""
        cx, cy, s = (float(v) for v in measurement)
        if not s > 0 or not np.isfinite([cx, cy, s]).all():
            raise ValueError(f"measurement must be finite with scale > 0, got {measurement}")
        std = np.array([2 * std_pos * s, 2 * std_pos * s, 2 * std_pos * s,
                        10 * std_vel * s, 10 * std_vel * s, 10 * std_vel * s])
        return cls(np.array([cx, cy, s, 0.0, 0.0, 0.0]), np.diag(std**2), std_pos, std_vel)

    @property
    def mean(self) -> tuple[float, float, float]:
        """Current ``(cx, cy, s)``."""
        return float(self.x[0]), float(self.x[1]), float(self.x[2])

    @property
    def velocity(self) -> tuple[float, float, float]:
        """Current ``(vx, vy, vs)`` px/frame."""
        return float(self.x[3]), float(self.x[4]), float(self.x[5])

    def _q(self) -> np.ndarray:
        s = max(self.x[2], 1.0)
        p, v = self.std_pos * s, self.std_vel * s
        return np.diag([p, p, p, v, v, v]) ** 2

    def _r(self) -> np.ndarray:
        s = max(self.x[2], 1.0)
        return np.diag([self.std_pos * s, self.std_pos * s, self.std_scale * s]) ** 2

    def predict(self) -> tuple[float, float, float]:
        """Advance one frame: ``x <- F x``, ``P <- F P F^T + Q``; returns the predicted
        ``(cx, cy, s)``. The scale never drops below 1 px."""
        self.x = _F @ self.x
        self.x[2] = max(self.x[2], 1.0)
        self.P = _F @ self.P @ _F.T + self._q()
        return self.mean

    def update(self, measurement: tuple[float, float, float]) -> None:
        """Correct with a measurement ``(cx, cy, s)`` (Joseph-free standard form)."""
        z = np.asarray(measurement, dtype=np.float64)
        S = _H @ self.P @ _H.T + self._r()
        K = np.linalg.solve(S, _H @ self.P).T  # P H^T S^-1 (S symmetric)
        self.x = self.x + K @ (z - _H @ self.x)
        self.P = self.P - K @ S @ K.T

    def cap_position_sigma(self, max_sigma: float) -> None:
        """Bound the centre's standard deviation at ``max_sigma`` px (a long-coasting filter
        would otherwise gate the whole frame); correlations are scaled with it."""
        for i in (0, 1):
            if self.P[i, i] > max_sigma**2:
                f = max_sigma / np.sqrt(self.P[i, i])
                self.P[i, :] *= f
                self.P[:, i] *= f

    def shift(self, dx: float, dy: float) -> None:
        """Move the state by a camera translation ``(dx, dy)`` image px (global motion
        compensation); the covariance is unchanged."""
        self.x[0] += dx
        self.x[1] += dy

    def damp_velocity(self, factor: float) -> None:
        """Multiply the velocity by ``factor`` in [0, 1] (a coasting filter slows down, so a
        long occlusion does not send the prediction across the frame)."""
        self.x[3:] *= factor

    def gate_distance(self, measurements: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of ``(N, 3)`` measurements ``(cx, cy, s)`` to the
        predicted measurement; compare with :data:`CHI2_95_3DOF`. Returns ``(N,)``."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 3)
        S = _H @ self.P @ _H.T + self._r()
        d = z - _H @ self.x
        return np.einsum("ni,ij,nj->n", d, np.linalg.inv(S), d)

    def position_distance(self, points: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of ``(N, 2)`` centres ``(cx, cy)`` to the predicted
        centre (the scale left out: a network's size estimate is noisier than its position);
        compare with :data:`CHI2_95_2DOF`. Returns ``(N,)``. (The 2x2 innovation covariance
        is inverted in closed form: this runs for every track every frame.)"""
        z = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        r = (self.std_pos * max(self.x[2], 1.0)) ** 2
        a, b, c = self.P[0, 0] + r, self.P[0, 1], self.P[1, 1] + r
        dx, dy = z[:, 0] - self.x[0], z[:, 1] - self.x[1]
        return (c * dx * dx - 2.0 * b * dx * dy + a * dy * dy) / (a * c - b * b)

    def position_sigma(self) -> float:
        """Standard deviation of the predicted centre, px (the larger axis)."""
        r = (self.std_pos * max(self.x[2], 1.0)) ** 2
        return float(np.sqrt(max(self.P[0, 0], self.P[1, 1]) + r))
