"""The evaluation (plan, run, score): subject plans, one decode per video, every method from one run,
and exact outcomes end to end on planted maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parttrack.crop import CropWindow
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.evaluation.plan import (
    ALL_METHODS,
    NO_WEIGHTS,
    TRACKER_METHODS,
    EvalData,
    frames_to_decode,
    path_data,
    plan_subjects,
)
from parttrack.evaluation.run import decode_methods, evaluate, run_sequence
from parttrack.evaluation.score import score_run
from parttrack.maps import element_product
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, Weights
from parttrack.tracker.part_tracker import PartTracker, TrackerConfig
from parttrack.tracker.result import TrackMaps

W, H = 320, 240
BODY = (30.0, 80.0)


def head_of(x: float, y: float) -> tuple[float, float, float, float]:
    return (x + 9.0, y, 12.0, 12.0)


def toy_clip(n: int = 12, gap: float = 12.0) -> tuple[AnnotatedSequence, list[np.ndarray]]:
    """Two people walking right side by side, ``gap`` px apart; subject 0 is the chosen one.
    Person 1's head centre lies inside person 0's body box (a hijack trap)."""
    frames, anns = [], {}
    rng = np.random.default_rng(0)
    bg = rng.integers(60, 120, (H, W, 3), dtype=np.uint8)
    for k in range(n):
        img = bg.copy()
        subs = []
        for pid in (1, 0):  # subject drawn last (in front)
            x, y = 60.0 + 3 * k + gap * pid, 80.0
            xi, yi = int(x), int(y)
            img[yi : yi + 80, xi : xi + 30] = (40 + 120 * pid, 60, 200 - 120 * pid)
            img[yi + 40 : yi + 80 : 8, xi : xi + 30] = 255  # texture for CSRT
            img[yi : yi + 12, xi + 9 : xi + 21] = (140, 170, 225)
            subs.append(Subject(pid, (x, y, *BODY), 1.0, {"head": PartBox(head_of(x, y)), "eye": None}))
        frames.append(img)
        anns[k] = FrameAnnotation(k, tuple(subs))
    info = SequenceInfo("toy", W, H, 25.0, n, None, ("head", "eye"))
    return AnnotatedSequence(info, anns, subject_id=0), frames


def counting_data(seq: AnnotatedSequence, frames: list[np.ndarray], log: list[int]) -> EvalData:
    def gen(a: int, b: int):
        for k in range(a, b + 1):
            log.append(k)
            yield k, frames[k]

    return EvalData("toy", seq, gen)


@pytest.fixture(scope="module")
def weights() -> Weights:
    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    return Weights(cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())


def test_run_sequence_decodes_each_frame_once_and_fills_every_track(weights: Weights) -> None:
    seq, frames = toy_clip(10)
    log: list[int] = []
    runs = run_sequence(counting_data(seq, frames, log), {"a": weights, "b": weights}, ALL_METHODS, "all",
                        tracker_config=TrackerConfig(lost_threshold=0.0, redetect_threshold=0.0))
    assert log == list(range(10))  # two subjects, two weights: still one pass over the video
    assert frames_to_decode(counting_data(seq, frames, []), "all", None) == 10
    assert [r.plan.subject_id for r in runs] == [0, 1]
    expected = {(lbl, m) for lbl in "ab" for m in TRACKER_METHODS}
    expected |= {("a", "csrt+top-down"), ("b", "csrt+top-down"), (NO_WEIGHTS, "csrt+box-prior")}
    for r in runs:
        assert r.parts == ("head", "eye")
        assert set(r.tracks) == expected
        for t in r.tracks.values():
            assert sorted(t.boxes) == list(range(1, 10))  # init frame 0 is not a prediction
            assert sorted(t.points["head"]) == list(range(1, 10))


def test_decode_methods_product_matches_the_trackers_own_output(weights: Weights) -> None:
    seq, frames = toy_clip(4)
    t = PartTracker(weights, TrackerConfig(lost_threshold=0.0, redetect_threshold=0.0, part_threshold=0.0,
                                           identity=False, point_filter=False), keep_maps=True)
    t.initialize(frames[0], seq.frames[0].get(0).box)
    for k in (1, 2, 3):
        r = t.track(frames[k], k)
        got = decode_methods(r, ("head", "eye"), TRACKER_METHODS)
        assert got["product"]["head"] == r.parts["head"].point
        assert got["product"]["eye"] == r.parts["eye"].point
    lost = t.track(frames[3], 4)
    object.__setattr__(lost, "lost", True)
    assert decode_methods(lost, ("head",), ("product", "top-down")) == {
        "product": {"head": None}, "top-down": {"head": None}}


def planted_maps(seq: AnnotatedSequence, sid: int, cfg: ModelConfig):
    """A replacement for ``PartTracker._maps`` (crop + backend -> TrackMaps): the subject where annotated; a strong head
    likelihood at the OTHER person's head, a weaker one at the subject's; the region map on
    the subject's head only. Offsets make decoded points exact."""
    n, s = cfg.map_size, cfg.stride

    def plant(m: np.ndarray, off: np.ndarray | None, window: CropWindow, pt, value: float) -> None:
        e = window.to_crop(np.array(pt)) / s
        ix, iy = int(round(e[0])), int(round(e[1]))
        m[iy, ix] = value
        if off is not None:
            off[:, iy, ix] = e[0] - ix, e[1] - iy

    def fake(self: PartTracker, frame: np.ndarray, window: CropWindow):
        ann = seq.frames[self._frame]
        me, other = ann.get(sid), ann.get(1 - sid)
        z = lambda c: np.zeros((c, n, n), np.float32)  # noqa: E731
        maps = {"subject_heatmap": z(1), "subject_size": z(2), "subject_offset": z(2),
                "part_heatmap": z(2), "part_size": z(4), "part_offset": z(4), "part_region": z(2)}
        c = (me.box[0] + me.box[2] / 2, me.box[1] + me.box[3] / 2)
        plant(maps["subject_heatmap"][0], maps["subject_offset"], window, c, 0.9)
        maps["subject_size"][0] = me.box[2] * window.scale / s
        maps["subject_size"][1] = me.box[3] * window.scale / s
        hc = lambda b: (b[0] + b[2] / 2, b[1] + b[3] / 2)  # noqa: E731
        plant(maps["part_heatmap"][0], maps["part_offset"][0:2], window, hc(other.part("head").box), 0.9)
        plant(maps["part_heatmap"][0], maps["part_offset"][0:2], window, hc(me.part("head").box), 0.6)
        plant(maps["part_region"][0], None, window, hc(me.part("head").box), 0.8)
        product = element_product(maps["part_heatmap"], maps["part_region"])
        return TrackMaps(window.warp(frame), window, cfg.parts, s, product=product, **maps)

    return fake


