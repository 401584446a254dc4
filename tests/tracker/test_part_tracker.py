"""PartTracker on planted maps: peak -> image mapping, lost / re-found, parts, priors."""

import dataclasses

import numpy as np
import pytest
import torch

from parttrack.config import from_dict
from parttrack.crop import CropWindow
from parttrack.errors import ConfigError
from parttrack.maps import element_product, gaussian_map
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, Weights
from parttrack.tracker import PartTracker, TrackerConfig
from parttrack.tracker.result import TrackMaps

CFG = ModelConfig(parts=("head", "eye"), width=8)
N, STRIDE = CFG.map_size, CFG.stride
FRAME = np.full((240, 320, 3), 90, np.uint8)
BOX = (140.0, 60.0, 30.0, 90.0)


@pytest.fixture(scope="module")
def weights() -> Weights:
    torch.manual_seed(0)
    return Weights(CFG, PartDetector(CFG).eval(), SiameseTracker(CFG).eval())


def blob(x: float, y: float, peak: float = 1.0) -> np.ndarray:
    return gaussian_map((x, y), (N, N), 1.0, "peak") * np.float32(peak)


class FnBackend:
    """A :class:`~parttrack.runtime.backend.Backend` whose frame call is ``fn(search)`` (planted
    maps); the element product is added as the frame graph does. Counts template encodings."""

    name = "planted"

    def __init__(self, fn=None) -> None:
        self.fn = fn
        self.encodes = 0

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        self.encodes += 1
        return np.zeros((template.shape[0], 1, 1, 1), np.float32)

    def run(self, feat: np.ndarray, search: np.ndarray, outputs) -> dict[str, np.ndarray]:
        m = dict(self.fn(search))
        m["product"] = element_product(m["part_heatmap"], m["part_region"])
        return {k: m[k] for k in outputs}


