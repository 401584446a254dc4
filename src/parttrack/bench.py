"""``parttrack bench``: per-stage speed of the tracker and of OpenCV peers on the same frames.

Every frame is decoded ONCE and handed to every method in turn (the parttrack tracker on each
backend, OpenCV CSRT and KCF, optionally N subjects at once through
:class:`~parttrack.tracker.MultiTracker` -- the ``track --box ... --box ...`` path, one batched
network call per frame -- and a raw batch of K subjects), so all methods see the same frames
under the same machine load. Stages:

* ``decode``: reading the frame (``parttrack.data.video.open_video``, what ``track`` uses);
* ``crop``: the search-crop warp and its float conversion;
* ``networks``: both networks ([0056]-[0058]) in one backend call;
* ``post``: element product, peaks and mapping to the image ([0059]-[0061]) and the tracker's
  subject update;
* ``process`` = crop + networks + post (a peer's whole ``update``), ``end_to_end`` = decode +
  process; ``process_cpu``: CPU time of the calling thread over ``process`` (with one
  intra-op thread all of parttrack's work runs there, so it is what ``process`` would take on
  an idle machine; OpenCV worker threads a peer may use are not counted).

Example::

    report = run_bench("clip.mp4", (850, 300, 60, 170), weights=load_weights(), frames=100)
    console.print(render_table(report))
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from parttrack.atomic import write_text
from parttrack.crop import CropWindow, mean_colour
from parttrack.data.types import BoxXYWH
from parttrack.errors import UsageError
from parttrack.maps import map_to_image
from parttrack.models.io import Weights
from parttrack.runtime.backend import BACKENDS, DEFAULT_THREADS, cpu_count, make_backend
from parttrack.runtime.graphs import PEAK_OUTPUTS

PEERS: dict[str, Callable[[], Any]] = {
    "csrt": lambda: cv2.TrackerCSRT_create(),
    "kcf": lambda: cv2.TrackerKCF_create(),
}
STAGES = ("decode", "crop", "networks", "post", "process", "process_cpu", "end_to_end")


def stage_stats(ms: list[float]) -> dict[str, float]:
    """Median, 90th percentile and mean of per-frame times (milliseconds)."""
    if not ms:
        return {"median_ms": float("nan"), "p90_ms": float("nan"), "mean_ms": float("nan")}
    a = np.asarray(ms, dtype=np.float64)
    return {
        "median_ms": round(float(np.median(a)), 4),
        "p90_ms": round(float(np.percentile(a, 90)), 4),
        "mean_ms": round(float(a.mean()), 4),
    }


@dataclass
class _Times:
    """Per-frame stage times (ms) of one method."""

    crop: list[float]
    networks: list[float]
    post: list[float]
    process: list[float]
    cpu: list[float]  # CPU time of the calling thread over the whole process stage

    @classmethod
    def new(cls) -> _Times:
        return cls([], [], [], [], [])


class _TrackerMethod:
    """A :class:`~parttrack.tracker.PartTracker` on one backend, or with ``boxes`` a
    :class:`~parttrack.tracker.MultiTracker` of those subjects (the run's box is then not
    used); its crop and network stages are read from ``timings`` after each frame."""

    def __init__(self, weights: Weights, backend: str, threads: int | None, device: str,
                 height: int | None = None, boxes: list[BoxXYWH] | None = None, **overrides: Any) -> None:
        from parttrack.tracker.multi import MultiTracker
        from parttrack.tracker.part_tracker import PartTracker

        self.tracker: Any = PartTracker(weights, device=device, backend=backend, num_threads=threads, **overrides)
        self.boxes, self.k = boxes, len(boxes) if boxes else 1
        if boxes:
            self.tracker = MultiTracker(self.tracker)
        self.times = _Times.new()
        self.height = height  # track the frame resized to this height (the resize is not timed)

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        if self.height is None or self.height == frame.shape[0]:
            return frame
        h, w = frame.shape[:2]
        return cv2.resize(frame, (round(w * self.height / h), self.height), interpolation=cv2.INTER_LINEAR)

    def init(self, frame: np.ndarray, box: BoxXYWH) -> None:
        s = 1.0 if self.height is None else self.height / frame.shape[0]
        self.tracker.initialize(self._frame(frame), self.boxes or tuple(v * s for v in box))

    def step(self, frame: np.ndarray, record: bool) -> float:
        frame = self._frame(frame)
        c, t = time.thread_time(), time.perf_counter()
        self.tracker.track(frame)
        total, cpu = time.perf_counter() - t, time.thread_time() - c
        if record:
            crop, net = self.tracker.timings["crop"], self.tracker.timings["networks"]
            self.times.crop.append(crop * 1e3)
            self.times.networks.append(net * 1e3)
            self.times.post.append((total - crop - net) * 1e3)
            self.times.process.append(total * 1e3)
            self.times.cpu.append(cpu * 1e3)
        return total


class _PeerMethod:
    """An OpenCV tracker (``update`` timed as one stage)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tracker = PEERS[name]()
        self.times = _Times.new()

    def _refuse(self, frame: np.ndarray) -> UsageError:
        h, w = frame.shape[:2]
        return UsageError(f"OpenCV {self.name.upper()} cannot track in a {w}x{h} frame; use --peers none")

    def init(self, frame: np.ndarray, box: BoxXYWH) -> None:
        try:
            self.tracker.init(frame, tuple(int(round(v)) for v in box))
        except cv2.error:
            raise self._refuse(frame) from None

    def step(self, frame: np.ndarray, record: bool) -> float:
        c, t = time.thread_time(), time.perf_counter()
        try:
            self.tracker.update(frame)
        except cv2.error:
            raise self._refuse(frame) from None
        total, cpu = time.perf_counter() - t, time.thread_time() - c
        if record:
            self.times.process.append(total * 1e3)
            self.times.cpu.append(cpu * 1e3)
        return total


