"""The track pipeline (parttrack.pipeline): one box or several, sinks per frame, real-time mode."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import parttrack.data.prefetch
from parttrack.data.video import VideoWriter
from parttrack.models import ModelConfig
from parttrack.outputs import Sink
from parttrack.pipeline import subject_boxes, track_frames, track_video
from parttrack.tracker import PartTracker
from parttrack.tracker.result import TrackResult
from tests.weights_helpers import random_weights

W, H, FRAMES = 160, 120, 12
BOXES = [(60.0, 30.0, 20.0, 50.0), (100.0, 40.0, 24.0, 60.0)]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipeline") / "clip.mp4"
    with VideoWriter(path, 25.0, (W, H)) as w:
        for i in range(FRAMES):
            img = np.full((H, W, 3), (60, 90, 70), np.uint8)
            cv2.rectangle(img, (60 + 2 * i, 30), (80 + 2 * i, 80), (40, 40, 200), -1)
            w.write(img)
    return path


@pytest.fixture(scope="module")
def tracker() -> PartTracker:
    w = random_weights(0, ModelConfig(parts=("head",), width=8))
    return PartTracker(w, backend="torch", num_threads=1, lost_threshold=0.0, redetect_threshold=0.0)


class Recorder(Sink):
    """Keeps each call: ``write_many`` once per frame with all its results."""

    def __init__(self, on_frame=None) -> None:  # noqa: ANN001
        self.frames: list[list[TrackResult]] = []
        self.on_frame = on_frame

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        raise AssertionError("the pipeline hands a frame's results over at once")

    def write_many(self, frame: np.ndarray, results) -> None:  # noqa: ANN001
        self.frames.append(list(results))
        if self.on_frame is not None:
            self.on_frame(len(self.frames))


def test_subject_boxes() -> None:
    assert subject_boxes(None) == []
    assert subject_boxes((1, 2, 3, 4)) == [(1, 2, 3, 4)]
    assert subject_boxes([(1, 2, 3, 4), [5.0, 6.0, 7.0, 8.0]]) == [(1, 2, 3, 4), (5.0, 6.0, 7.0, 8.0)]


def test_one_box_and_several(tracker: PartTracker, video: Path) -> None:
    one = Recorder()
    s = track_video(tracker, video, BOXES[0], sinks=[one], keep_results=True)
    assert s.frames == FRAMES and s.subjects == 1 and s.dropped == 0
    assert all(len(r) == 1 and r[0].subject == 0 for r in one.frames)
    both = Recorder()
    s2 = track_video(tracker, video, BOXES, sinks=[both], keep_results=True)
    assert s2.frames == FRAMES and s2.subjects == 2 and len(both.frames) == FRAMES
    assert [[r.subject for r in f] for f in both.frames] == [[0, 1]] * FRAMES
    assert [(r.frame, r.subject) for r in s2.results] == [(k, i) for k in range(FRAMES) for i in (0, 1)]
    assert both.frames[0][1].box == BOXES[1]
    # subject 0 of the pair is the one-box run (up to the backend's batch rounding)
    for a, b in zip(s.results, s2.results[::2], strict=True):
        assert a.frame == b.frame and a.lost == b.lost
        np.testing.assert_allclose(a.box, b.box, atol=1e-3)
    frames = [(k, np.full((H, W, 3), 90, np.uint8)) for k in range(3)]
    s3 = track_frames(tracker, frames, [BOXES[0]])  # a list of one box is one subject too
    assert s3.frames == 3 and s3.subjects == 1


@pytest.mark.parametrize("realtime", [True, False])
def test_realtime_drops_frames_the_tracker_is_too_slow_for(tracker: PartTracker, video: Path, realtime: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    readers = []
    real = parttrack.data.prefetch.prefetch

    def spy(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        readers.append(real(*args, **kw))
        return readers[-1]

    def slow(n: int) -> None:  # the tracker is "too slow": the reader reads everything meanwhile
        if n == 1 and realtime:
            readers[0]._thread.join(timeout=60)

    monkeypatch.setattr(parttrack.data.prefetch, "prefetch", spy)
    sink = Recorder(slow)
    s = track_video(tracker, video, BOXES[0], start=1, sinks=[sink], realtime=realtime)
    assert readers[0].read == FRAMES - 1
    if not realtime:
        assert s.dropped == 0 and s.frames == FRAMES - 1  # nothing dropped unless asked
        return
    assert s.dropped > 0 and s.frames + s.dropped == FRAMES - 1  # every frame read is tracked or dropped
    assert sink.frames[0][0].frame == 1  # the first frame (where the box is given) is never dropped
    assert sink.frames[-1][0].frame == FRAMES - 1  # then the newest