def test_planted_maps_give_exact_outcomes_per_method(weights: Weights, monkeypatch) -> None:
    seq, frames = toy_clip(8)
    monkeypatch.setattr(PartTracker, "_maps", planted_maps(seq, 0, weights.config))
    data = EvalData("toy", seq, lambda a, b: ((k, frames[k]) for k in range(a, b + 1)))
    single_peak = TrackerConfig(identity=False, point_filter=False, refine_start=False)  # planted _maps
    ev = evaluate([data], {"w": weights}, TRACKER_METHODS, "chosen", tracker_config=single_peak)
    rows = {r["method"]: r for r in ev.rows if r["part_name"] == "head"}
    assert set(rows) == set(TRACKER_METHODS)
    assert {r["part_name"] for r in ev.rows} == {"head"}  # eyes annotated absent: no rows
    assert rows["product"]["part"]["frames"] == 7  # frames 1..7 scored
    assert rows["product"]["part"]["hit_rate"] == 1.0
    assert rows["product"]["part"]["median_error"] == pytest.approx(0.0, abs=1e-6)
    assert rows["region-only"]["part"]["hit_rate"] == 1.0
    assert rows["top-down"]["part"]["hijack_rate"] == 1.0  # the stronger head inside the box
    assert rows["bottom-up"]["part"]["hit_rate"] == 1.0  # nearest peak to the head prior
    assert rows["box-prior"]["part"]["hit_rate"] == 1.0
    # proximity 12 px / 12 px head = 1.0 -> bucket "1-2"
    assert rows["product"]["by_bucket"]["1-2"]["part"]["frames"] == 7
    s = rows["product"]["subject"]
    assert s["lost_frames"] == 0 and s["mean_iou"] == pytest.approx(1.0)
    assert s["success_auc"] == pytest.approx(20 / 21)  # IoU 1 is not > threshold 1
    assert ev.sequences == [{"data": "toy", "sequence": "toy", "subjects": [0]}]
    assert {(r["method"], r["parts"]["head"]["hit"]) for r in ev.runs} == {(m, 7 if m != "top-down" else 0)
                                                                           for m in TRACKER_METHODS}