class _BatchMethod:
    """K subjects per frame through ONE batched network call, post-processing vectorised
    over K from the frame graph's in-graph peaks ([0060]-[0061]).

    A throughput measurement: subjects follow their subject peak (no cosine window or size
    penalty, unlike :class:`~parttrack.tracker.PartTracker`).
    """

    def __init__(self, weights: Weights, backend: str, threads: int | None, device: str, k: int) -> None:
        self.backend = make_backend(weights, backend, threads, device)
        self.cfg = weights.config
        self.k = k
        S, T = self.cfg.search_size, self.cfg.template_size
        self.search = np.empty((k, 3, S, S), np.float32)
        self.template = np.empty((k, 3, T, T), np.float32)
        self.boxes = np.zeros((k, 4))
        self.feat: np.ndarray | None = None
        self.times = _Times.new()

    def init(self, frame: np.ndarray, box: BoxXYWH) -> None:
        x, y, w, h = box
        H, W = frame.shape[:2]
        for i in range(self.k):  # K subjects side by side, shifted by half a box width each
            dx = (i - (self.k - 1) / 2.0) * w / 2.0
            self.boxes[i] = (min(max(x + dx, -w / 2), W - w / 2), y, w, h)
            win = CropWindow.around(tuple(self.boxes[i]), self.cfg.template_size, 1.0, self.cfg.context)
            np.multiply(win.warp(frame).transpose(2, 0, 1), np.float32(1 / 255), out=self.template[i])
        self.feat = self.backend.encode_template(self.template)

    def step(self, frame: np.ndarray, record: bool) -> float:
        cfg, stride = self.cfg, self.cfg.stride
        c0, t0 = time.thread_time(), time.perf_counter()
        border = mean_colour(frame)  # one padding colour for the K crops
        wins = [CropWindow.around(tuple(b), cfg.search_size, cfg.search_factor, cfg.context) for b in self.boxes]
        for i, win in enumerate(wins):
            np.multiply(win.warp(frame, border).transpose(2, 0, 1), np.float32(1 / 255), out=self.search[i])
        t1 = time.perf_counter()
        out = self.backend.run(self.feat, self.search, PEAK_OUTPUTS)
        t2 = time.perf_counter()
        centre = np.array([[w.cx, w.cy] for w in wins])
        scale = np.array([w.scale for w in wins])[:, None]
        S = cfg.search_size
        pt = out["subject_peak"][:, 0] + out["subject_peak_offset"][:, 0]  # (K, 2) elements
        img = map_to_image(pt, stride, centre, scale, S)
        size = np.maximum(out["subject_peak_size"][:, 0] * stride / scale, 4.0)
        self.boxes[:, 2:] = 0.6 * self.boxes[:, 2:] + 0.4 * size
        self.boxes[:, :2] = img - self.boxes[:, 2:] / 2.0
        part = out["part_peak"] + out["part_peak_offset"]  # (K, P, 2) elements
        self.parts = map_to_image(part, stride, centre[:, None], scale[:, None], S)
        t3 = time.perf_counter()
        if record:
            self.times.crop.append((t1 - t0) * 1e3)
            self.times.networks.append((t2 - t1) * 1e3)
            self.times.post.append((t3 - t2) * 1e3)
            self.times.process.append((t3 - t0) * 1e3)
            self.times.cpu.append((time.thread_time() - c0) * 1e3)
        return t3 - t0


