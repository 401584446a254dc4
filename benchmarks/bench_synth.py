"""Speed of the synthetic crowd generator: seconds to generate 1,000 frames at 384x288.

Generates ten 100-frame clips (seeds 0..9, default ``SceneConfig``) per run, three runs, and
prints JSON with the median; ``--config crowd`` times the crowd suite's heavier scenes
(14 people, camera motion, blur, noise, lighting) instead. Target: < 10 s per 1,000 frames
on a 2-core CPU.

    python benchmarks/bench_synth.py [--config default|crowd] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import cv2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=("default", "crowd"), default="default")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clips", type=int, default=10, help="100-frame clips per run")
    a = ap.parse_args()
    cv2.setNumThreads(1)

    from parttrack.synth.generator import SceneConfig, generate
    from parttrack.synth.suites import SUITES

    cfg = SceneConfig() if a.config == "default" else SUITES["crowd"].config
    generate(SceneConfig(num_frames=2), 0)  # warm-up: imports, allocator
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        frames = sum(len(generate(cfg, seed).frames) for seed in range(a.clips))
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "benchmark": "synthetic generator",
        "config": a.config,
        "frames_per_run": frames,
        "size": [cfg.width, cfg.height],
        "runs_s": [round(t, 3) for t in times],
        "median_s": round(med, 3),
        "median_s_per_1000_frames": round(med * 1000 / frames, 3),
        "frames_per_s": round(frames / med, 1),
        "machine": f"{os.cpu_count()}-core CPU ({platform.processor() or platform.machine()})",
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }, indent=1))


if __name__ == "__main__":
    main()
