"""MultiTracker (issue 15, item 4): N subjects in one batched network call per frame give each
subject the result a tracker of that subject alone gives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from parttrack.models import ModelConfig
from parttrack.runtime.backend import make_backend
from parttrack.tracker import MultiTracker, PartTracker, TrackResult
from parttrack.tracker.batch import CropBatch
from tests.tracker.test_part_tracker_identity import Oracle, Person, box_of, inside, texture
from tests.weights_helpers import random_weights

W, H, FRAMES = 320, 240, 10
BOXES = [(60.0, 70.0, 30.0, 90.0), (200.0, 60.0, 34.0, 100.0)]
# random networks score ~0.1: thresholds 0 so the subjects keep a box and parts
LOOSE = {"lost_threshold": 0.0, "redetect_threshold": 0.0, "part_threshold": 0.0}


def clip() -> list[np.ndarray]:
    """Two drawn people walking towards each other on a textured background that pans."""
    rng = np.random.default_rng(3)
    big = cv2.GaussianBlur(rng.integers(0, 256, (H + 40, W + 40, 3), dtype=np.uint8), (0, 0), 2)
    frames = []
    for t in range(FRAMES):
        img = np.ascontiguousarray(big[20 + t // 3 : 20 + t // 3 + H, 20 + t : 20 + t + W])
        for (x, y, w, h), v, colour in zip(BOXES, (4, -3), ((40, 40, 200), (200, 60, 40)), strict=True):
            x0 = int(x + v * t)
            cv2.rectangle(img, (x0, int(y + h * 0.2)), (x0 + int(w), int(y + h)), colour, -1)
            cv2.circle(img, (x0 + int(w) // 2, int(y + h * 0.1)), int(w) // 3, (150, 180, 220), -1)
        frames.append(img)
    return frames


class Counting:
    """A backend wrapper counting frame calls and the rows of each."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.name, self.calls = inner, inner.name, []

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        return self.inner.encode_template(template)

    def run(self, feat: np.ndarray, search: np.ndarray, outputs):  # noqa: ANN001, ANN201
        self.calls.append(search.shape[0])
        return self.inner.run(feat, search, outputs)


@pytest.fixture(scope="module")
def backend() -> Counting:
    w = random_weights(0, ModelConfig(parts=("head", "eye"), width=8))
    b = Counting(make_backend(w, "torch", 1))
    b.weights = w
    return b


def tracker(backend: Counting, **kw) -> PartTracker:  # noqa: ANN003
    return PartTracker(backend.weights, backend=backend, **{**LOOSE, **kw})


def assert_same(a: TrackResult, b: TrackResult) -> None:
    """Equal up to float rounding of the backend between batch sizes."""
    assert a.frame == b.frame and a.lost == b.lost and a.subject == b.subject
    assert (a.box is None) == (b.box is None)
    if a.box is not None:
        np.testing.assert_allclose(a.box, b.box, atol=1e-3)
    assert a.score == pytest.approx(b.score, abs=1e-4)
    assert a.parts.keys() == b.parts.keys() and a.reasons == b.reasons
    for name, p in a.parts.items():
        q = b.parts[name]
        assert (p is None) == (q is None)
        if p is not None:
            np.testing.assert_allclose(p.point, q.point, atol=1e-3)


@pytest.mark.parametrize("mode", [
    {"identity": False},
    {"identity": True, "point_filter": True, "camera_motion": True},
    # identity with the default thresholds: random networks lose the subjects, so they search
    # rings of several windows (each subject its own count of rows in the batch)
    {"identity": True, "lost_threshold": 0.2, "redetect_threshold": 0.4, "ring_after": 1, "max_windows": 3},
], ids=["single-peak", "identity", "identity-lost"])
def test_each_subject_as_if_tracked_alone(backend: Counting, mode: dict) -> None:
    frames = clip()
    alone = []
    for i, box in enumerate(BOXES):
        t = tracker(backend, **mode)
        results = [t.initialize(frames[0], box)] + [t.track(f) for f in frames[1:]]
        alone.append([TrackResult(**{**r.__dict__, "subject": i}) for r in results])
    multi = MultiTracker(tracker(backend, **mode))
    got = [multi.initialize(frames[0], BOXES)]
    backend.calls.clear()
    got += [multi.track(f) for f in frames[1:]]
    assert len(backend.calls) == FRAMES - 1  # one network call per frame for both subjects
    if mode.get("ring_after") == 1:
        assert max(backend.calls) > 2  # the lost subjects searched several windows
    for k, frame_results in enumerate(got):
        assert [r.subject for r in frame_results] == [0, 1]
        for i, r in enumerate(frame_results):
            assert_same(r, alone[i][k])