class Planted:
    """Stands in for the networks (through :class:`FnBackend`): maps with known peaks; the subject stays put (peak at
    the map centre, its current size) unless told otherwise."""

    def __init__(self, tracker: PartTracker) -> None:
        self.tracker = tracker
        self.subject_score = 0.9
        self.subject_peak = (N // 2, N // 2)
        self.subject_scale = 1.0  # predicted size / current size
        self.parts = {0: (20, 9), 1: (18, 6)}
        self.decoy_dx = -10  # a stronger detection (another person's part) beside each part
        self.frame_size = (FRAME.shape[1], FRAME.shape[0])

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        K = CFG.num_parts
        window = self.tracker._search_window(*self.frame_size)
        _, _, bw, bh = self.tracker.box
        m = {
            "part_heatmap": np.zeros((1, K, N, N), np.float32),
            "part_region": np.zeros((1, K, N, N), np.float32),
            "part_size": np.zeros((1, 2 * K, N, N), np.float32),
            "part_offset": np.zeros((1, 2 * K, N, N), np.float32),
            "subject_heatmap": blob(*self.subject_peak, self.subject_score)[None, None],
            "subject_size": np.zeros((1, 2, N, N), np.float32),
            "subject_offset": np.zeros((1, 2, N, N), np.float32),
        }
        m["subject_size"][0, 0] = bw * self.subject_scale * window.scale / STRIDE
        m["subject_size"][0, 1] = bh * self.subject_scale * window.scale / STRIDE
        for k, (x, y) in self.parts.items():
            m["part_heatmap"][0, k] = np.maximum(blob(x, y, 0.8), blob(x + self.decoy_dx, y, 0.95))
            m["part_region"][0, k] = blob(x, y, 1.0)
            m["part_offset"][0, 2 * k : 2 * k + 2, y, x] = (0.25, -0.5)
            m["part_size"][0, 2 * k : 2 * k + 2, y, x] = (3.0, 4.0)
        return m


def make(weights: Weights, monkeypatch, **kw) -> tuple[PartTracker, Planted]:
    # the single-peak localisation with raw points: exact planted values (identity mode and
    # its filters are tested in test_part_tracker_identity.py)
    kw = {"identity": False, "point_filter": False, "refine_start": False, **kw}
    tracker = PartTracker(weights, backend=FnBackend(), **kw)
    planted = Planted(tracker)
    tracker.backend.fn = planted
    return tracker, planted


def test_part_point_is_the_product_peak_mapped_to_the_image(weights, monkeypatch):
    tracker, _ = make(weights, monkeypatch)
    tracker.initialize(FRAME, BOX)
    r = tracker.track(FRAME)
    window = CropWindow.around(BOX, CFG.search_size, CFG.search_factor, CFG.context)
    head = r.parts["head"]
    # (peak + offset) x stride in crop pixels -> image ([0060]-[0061]); the decoy (stronger
    # likelihood, no region) is not taken
    assert head.point == pytest.approx(tuple(window.to_image(np.array([20.25, 8.5]) * STRIDE)))
    assert head.box == pytest.approx(window.box_to_image(((20.25 - 1.5) * 4, (8.5 - 2) * 4, 12.0, 16.0)))
    assert head.score == pytest.approx(0.8)
    assert r.box == pytest.approx(BOX) and r.score == pytest.approx(0.9) and not r.lost
    assert r.frame == 1


def test_multi_part_and_selected_subset(weights, monkeypatch):
    tracker, _ = make(weights, monkeypatch)
    tracker.initialize(FRAME, BOX)
    r = tracker.track(FRAME, frame_index=7)
    window = CropWindow.around(BOX, CFG.search_size, CFG.search_factor, CFG.context)
    assert r.frame == 7 and set(r.parts) == {"head", "eye"}
    assert r.parts["eye"].point == pytest.approx(tuple(window.to_image(np.array([18.25, 5.5]) * 4)))
    only_eye, _ = make(weights, monkeypatch, parts=("eye",))
    only_eye.initialize(FRAME, BOX)
    assert set(only_eye.track(FRAME).parts) == {"eye"}
    with pytest.raises(ConfigError, match=r"parts \['knee'\] are not in the weights' parts"):
        PartTracker(weights, parts=("knee",))


def test_methods_select_the_decoder(weights, monkeypatch):
    # a square subject box covers map elements 12..20; the part at (18, 14) and the decoy
    # at (13, 14) (larger likelihood, no region) are both inside it
    expect = {"product": (18, 14), "region-only": (18, 14), "top-down": (13, 14)}
    for method, (x, y) in expect.items():
        tracker, planted = make(weights, monkeypatch, method=method, parts=("head",))
        planted.parts, planted.decoy_dx = {0: (18, 14)}, -5
        tracker.initialize(FRAME, (100.0, 40.0, 120.0, 120.0))
        r = tracker.track(FRAME, keep_maps=True)
        window = r.maps.window
        off = (0.25, -0.5) if method != "top-down" else (0.0, 0.0)
        want = window.to_image(np.array([x + off[0], y + off[1]]) * STRIDE)
        assert r.parts["head"].point == pytest.approx(tuple(want)), method


def test_low_part_score_gives_none_with_reason(weights, monkeypatch):
    tracker, planted = make(weights, monkeypatch, part_threshold=0.85)
    tracker.initialize(FRAME, BOX)
    r = tracker.track(FRAME)
    assert r.parts["head"] is None and r.reasons["head"] == "score 0.80 < 0.85"


def test_lost_then_found_again_with_a_widening_search(weights, monkeypatch):
    frame = np.full((480, 640, 3), 90, np.uint8)
    tracker, planted = make(weights, monkeypatch, keep_maps=True)
    planted.frame_size = (640, 480)
    tracker.initialize(frame, BOX)
    scores = [0.9, 0.9, 0.05, 0.05, 0.05, 0.3, 0.9, 0.9]  # hidden, then 0.3 < re-detect 0.4
    results = []
    for s in scores:
        planted.subject_score = s
        results.append(tracker.track(frame))
    assert [r.lost for r in results] == [False, False, True, True, True, True, False, False]
    for r in results[2:6]:
        assert r.box is None and r.parts == {"head": None, "eye": None}
        assert r.reasons == {"head": "subject lost", "eye": "subject lost"}
    sides = [r.maps.window.side for r in results]
    base = CropWindow.around(BOX, CFG.search_size, CFG.search_factor, CFG.context).side
    assert sides[:3] == pytest.approx([base] * 3)
    assert sides[3] == pytest.approx(base * 1.5) and sides[4] == pytest.approx(base * 2.25)
    assert sides[5] == 640.0  # capped: the whole frame (max(W, H)), centred on the frame
    assert (results[5].maps.window.cx, results[5].maps.window.cy) == (320.0, 240.0)
    assert results[6].box is not None and results[6].parts["head"] is not None


def test_cosine_window_prefers_the_nearby_peak(weights, monkeypatch):
    tracker, planted = make(weights, monkeypatch)
    tracker.initialize(FRAME, BOX)
    planted.tracker = tracker
    real = planted.__call__

    def two_subjects(batch):
        m = real(batch)
        m["subject_heatmap"][0, 0] = np.maximum(blob(17, 16, 0.8), blob(2, 3, 0.85))
        return m

    tracker.backend.fn = two_subjects
    r = tracker.track(FRAME, keep_maps=True)
    window = r.maps.window
    cx, cy = window.to_image(np.array([17.0, 16.0]) * STRIDE)
    assert (r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2) == pytest.approx((cx, cy))
    assert r.score == pytest.approx(0.8)


@pytest.mark.parametrize("size_lr, penalty, expect", [(0.0, 0.1, 1.0), (1 / 0.9, 0.0, 2.0)])
def test_smoothed_size_update(weights, monkeypatch, size_lr, penalty, expect):
    # rate = penalty x score x size_lr: 0 keeps the size, 1 (no penalty) takes the prediction
    tracker, planted = make(weights, monkeypatch, size_lr=size_lr, scale_penalty=penalty)
    tracker.initialize(FRAME, BOX)
    planted.subject_scale = 2.0
    r = tracker.track(FRAME)
    assert r.box[2:] == pytest.approx((BOX[2] * expect, BOX[3] * expect))
    cx, cy = BOX[0] + BOX[2] / 2, BOX[1] + BOX[3] / 2
    assert (r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2) == pytest.approx((cx, cy))


def test_template_refresh_is_off_by_default(weights, monkeypatch):
    for kw, encodes in (({}, 1), ({"template_update_threshold": 0.5, "template_update_interval": 2}, 3)):
        tracker, _ = make(weights, monkeypatch, **kw)
        tracker.initialize(FRAME, BOX)
        for _ in range(5):
            tracker.track(FRAME)
        assert tracker.backend.encodes == encodes, kw


def test_subject_at_the_frame_edge_is_padded_and_clamped(weights, monkeypatch):
    tracker, planted = make(weights, monkeypatch, keep_maps=True)
    tracker.initialize(FRAME, (300.0, 200.0, 30.0, 60.0))  # partly outside the 320x240 frame
    planted.subject_peak = (N - 1, N - 1)  # runs off towards the corner
    for _ in range(3):
        r = tracker.track(FRAME)
    cx, cy = r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2
    assert cx == 320.0 and cy == 240.0  # centre clamped to the frame
    assert (r.maps.search[-1, -1] == 90).all()  # padded with the frame's mean colour


def test_real_networks_run_and_keep_every_map(weights):
    tracker = PartTracker(weights, keep_maps=True, lost_threshold=0.0, redetect_threshold=0.0)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    tracker.initialize(frame, BOX)
    r = tracker.track(frame)
    S = CFG.search_size
    shapes = {
        "search": (S, S, 3), "part_heatmap": (2, N, N), "part_size": (4, N, N),
        "part_offset": (4, N, N), "subject_heatmap": (1, N, N), "subject_size": (2, N, N),
        "subject_offset": (2, N, N), "part_region": (2, N, N), "product": (2, N, N),
    }
    assert {k: getattr(r.maps, k).shape for k in shapes} == shapes
    assert isinstance(r.maps, TrackMaps) and isinstance(r.maps.window, CropWindow)
    assert r.maps.parts == CFG.parts and r.maps.stride == STRIDE
    np.testing.assert_array_equal(r.maps.product, r.maps.part_heatmap * r.maps.part_region)
    assert r.score == pytest.approx(float(r.maps.subject_heatmap.max()), abs=0.5)


def test_config_checks_and_yaml_keys(weights, tmp_path):
    with pytest.raises(ValueError, match="method must be one of"):
        TrackerConfig(method="nearest")
    with pytest.raises(ValueError, match="redetect_threshold must be >= lost_threshold"):
        TrackerConfig(lost_threshold=0.5, redetect_threshold=0.3)
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict(TrackerConfig, {"window": 0.2})
    cfg = from_dict(TrackerConfig, {"parts": ["eye"], "method": "top-down"})
    assert cfg == dataclasses.replace(TrackerConfig(), parts=("eye",), method="top-down")
    with pytest.raises(RuntimeError, match="initialize"):
        PartTracker(weights).track(FRAME)
    with pytest.raises(ValueError, match=r"frame must be an \(H, W, 3\) uint8"):
        PartTracker(weights).initialize(FRAME[..., 0], BOX)


def test_refound_where_the_subject_went_while_hidden(weights, monkeypatch):
    """A subject walks right at 12 px/frame and is hidden on frames 5-9; the planted subject
    map shows it (score 0.9, exact sub-element offset) only while visible AND inside the
    search window. The widening search catches it where it went."""
    W, H, speed = 640, 480, 12.0
    tracker, planted = make(weights, monkeypatch)
    planted.frame_size = (W, H)
    frame = np.full((H, W, 3), 90, np.uint8)
    t = {"i": 0}

    def truth(i: int) -> tuple[float, float]:
        return 100.0 + speed * i, 200.0

    def subject_maps(batch):
        m = Planted.__call__(planted, batch)
        window = tracker._search_window(W, H)
        m["subject_heatmap"][:] = 0.01
        m["subject_offset"][:] = 0.0
        e = window.to_crop(np.array(truth(t["i"]))) / STRIDE
        ex, ey = int(np.floor(e[0])), int(np.floor(e[1]))
        if not 5 <= t["i"] <= 9 and 0 <= ex < N and 0 <= ey < N:
            m["subject_heatmap"][0, 0, ey, ex] = 0.9
            m["subject_offset"][0, :, ey, ex] = (e[0] - ex, e[1] - ey)
        return m

    tracker.backend.fn = subject_maps
    cx, cy = truth(0)
    tracker.initialize(frame, (cx - 15, cy - 45, 30.0, 90.0))
    lost = []
    for i in range(1, 16):
        t["i"] = i
        r = tracker.track(frame, frame_index=i)
        lost.append(r.lost)
        if not r.lost:
            centre = (r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2)
            assert centre == pytest.approx(truth(i), abs=1e-6), i
    assert lost[:4] == [False] * 4 and all(lost[4:9])  # frames 1-4 tracked, 5-9 lost
    assert lost[9:] == [False] * 6  # found on frame 10, 72 px from where it was hidden


def test_oracle_maps_on_a_crossing_clip_hit_the_subjects_head(weights, monkeypatch):
    """End to end on a synthetic crossing clip with maps drawn from its annotations (an
    'oracle' network): likelihood peaks on EVERY person's head, region on the subject's own.
    The whole chain (search window -> maps -> peak -> image) must land on the subject's head
    in every frame, including when another head is within one head height."""
    suites = pytest.importorskip("parttrack.synth.suites", reason="synthetic suites not written yet")
    from parttrack.evaluation.metrics import part_outcomes, summarize_parts

    clip = suites.build_suite("crossing", limit=1)[0]
    seq, sid = clip.sequence, clip.sequence.subject_id
    H, W = clip.frames[0].shape[:2]
    tracker = PartTracker(weights, parts=("head",), backend=FnBackend(), identity=False, refine_start=False)
    state = {"k": 0}

    def peak_at(m: np.ndarray, off: np.ndarray | None, e: np.ndarray, k: int = 0) -> None:
        ex, ey = int(round(e[0])), int(round(e[1]))
        if 0 <= ex < N and 0 <= ey < N:
            m[k] = np.maximum(m[k], blob(ex, ey))
            if off is not None:
                off[2 * k : 2 * k + 2, ey, ex] = (e[0] - ex, e[1] - ey)

    def oracle(batch):
        window = tracker._search_window(W, H)
        m = {k: np.zeros(s, np.float32) for k, s in (
            ("part_heatmap", (2, N, N)), ("part_region", (2, N, N)), ("part_size", (4, N, N)),
            ("part_offset", (4, N, N)), ("subject_heatmap", (1, N, N)), ("subject_size", (2, N, N)),
            ("subject_offset", (2, N, N)))}
        ann = seq.frames.get(state["k"])
        for s in () if ann is None else ann.subjects:
            head = s.part("head")
            if head is not None:
                c = np.array([head.box[0] + head.box[2] / 2, head.box[1] + head.box[3] / 2])
                peak_at(m["part_heatmap"], m["part_offset"], window.to_crop(c) / STRIDE)
                if s.id == sid:
                    peak_at(m["part_region"], None, window.to_crop(c) / STRIDE)
            if s.id == sid:
                c = np.array([s.box[0] + s.box[2] / 2, s.box[1] + s.box[3] / 2])
                peak_at(m["subject_heatmap"], m["subject_offset"], window.to_crop(c) / STRIDE)
                m["subject_size"][0] = s.box[2] * window.scale / STRIDE
                m["subject_size"][1] = s.box[3] * window.scale / STRIDE
        return {k: v[None] for k, v in m.items()}

    tracker.backend.fn = oracle
    track = seq.track_of(sid)
    first = min(track)
    points = {}
    for k in range(first, len(clip.frames)):
        state["k"] = k
        r = tracker.initialize(clip.frames[k], track[k].box, k) if k == first else tracker.track(clip.frames[k], k)
        points[k] = None if r.parts["head"] is None else r.parts["head"].point
    recs = part_outcomes(points, seq, sid, "head", only=[k for k in points if k > first])
    close = [r for r in recs if r.bucket == "<1"]
    assert len(recs) > 50 and close  # the clip has crossing frames
    assert summarize_parts(recs)["hit_rate"] == 1.0
