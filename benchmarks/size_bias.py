"""The subject-size bias of a weights file, for ``TrackerConfig.size_gain`` (issue 12).

The tracker's size head regresses the subject box from a search crop sized by the previous
box, and only partly corrects a wrong one; a small bias at the true scale therefore compounds
frame after frame. This script starts each annotated person of the Town Centre *training*
clips (``clip_fm004_n126``, ``clip_f0435_n96``: never the held-out ``clip_f0249_n149``) with its
true box, then every 10th frame of its visible run searches around its true box scaled by 0.7,
1.0 and 1.4, takes the subject-heatmap peak nearest the true centre (within 0.3 heights) and
prints the median predicted/true height per scale. ``size_gain`` = 1 / the median at 1.0.

    python benchmarks/size_bias.py [--weights W.pt] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robustness import DATA, load_clip  # noqa: E402

from parttrack import PartTracker  # noqa: E402
from parttrack.atomic import write_text  # noqa: E402
from parttrack.crop import CropWindow  # noqa: E402
from parttrack.errors import run_script  # noqa: E402
from parttrack.evaluation.robustness_cases import subject_run  # noqa: E402
from parttrack.tracker.search import window_candidates  # noqa: E402

TRAINING_CLIPS = ("clip_fm004_n126", "clip_f0435_n96")
SCALES = (0.7, 1.0, 1.4)


def ratios(tracker: PartTracker, clip, step: int = 10, min_run: int = 40) -> list[tuple[float, float]]:
    """``(scale, predicted / true height)`` for every sampled (person, frame, scale)."""
    m = tracker.model_config
    out = []
    for sid in sorted({s.id for f in clip.seq.frames.values() for s in f.subjects}):
        try:
            run = subject_run(clip, sid)
        except ValueError:
            continue
        if len(run) < min_run:
            continue
        tracker.initialize(clip.images[run[0]], clip.seq.frames[run[0]].get(sid).box)
        for k in run[5::step]:
            x, y, w, h = clip.seq.frames[k].get(sid).box
            cx, cy = x + w / 2, y + h / 2
            for f in SCALES:
                window = CropWindow.around((cx - f * w / 2, cy - f * h / 2, f * w, f * h),
                                           m.search_size, m.search_factor, m.context)
                mp = tracker._maps(clip.images[k], window)
                c = window_candidates(mp.subject_heatmap[0], mp.subject_size, mp.subject_offset,
                                      mp.window, m.stride, 5, 0.1)
                if len(c) == 0:
                    continue
                d = np.hypot(c[:, 0] - cx, c[:, 1] - cy)
                j = int(np.argmin(d))
                if d[j] < 0.3 * h:
                    out.append((f, float(c[j, 3] / h)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=None, help="weights file (default: shipped)")
    ap.add_argument("--data", type=Path, default=DATA, help="folder of the Town Centre clips")
    ap.add_argument("--json", type=Path, default=None, help="write the medians here")
    args = ap.parse_args(argv)
    tracker = PartTracker.from_weights(args.weights, backend="onnxruntime", num_threads=1)
    rows: list[tuple[float, float]] = []
    for name in TRAINING_CLIPS:
        rows += ratios(tracker, load_clip(name, args.data))
    arr = np.array(rows)
    report = {"weights": args.weights or "shipped", "clips": list(TRAINING_CLIPS), "samples": len(arr), "scales": {}}
    for f in SCALES:
        r = arr[arr[:, 0] == f, 1]
        report["scales"][str(f)] = {"median": float(np.median(r)), "p25": float(np.percentile(r, 25)),
                                    "p75": float(np.percentile(r, 75)), "n": int(len(r))}
        print(f"search box {f:.1f}x the person: predicted/true height median {np.median(r):.3f} "
              f"(p25 {np.percentile(r, 25):.3f}, p75 {np.percentile(r, 75):.3f}, n={len(r)})")
    gain = 1.0 / report["scales"]["1.0"]["median"]
    report["size_gain"] = round(gain, 3)
    print(f"size_gain = {gain:.3f}")
    if args.json:
        write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    run_script(main)