def test_one_call_per_frame_for_many_subjects(backend: Counting) -> None:
    frames = clip()
    boxes = [(20.0 + 28 * i, 60.0 + 4 * (i % 3), 26.0, 80.0) for i in range(8)]
    multi = MultiTracker(tracker(backend, identity=False))
    first = multi.initialize(frames[0], boxes[:6], points=[])
    assert len(first) == len(multi) == 6 and [r.subject for r in first] == list(range(6))
    backend.calls.clear()
    for f in frames[1:5]:
        out = multi.track(f)
        assert [r.frame for r in out] == [out[0].frame] * 6
    assert backend.calls == [6, 6, 6, 6]  # one call per frame, one row per subject
    assert set(multi.timings) == {"crop", "networks"}
    assert len({id(t) for t in multi.trackers}) == 6 and all(t.backend is backend for t in multi.trackers)


def test_errors(backend: Counting) -> None:
    multi = MultiTracker(tracker(backend))
    frame = clip()[0]
    with pytest.raises(RuntimeError, match="initialize"):
        multi.track(frame)
    with pytest.raises(ValueError, match="at least one subject"):
        multi.initialize(frame, [])
    with pytest.raises(ValueError, match="box"):
        multi.initialize(frame, [BOXES[0], (1.0, 2.0, -3.0, 4.0)])
    with pytest.raises(ValueError, match="uint8"):
        multi.initialize(frame.astype(np.float32), BOXES)


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> Oracle:
    """The planted backend of the identity tests, told the windows of each batch."""
    o = Oracle()
    o.batches = []
    real = CropBatch.run

    def run(self: CropBatch, frame: np.ndarray, windows: list, feat: np.ndarray) -> list:
        o.windows = list(windows)
        o.batches.append(len(windows))
        return real(self, frame, windows, feat)

    monkeypatch.setattr(CropBatch, "run", run)
    return o


def crossing(k: int) -> tuple[list[Person], np.ndarray]:
    """Frame ``k`` of two identical people crossing (the second hidden around the overlap),
    then a camera jump of 40 px at frame 45."""
    a, b = Person(80.0 + 3 * k, 130.0), Person(240.0 - 3 * k, 130.0)
    b.visible = abs(a.cx - b.cx) >= 45  # hidden for 15 frames: a ring search
    jump = 40 if k >= 45 else 0
    a.cx += jump
    b.cx += jump
    return [a, b], texture((jump, 0))


def test_identity_kept_for_each_subject_of_a_planted_crossing(oracle: Oracle) -> None:
    weights = random_weights(0, ModelConfig(parts=("head",), width=8))
    mode = {"identity": True, "point_filter": True, "refine_start": True}  # configs/identity.yaml
    people, frame0 = crossing(0)
    alone = []
    for i in range(2):
        t = PartTracker(weights, backend=oracle, **mode)
        oracle.people = people
        results = [t.initialize(frame0, box_of(people[i]))]
        for k in range(1, 56):
            oracle.people, frame = crossing(k)
            results.append(t.track(frame))
        alone.append([TrackResult(**{**r.__dict__, "subject": i}) for r in results])
    multi = MultiTracker(PartTracker(weights, backend=oracle, **mode))
    oracle.people = people
    got = [multi.initialize(frame0, [box_of(p) for p in people])]
    for k in range(1, 56):
        oracle.people, frame = crossing(k)
        got.append(multi.track(frame))
    assert max(oracle.batches[-55:]) > 2  # one subject searched a ring while the other did not
    assert [[r for r in frame_results] for frame_results in got] == [list(x) for x in zip(*alone, strict=True)]
    final, (a, b) = got[-1], crossing(55)[0]
    for r, person in zip(final, (a, b), strict=True):  # each kept its own person through the crossing
        assert not r.lost and inside(r.parts["head"].point, person)