def test_random_weights_lose_the_subject_and_every_method_misses(weights: Weights) -> None:
    seq, frames = toy_clip(5)
    data = EvalData("toy", seq, lambda a, b: ((k, frames[k]) for k in range(a, b + 1)))
    ev = evaluate([data], {"w": weights}, ["product", "top-down"], "chosen")
    for r in ev.rows:
        if r["part_name"] == "head":
            # untrained heatmap ~ sigmoid(-2.19) = 0.1 < lost threshold 0.2
            assert r["subject"]["lost_frames"] == 4 and r["part"]["misses"] == 4


def test_held_out_town_centre_plan_and_one_pass(shared_data) -> None:

    data = path_data(shared_data / "towncentre" / "clip_f0249_n149.mp4")
    plans = plan_subjects(data.sequence, "all")
    # 20 people, 17 annotated >= 10 frames; those walking in start once >= 90 % inside
    assert len(data.sequence.subject_ids()) == 20 and len(plans) == 17
    starts = {p.subject_id: p.start for p in plans}
    assert starts[6] == 0 and starts[22] == 20 and starts[30] == 127
    for p in plans:
        sub = data.sequence.frames[p.start].get(p.subject_id)
        assert p.box == sub.box and p.end == max(data.sequence.track_of(p.subject_id))
    decoded: list[int] = []
    runs = run_sequence(data, {}, ["csrt+box-prior"], "all", max_frames=2, on_frame=decoded.append)
    assert len(decoded) == max(p.start for p in plans) + 2 + 1  # frames 0..129, each once
    recs = [r for run in runs for v in score_run(run, data.sequence).values() for r in v["parts"]["head"]]
    assert len(recs) == 2 * 17
    # a classic tracker + head prior on the frames right after a ground-truth start: most
    # heads are hit, which can only happen if image coordinates line up end to end
    assert sum(r.outcome == "hit" for r in recs) / len(recs) > 0.6


def test_one_shared_backend_per_weights_gives_the_same_tracks(weights: Weights) -> None:
    """Every subject's tracker may share its label's backend (the template lives in the tracker)."""
    from parttrack.evaluation.run import make_backends

    seq, frames = toy_clip(12)
    cfg = TrackerConfig(lost_threshold=0.0, redetect_threshold=0.0)
    shared = make_backends({"a": weights}, {"a": None}, "torch")
    assert set(shared) == {"a"} and shared["a"].name == "torch"
    alone = run_sequence(counting_data(seq, frames, []), {"a": weights}, ("product", "top-down"), "all",
                         tracker_config=cfg)
    together = run_sequence(counting_data(seq, frames, []), {"a": weights}, ("product", "top-down"), "all",
                            tracker_config=cfg, backends=shared)
    assert len(alone) == len(together) == 2
    for r0, r1 in zip(alone, together, strict=True):
        for key, t in r0.tracks.items():
            assert t.boxes == r1.tracks[key].boxes and t.points == r1.tracks[key].points
