"""Memory over a long stream: RSS of ``PartTracker.track`` over 10,000 frames must stay flat.

A synthetic looping source (40 pre-drawn 1280x720 frames of a blob walking over a textured
background, played forwards and back) feeds the tracker, so the run costs only the tracking
itself. RSS (``/proc/self/statm``) is sampled every 250 frames; the reported growth is the
RSS at the end minus the RSS after the first 500 frames (allocator, arena and session
warm-up). Target: growth < 50 MB. Prints JSON (and writes it with ``--json``).

    python benchmarks/bench_memory.py [--frames 10000] [--backend onnxruntime|torch]
                                      [--weights W] [--keep-maps] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import cv2
import numpy as np
import torch

W, H, LOOP = 1280, 720, 40
WARMUP = 500


def rss_mb() -> float:
    """Resident set size of this process, MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def looping_frames() -> list[np.ndarray]:
    """40 frames of a two-tone blob walking right over blurred noise."""
    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (7, 7), 2.0)
    frames = []
    for t in range(LOOP):
        f = bg.copy()
        x, y = 500 + 6 * t, 250 + t
        f[y : y + 180, x : x + 70] = (40, 160, 90)
        f[y : y + 40, x + 17 : x + 53] = (150, 170, 210)
        frames.append(f)
    return frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--backend", choices=("onnxruntime", "torch"), default="onnxruntime")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weights", default=None, help="weights file (default: random-init models, thresholds 0)")
    ap.add_argument("--keep-maps", action="store_true", help="also keep each frame's maps (then drop them)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    from parttrack.atomic import write_text
    from parttrack.models import ModelConfig, PartDetector, SiameseTracker, Weights, load_weights
    from parttrack.tracker.part_tracker import PartTracker

    if a.weights:
        weights = load_weights(a.weights)
    else:  # memory behaviour does not depend on the weights' values
        torch.manual_seed(0)
        cfg = ModelConfig(parts=("head", "eye"))  # the shipped model's shape
        weights = Weights(cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())
    frames = looping_frames()
    order = list(range(LOOP)) + list(range(LOOP - 2, 0, -1))  # forwards and back: no jump
    # random weights score ~0.1 everywhere: thresholds 0 keep the subject "found", so the
    # tracked path (box update, part decoding) runs, not only the lost path
    knobs = {} if a.weights else {"lost_threshold": 0.0, "redetect_threshold": 0.0, "part_threshold": 0.0}
    tracker = PartTracker(weights, backend=a.backend, num_threads=a.threads, keep_maps=a.keep_maps, **knobs)
    tracker.initialize(frames[0], (500.0, 250.0, 70.0, 180.0))
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    lost = 0
    t0 = time.perf_counter()
    for i in range(1, a.frames + 1):
        r = tracker.track(frames[order[i % len(order)]])
        lost += r.lost
        if i % 250 == 0:
            samples.append((i, rss_mb()))
    seconds = time.perf_counter() - t0
    base = next(mb for i, mb in samples if i >= WARMUP)
    peak = max(mb for _, mb in samples)
    out = {
        "frames": a.frames,
        "backend": a.backend,
        "threads": a.threads,
        "keep_maps": a.keep_maps,
        "frame_size": [W, H],
        "seconds": round(seconds, 2),
        "fps": round(a.frames / seconds, 1),
        "lost_frames": lost,
        "rss_start_mb": round(samples[0][1], 1),
        f"rss_after_{WARMUP}_mb": round(base, 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_peak_mb": round(peak, 1),
        "growth_mb": round(samples[-1][1] - base, 1),
        "target_growth_mb": 50.0,
        "pass": samples[-1][1] - base < 50.0,
        "samples": [[i, round(mb, 1)] for i, mb in samples],
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "loadavg": [round(v, 2) for v in os.getloadavg()]},
    }
    text = json.dumps(out, indent=2)
    print(text)
    if a.json:
        write_text(a.json, text + "\n")


if __name__ == "__main__":
    main()