def _summary(times: _Times, decode: list[float], subjects: int = 1) -> dict[str, Any]:
    stages: dict[str, Any] = {"decode": stage_stats(decode)}
    for name in ("crop", "networks", "post"):
        if getattr(times, name):
            stages[name] = stage_stats(getattr(times, name))
    stages["process"] = stage_stats(times.process)
    stages["process_cpu"] = stage_stats(times.cpu)
    e2e = [d + p for d, p in zip(decode, times.process, strict=True)]
    stages["end_to_end"] = stage_stats(e2e)
    n = len(times.process)
    return {
        "frames": n,
        "subjects": subjects,
        "stages": stages,
        "fps_process": round(1e3 * n / sum(times.process), 2) if n else None,
        "fps_process_cpu": round(1e3 * n / sum(times.cpu), 2) if n and sum(times.cpu) > 0 else None,
        "fps_end_to_end": round(1e3 * n / sum(e2e), 2) if n else None,
        "subject_fps_process": round(1e3 * n * subjects / sum(times.process), 2) if n else None,
    }


def fill_boxes(boxes: list[BoxXYWH], n: int, frame_size: tuple[int, int]) -> list[BoxXYWH]:
    """The first ``n`` of ``boxes``, filled up with copies of the first one box width apart,
    alternating right and left inside the ``(W, H)`` frame (they track whoever is there)."""
    out = [tuple(float(v) for v in b) for b in boxes[:n]]
    x, y, w, h = out[0]
    W, _ = frame_size
    for i in range(1, n - len(out) + 1):
        dx = ((i + 1) // 2) * w * (1 if i % 2 else -1)
        out.append((min(max(x + dx, 0.0), max(W - w, 0.0)), y, w, h))
    return out  # type: ignore[return-value]


def run_bench(
    video: str | Path,
    box: BoxXYWH | list[BoxXYWH],
    weights: Weights,
    frames: int = 100,
    start: int = 0,
    backends: tuple[str, ...] = BACKENDS,
    peers: tuple[str, ...] = ("csrt", "kcf"),
    threads: int | None = None,
    batch: int = 1,
    warmup: int = 5,
    device: str = "cpu",
    single_peak: bool = True,
    heights: tuple[int, ...] = (),
    subjects: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Benchmark every method on the same ``frames`` frames of ``video``.

    Args:
        video: video file or image folder; ``box`` ``(x, y, w, h)`` pixels on frame ``start``
            (or a list of boxes: the first is the single-subject methods', all of them are
            the ``subjects`` runs' subjects).
        weights: the models (timing does not depend on their values).
        frames: frames tracked after the first (initialisation) frame.
        backends: parttrack backends to time (each through ``PartTracker``).
        peers: OpenCV trackers to time (keys of :data:`PEERS`).
        threads: intra-op threads of both backends, torch included (None:
            :data:`parttrack.runtime.backend.DEFAULT_THREADS`; torch's own default of one thread per
            core makes its OpenMP workers spin against the decoder and the other methods).
        batch: with K > 1, also time K subjects through one batched call per backend.
        warmup: first tracked frames left out of the statistics.
        single_peak: also time each backend's tracker in the single-peak mode (``identity=False``).
        heights: also time the tracker (onnxruntime if timed, else the first backend) on the
            frames resized to these heights (e.g. 1080, 2160: the cost vs resolution; the
            resize is not timed, ``decode`` stays that of the source video).
        subjects: also time each backend's :class:`~parttrack.tracker.MultiTracker` with N
            subjects for each N (the first N boxes, :func:`fill_boxes`): ``fps_process`` is
            frames per second with all N tracked.

    Returns:
        A JSON-able report: per method per-stage ``median_ms`` / ``p90_ms`` / ``mean_ms``,
        ``fps_process`` (excluding decode), ``fps_end_to_end`` and ``x_csrt`` (end-to-end fps
        over CSRT's).
    """
    from parttrack.data.video import open_video
    from parttrack.pipeline import check_box_in_frame, subject_boxes

    if frames < 1:
        raise UsageError(f"--frames must be >= 1, got {frames}")
    if batch < 1:
        raise UsageError(f"--batch must be >= 1, got {batch}")
    if any(n < 1 for n in subjects):
        raise UsageError(f"--subjects must be numbers >= 1, got {','.join(map(str, subjects))}")
    given = subject_boxes(box)
    box = given[0]
    unknown = [b for b in backends if b not in BACKENDS] + [p for p in peers if p not in PEERS]
    if unknown:
        raise UsageError(f"unknown backend/peer {', '.join(unknown)} (known: {', '.join(BACKENDS + tuple(PEERS))})")
    threads = DEFAULT_THREADS if threads is None else threads
    if threads < 1:
        raise UsageError(f"--threads must be >= 1, got {threads}")
    warmup = max(0, min(warmup, frames // 2))
    decode: list[float] = []
    with open_video(video, start=start, end=start + frames) as source:
        info = source.info
        for b in given:
            check_box_in_frame(b, info.width, info.height)
        methods: dict[str, Any] = {f"parttrack-{b}": _TrackerMethod(weights, b, threads, device) for b in backends}
        if single_peak:
            methods.update({f"parttrack-{b} single-peak": _TrackerMethod(weights, b, threads, device, identity=False)
                            for b in backends})
        if backends:
            hb = "onnxruntime" if "onnxruntime" in backends else backends[0]
            methods.update({f"parttrack-{hb} {h}p": _TrackerMethod(weights, hb, threads, device, h) for h in heights})
        methods.update({p: _PeerMethod(p) for p in peers})
        for n in subjects:
            ns = fill_boxes(given, n, (info.width, info.height))
            methods.update({f"parttrack-{b} {n} subjects": _TrackerMethod(weights, b, threads, device, boxes=ns)
                            for b in backends})
        if batch > 1:
            methods.update(
                {f"batch{batch}-{b}": _BatchMethod(weights, b, threads, device, batch) for b in backends}
            )
        load_before = os.getloadavg()
        it = iter(source)
        first = next(it)
        for m in methods.values():
            m.init(first.image, box)
        n = 0
        while True:
            t = time.perf_counter()
            f = next(it, None)
            dt = time.perf_counter() - t
            if f is None:
                break
            record = n >= warmup
            if record:
                decode.append(dt * 1e3)
            for m in methods.values():
                m.step(f.image, record)
            n += 1
    if not decode:
        raise UsageError(f"too few frames to time: {n} tracked, warm-up {warmup}; raise --frames")
    results = {
        name: _summary(m.times, decode, getattr(m, "k", 1)) for name, m in methods.items()
    }
    csrt = results.get("csrt", {}).get("fps_end_to_end")
    for r in results.values():
        r["x_csrt"] = round(r["fps_end_to_end"] / csrt, 2) if csrt else None
    return {
        "video": str(video),
        "width": info.width,
        "height": info.height,
        "box": [float(v) for v in box],
        "subject_boxes": [list(b) for b in fill_boxes(given, max(subjects, default=1), (info.width, info.height))],
        "start": start,
        "frames_timed": len(decode),
        "warmup": warmup,
        "threads": threads,
        "batch": batch,
        "model": {"width": weights.config.width, "search_size": weights.config.search_size},
        "machine": {
            "cpus": cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        },
        "methods": results,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def render_table(report: dict[str, Any]):  # -> rich.table.Table
    """A rich table of ``report``: per-stage median / p90 (ms) and fps (full stats in the JSON)."""
    from rich.table import Table

    t = Table(
        title=f"parttrack bench: {Path(report['video']).name} {report['width']}x{report['height']}, "
        f"{report['frames_timed']} frames timed, load {report['machine']['loadavg_before'][0]}"
    )
    t.add_column("method", no_wrap=True)
    for s in STAGES[:4]:
        t.add_column(f"{s} ms\nmed / p90", justify="right")
    for c in ("fps\nexcl. decode", "fps\nend-to-end", "x CSRT\nend-to-end"):
        t.add_column(c, justify="right")
    for name, r in report["methods"].items():
        cells = []
        for s in STAGES[:4]:
            st = r["stages"].get(s)
            cells.append("-" if st is None else f"{st['median_ms']:.2f} / {st['p90_ms']:.2f}")
        label = name if r["subjects"] == 1 else f"{name} ({r['subject_fps_process']:.0f} subj/s)"
        x = "-" if r["x_csrt"] is None else f"{r['x_csrt']:.2f}"
        t.add_row(label, *cells, f"{r['fps_process']:.1f}", f"{r['fps_end_to_end']:.1f}", x)
    return t


def write_report(report: dict[str, Any], path: str | Path) -> None:
    """Write ``report`` as indented JSON, atomically."""
    write_text(path, json.dumps(report, indent=2) + "\n")
