"""Tune the inference knobs (TrackerConfig) on data that no report uses.

Tuning data: crossing- and side-by-side-like synthetic clips from a seed range of their own
(``TUNE_SEED`` onwards; the benchmark suites use [1e6, 2e6) and training 2**32 onwards) and the
*training* Town Centre clip clip_fm004_n126. The held-out clip and the benchmark suites are
never touched here, so the figures in BENCHMARKS.md stay honest.

    python benchmarks/tune_tracker.py [--weights W] [--limit 6] [--max-frames 80]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import time
from pathlib import Path

import torch

from parttrack.evaluation.plan import path_data, suite_data
from parttrack.evaluation.run import evaluate
from parttrack.models import load_weights
from parttrack.synth import suites
from parttrack.tracker.part_tracker import TrackerConfig

TUNE_SEED = 5_000_000
TOWNCENTRE_TRAIN = Path(__file__).resolve().parents[2] / "shared/data/towncentre/clip_fm004_n126.mp4"


def tuning_data(limit: int) -> tuple[list, list]:
    """(synthetic clips with a chosen subject, real clips tracked for all their subjects)."""
    synth = []
    for k, name in enumerate(("crossing", "side-by-side")):
        spec = dataclasses.replace(suites.SUITES[name], name=f"tune-{name}", first_seed=TUNE_SEED + k * 100_000)
        suites.SUITES[spec.name] = spec
        synth += suite_data(spec.name, limit)
    real = [path_data(TOWNCENTRE_TRAIN)] if TOWNCENTRE_TRAIN.is_file() else []
    return synth, real


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--max-frames", type=int, default=80)
    ap.add_argument("--grid", default="window_influence=0.3,0.5;scale_penalty=0.1,0.3;lost_threshold=0.2,0.1")
    args = ap.parse_args()
    torch.set_num_threads(1)
    weights = {"w": load_weights(args.weights)}
    synth, real = tuning_data(args.limit)
    axes = [(k, [float(v) for v in vs.split(",")]) for k, vs in (a.split("=") for a in args.grid.split(";"))]
    results = []
    for combo in itertools.product(*(vs for _, vs in axes)):
        kw = dict(zip((k for k, _ in axes), combo, strict=True))
        if kw.get("redetect_threshold", 1.0) < kw.get("lost_threshold", 0.0):
            continue
        cfg = dataclasses.replace(TrackerConfig(), **kw)
        if cfg.redetect_threshold < cfg.lost_threshold:
            continue
        t0 = time.perf_counter()
        rows = evaluate(synth, weights, ["product"], subjects="chosen", max_frames=args.max_frames,
                        tracker_config=cfg).rows
        if real:
            rows += evaluate(real, weights, ["product"], subjects="all", max_frames=args.max_frames,
                             tracker_config=cfg).rows
        row = {"config": kw, "seconds": round(time.perf_counter() - t0, 1)}
        for r in rows:
            if r["part_name"] == "head":
                p = r["part"]
                near = r["by_bucket"]["<1"]["part"]
                row[r["data"]] = {"hit": round(p["hit_rate"], 3), "hijack": round(p["hijack_rate"], 3),
                                  "hit<1": near["hit_rate"] and round(near["hit_rate"], 3),
                                  "auc": round(r["subject"]["success_auc"], 3)}
        results.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
