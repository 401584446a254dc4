"""Keeping the subject's identity among look-alikes: distractor tracking + motion gating.

The idea of KeepTrack (Mayer et al., ICCV 2021) with hand-made association, in ByteTrack's
split (``kalman.py`` = motion, this module = matching and the per-frame state machine):

* every frame the subject heatmap's peaks are *candidates* (``candidates.py``);
* while the subject is tracked, it and every remembered *distractor* (a candidate that was
  not the subject) are associated with this frame's candidates in one Hungarian assignment
  (``scipy.optimize.linear_sum_assignment``; a track may stay unmatched) on a gated
  Mahalanobis motion cost minus a share of the heatmap score;
* while it is lost, the distractors are associated first and keep what continues them;
* the subject never moves to a candidate that continues a known distractor while it is
  lost, unless it has been lost for ``switch_frames`` frames and that candidate matches its
  appearance memory;
* after a loss, a *new* candidate (one no distractor explains) inside the growing motion gate
  that matches the appearance memory re-finds the subject at once;
* when nothing matches, the subject is **absent**: its filter coasts and no part is reported.

All positions are image pixels; a candidate row is ``(cx, cy, w, h, score)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from parttrack.tracker.kalman import CHI2_95_2DOF, ConstantVelocityKalman

_INFEASIBLE = 1e6


@dataclass(frozen=True)
class Decision:
    """The subject in one frame.

    Attributes:
        index: row of the chosen candidate, or None when the subject is absent.
        present: True when a candidate was taken as the subject.
        presence: the taken candidate's score (0 when absent).
        box: the subject box ``(x, y, w, h)`` (the filter's estimate; while absent, its
            coasting prediction).
        rival: another candidate lies within one subject width of the subject.
        switched: the subject was taken back from a known distractor (after
            ``switch_frames`` unmatched frames).
    """

    index: int | None
    present: bool
    presence: float
    box: tuple[float, float, float, float]
    rival: bool = False
    switched: bool = False


@dataclass
class _Track:
    kf: ConstantVelocityKalman
    age: int = 0  # frames since last matched
    hits: int = 1  # frames matched

    @property
    def confirmed(self) -> bool:
        """Seen on at least two frames, the last one recently: a known other person."""
        return self.hits >= 2 and self.age <= 2


@dataclass
class IdentityTracker:
    """Per-frame subject/distractor state machine.

    Args:
        present_threshold: a candidate scoring below this cannot be the subject while it is
            tracked (the absent threshold).
        refind_threshold: ... nor after a loss, below this (hysteresis; >= present).
        appearance_threshold: a candidate must match the appearance memory at least this much
            to re-find the subject after a loss.
        switch_frames: frames the subject must be unmatched before a candidate known to be
            another person may become the subject.
        gate: chi-square gate of the motion cost (2 dof).
        min_gate_px: gate radius floor, in subject heights.
        distractor_memory: frames an unmatched distractor is remembered (it coasts on its
            own filter, so a person hidden behind the subject is still known when it emerges).
        coast_damping: velocity factor per coasting frame (subject).
        score_weight: weight of the candidate's heatmap score against the motion cost
            (look-alikes score alike: motion decides).
        age_penalty: cost added per frame a distractor has coasted unmatched (0: none).
        refind_grace: frames after a loss during which ``present_threshold`` still applies
            (then ``refind_threshold``).
        size_rate: the measured height moves the filter's scale measurement ``size_rate x
            score`` of the way from the current scale (the network's size is a partial,
            search-scale-anchored correction; 1 = the raw measurement).
        max_sigma: bound of the coasting subject's position uncertainty, in subject heights:
            the gate (and so re-finding or taking back) stays within ~1.2 heights of where
            the subject was heading; someone else far away is never taken for it.
    """

    present_threshold: float = 0.2
    refind_threshold: float = 0.4
    appearance_threshold: float = 0.6
    switch_frames: int = 15
    gate: float = CHI2_95_2DOF
    min_gate_px: float = 0.25
    distractor_memory: int = 25
    coast_damping: float = 0.8
    score_weight: float = 0.3
    max_sigma: float = 0.5
    age_penalty: float = 0.0
    refind_grace: int = 2
    size_rate: float = 0.15
    subject: ConstantVelocityKalman | None = field(default=None, init=False)
    aspect: float = field(default=0.4, init=False)
    unmatched: int = field(default=0, init=False)
    distractors: list[_Track] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.present_threshold <= self.refind_threshold <= 1:
            raise ValueError("need 0 <= present_threshold <= refind_threshold <= 1")
        if self.switch_frames < 0 or self.distractor_memory < 0:
            raise ValueError("switch_frames and distractor_memory must be >= 0")
        if not 0 <= self.size_rate <= 1 or self.refind_grace < 0:
            raise ValueError(f"need 0 <= size_rate <= 1 and refind_grace >= 0, got {self.size_rate}, {self.refind_grace}")
        if not 0 <= self.coast_damping <= 1:
            raise ValueError(f"coast_damping must be in [0, 1], got {self.coast_damping}")

    # --- state -------------------------------------------------------------------------
    def reset(self, box: tuple[float, float, float, float]) -> None:
        """Start on the subject ``box`` ``(x, y, w, h)`` (w, h > 0); forget every distractor."""
        x, y, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0):
            raise ValueError(f"box must have positive size, got {box}")
        self.subject = ConstantVelocityKalman.start((x + w / 2, y + h / 2, h))
        self.aspect = w / h
        self.unmatched = 0
        self.distractors = []

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The subject box now (filter estimate)."""
        assert self.subject is not None, "call reset(box) first"
        cx, cy, s = self.subject.mean
        w = s * self.aspect
        return cx - w / 2, cy - s / 2, w, s

    def predict(self, shift: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
        """Advance every filter one frame after moving it by the camera's ``shift`` (px);
        returns the subject box predicted for this frame (where to search)."""
        assert self.subject is not None, "call reset(box) first"
        for kf in [self.subject, *(t.kf for t in self.distractors)]:
            kf.shift(*shift)
            kf.predict()
        if self.unmatched:
            self.subject.damp_velocity(self.coast_damping)
            self.subject.cap_position_sigma(self.max_sigma * self.subject.mean[2])
        return self.box

    # --- one frame -----------------------------------------------------------------------
    def _subject_costs(self, cands: np.ndarray, appearance: np.ndarray | None) -> np.ndarray:
        assert self.subject is not None
        d2 = self.subject.position_distance(cands[:, :2])
        s = self.subject.mean[2]
        sig = max(self.subject.position_sigma(), 1e-6)
        floor = (self.min_gate_px * s / sig) ** 2  # gate radius never below min_gate_px heights
        gate = max(self.gate, floor)
        thr = self.refind_threshold if self.unmatched > self.refind_grace else self.present_threshold
        ok = (d2 <= gate) & (cands[:, 4] >= thr)
        ratio = cands[:, 3] / s
        ok &= (ratio > 0.5) & (ratio < 2.0)
        if self.unmatched and appearance is not None:
            ok &= appearance >= self.appearance_threshold
        cost = d2 / gate - self.score_weight * cands[:, 4]
        return np.where(ok, cost, _INFEASIBLE)

    def _distractor_costs(self, cands: np.ndarray) -> np.ndarray:
        s = self.subject.mean[2] if self.subject is not None else 1.0
        rows = []
        for t in self.distractors:
            d2 = t.kf.position_distance(cands[:, :2])
            sig = max(t.kf.position_sigma(), 1e-6)
            gate = max(self.gate, (self.min_gate_px * s / sig) ** 2)
            # a coasting track is a weaker claim than one seen last frame
            cost = d2 / gate - self.score_weight * cands[:, 4] + self.age_penalty * t.age
            rows.append(np.where(d2 <= gate, cost, _INFEASIBLE))
        return np.array(rows).reshape(len(self.distractors), len(cands))

    def step(self, candidates: np.ndarray, appearance: np.ndarray | None = None) -> Decision:
        """Associate this frame's candidates ``(N, 5)`` ``(cx, cy, w, h, score)`` (after
        :meth:`predict`) and decide where the subject is.

        Args:
            candidates: image px; N may be 0.
            appearance: ``(N,)`` similarity of each candidate to the subject's appearance
                memory in [0, 1], or None (not used).
        """
        assert self.subject is not None, "call reset(box) first"
        cands = np.asarray(candidates, dtype=np.float64).reshape(-1, 5)
        n = len(cands)
        mine, others = self._subject_costs(cands, appearance), self._distractor_costs(cands)
        self._last_others = others
        if not self.unmatched:  # tracked: subject and distractors compete in one assignment
            taken = _assign(np.vstack([mine[None, :], others]))
            chosen = taken.pop(0, None)
        else:  # lost: the distractors keep what continues them; the subject only what is left
            taken = {i + 1: c for i, c in _assign(others).items()}
            blocked = [c for i, c in taken.items() if self._continues(i, c, mine)]
            free = np.where(np.isin(np.arange(n), blocked), _INFEASIBLE, mine)
            chosen = int(np.argmin(free)) if n and free.min() < _INFEASIBLE / 2 else None
            if chosen is not None:
                taken = {i: c for i, c in taken.items() if c != chosen}
        switched = False
        if chosen is None and self.unmatched + 1 >= self.switch_frames and n:
            chosen = self._take_back(cands, appearance)
            switched = chosen is not None
        # distractors: matched ones follow their candidate, the rest age; new ones start
        kept: list[_Track] = []
        for i, t in enumerate(self.distractors, start=1):
            c = taken.get(i)
            if c is not None and c != chosen:
                t.kf.update(_measure(cands[c]))
                t.age = 0
                t.hits += 1
                kept.append(t)
            elif c is None and t.age < self.distractor_memory:
                t.age += 1
                kept.append(t)
        used = set(taken.values()) | ({chosen} if chosen is not None else set())
        for c in range(n):
            if c not in used:
                kept.append(_Track(ConstantVelocityKalman.start(_measure(cands[c]))))
        self.distractors = kept
        if chosen is None:
            self.unmatched += 1
            return Decision(None, False, 0.0, self.box)
        self.unmatched = 0
        cx, cy, h = _measure(cands[chosen])
        s = self.subject.mean[2]
        self.subject.update((cx, cy, s + self.size_rate * float(cands[chosen, 4]) * (h - s)))
        self.aspect = 0.8 * self.aspect + 0.2 * float(cands[chosen, 2] / cands[chosen, 3])
        cx, cy, s = self.subject.mean
        near = np.hypot(cands[:, 0] - cx, cands[:, 1] - cy) < s * self.aspect
        near[chosen] = False
        rival = bool(near.any())
        return Decision(chosen, True, float(cands[chosen, 4]), self.box, rival, switched)

    def _continues(self, i: int, c: int, mine: np.ndarray) -> bool:
        """Distractor row ``i`` (1-based) is confirmed and continues onto candidate ``c`` more
        cheaply than the subject would: the candidate is that other person."""
        return self.distractors[i - 1].confirmed and bool(self._last_others[i - 1, c] < mine[c])

    def _take_back(self, cands: np.ndarray, appearance: np.ndarray | None) -> int | None:
        """After ``switch_frames`` unmatched frames: the best candidate inside the motion gate
        that matches the appearance memory, even if a distractor claimed it."""
        d2 = self.subject.position_distance(cands[:, :2])
        ok = (d2 <= self.gate) & (cands[:, 4] >= self.refind_threshold)
        if appearance is not None:
            ok &= appearance >= self.appearance_threshold
        if not ok.any():
            return None
        score = np.where(ok, cands[:, 4] - 0.1 * d2 / self.gate, -np.inf)
        return int(np.argmax(score))  # its distractor track, if any, is dropped in step()


def _assign(cost: np.ndarray, miss: float = 1.0) -> dict[int, int]:
    """Minimum-cost assignment of rows (tracks) to columns (candidates) where a row may also
    stay unmatched at cost ``miss`` (one dummy column per row), so that no track is forced
    onto a candidate outside its gate to let another take a cheaper one. Returns
    ``{row: column}`` of the real matches."""
    r, n = cost.shape
    if n == 0 or r == 0:
        return {}
    dummy = np.full((r, r), _INFEASIBLE)
    np.fill_diagonal(dummy, miss)
    from scipy.optimize import linear_sum_assignment  # 0.4 s to import: only when needed

    rows, cols = linear_sum_assignment(np.hstack([cost, dummy]))
    return {int(i): int(j) for i, j in zip(rows, cols, strict=True) if j < n and cost[i, j] < _INFEASIBLE / 2}


def _measure(row: np.ndarray) -> tuple[float, float, float]:
    return float(row[0]), float(row[1]), float(row[3])
