"""Part detector accuracy on real frames: head AP as the detector is used in tracking (issue 13).

For every annotated person on every ``--every``-th frame (default 5) of a sequence, the search
window around its *true* body box (``CropWindow.around(box, search_size, search_factor,
context)``, as ``PartTracker`` places it) goes through the part detector with zero template
features (as ``PartTracker.propose_box`` runs it). Every head peak in the window at or above
0.05 (``parttrack.tracker.tap.heads_in``, up to 20) is a detection, mapped to image px; the
truths are every true head box (of any person) whose centre lies in the window. Matching,
pooling and AP (VOC all-points) are ``parttrack.evaluation.detection``: a detection is a hit
when its point lies inside an unmatched true head box ("hit within the head box").

Sequences (``../shared/data``):

* ``clip_f0249_n149``: Town Centre 1080p, true head boxes; held out of all training and tuning.
* TUD-Stadtmitte, TUD-Campus: body boxes only; the true head box is taken as the top of the
  body box, ``x + 0.25 w .. x + 0.75 w``, ``y .. y + 0.2 h``. TUD trained the v1 *tracker*
  (configs/recipe_tracker.yaml) but never the detector (configs/recipe_detector.yaml lists no
  MOT data; the detector stage skips sources without parts), so for the detector it is unseen.

Prints a Markdown table (and JSON with ``--json``); onnxruntime, one thread.

    python benchmarks/detector_ap.py [--weights LABEL=PATH ...] [--every 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from parttrack import PartTracker
from parttrack.atomic import write_text
from parttrack.crop import CropWindow
from parttrack.data.load import find_video, load_sequence
from parttrack.data.types import AnnotatedSequence, BoxXYWH
from parttrack.data.video import read_frames
from parttrack.errors import run_script
from parttrack.evaluation.detection import DetectionScore, match_window, score_detections
from parttrack.models.io import default_weights_path
from parttrack.tracker.batch import CropBatch
from parttrack.tracker.tap import heads_in

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SEQUENCES = {
    "clip_f0249_n149": DATA / "towncentre" / "clip_f0249_n149_gt.csv",
    "TUD-Stadtmitte": DATA / "tud-stadtmitte",
    "TUD-Campus": DATA / "tud-campus",
}
THRESHOLD = 0.05  # lowest head peak kept
PEAKS = 20  # most head peaks per window


def tud_head(body: BoxXYWH) -> BoxXYWH:
    """The head box of a body-only (MOT) annotation: the top fifth of the body box, its middle
    half across (``x + 0.25 w .. x + 0.75 w``, ``y .. y + 0.2 h``)."""
    x, y, w, h = body
    return (x + 0.25 * w, y, 0.5 * w, 0.2 * h)


def true_heads(seq: AnnotatedSequence, k: int) -> tuple[list[BoxXYWH], list[BoxXYWH]]:
    """``(bodies, heads)`` of frame ``k``: the body boxes of the people with a head box
    (annotated, or derived by :func:`tud_head` when the data set has no parts) and those heads."""
    bodies, heads = [], []
    for s in seq.frames[k].subjects:
        if seq.info.part_names:
            part = s.parts.get("head")
            if part is None:
                continue
            head = part.box
        else:
            head = tud_head(s.box)
        bodies.append(s.box)
        heads.append(head)
    return bodies, heads


def in_window(box: BoxXYWH, w: CropWindow) -> bool:
    """Whether the centre of ``box`` lies in the square window ``w``."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return abs(cx - w.cx) <= w.side / 2 and abs(cy - w.cy) <= w.side / 2


def evaluate(tracker: PartTracker, seq: AnnotatedSequence, every: int) -> tuple[DetectionScore, float]:
    """Score the detector of ``tracker`` on every ``every``-th annotated frame of ``seq``;
    also returns the seconds spent."""
    m = tracker.model_config
    batch = CropBatch(tracker.backend, m)
    zero = tracker.backend.encode_template(np.zeros((1, 3, m.template_size, m.template_size), np.float32))
    frames = sorted(k for k, fa in seq.frames.items() if fa.subjects)[::every]
    images = read_frames(find_video(seq), frames)
    scores, tps, num_true, windows = [], [], 0, 0
    t0 = time.perf_counter()
    for k in frames:
        bodies, heads = true_heads(seq, k)
        if not bodies:
            continue
        wins = [CropWindow.around(b, m.search_size, m.search_factor, m.context) for b in bodies]
        for w, maps in zip(wins, batch.run(images[k], wins, zero), strict=True):
            found = heads_in(maps, k=PEAKS, threshold=THRESHOLD)
            truth = [h for h in heads if in_window(h, w)]
            scores.append(found[:, 4])
            tps.append(match_window([tuple(p) for p in found[:, :2]], found[:, 4], truth))
            num_true += len(truth)
            windows += 1
    s = np.concatenate(scores) if scores else np.zeros(0)
    tp = np.concatenate(tps) if tps else np.zeros(0, bool)
    return score_detections(s, tp, num_true, windows), time.perf_counter() - t0


def parse_weights(items: list[str] | None) -> list[tuple[str, Path]]:
    """``LABEL=PATH`` items (a bare PATH is labelled by its file name); default: the shipped
    weights labelled ``shipped``."""
    if not items:
        return [("shipped", default_weights_path())]
    out = []
    for it in items:
        label, sep, path = it.partition("=")
        out.append((label, Path(path)) if sep else (Path(it).stem, Path(it)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", action="append", help="LABEL=PATH (repeatable; default: the shipped weights)")
    ap.add_argument("--every", type=int, default=5, help="every n-th annotated frame")
    ap.add_argument("--sequences", nargs="+", default=list(SEQUENCES), choices=list(SEQUENCES))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.every < 1:
        sys.exit(f"error: --every must be >= 1, got {args.every}")
    weights = parse_weights(args.weights)
    for label, path in weights:
        if not path.is_file():
            sys.exit(f"error: --weights {label}={path}: file not found")
    seqs = {name: load_sequence(SEQUENCES[name]) for name in args.sequences}
    results = []
    for label, path in weights:
        tracker = PartTracker.from_weights(path, backend="onnxruntime", num_threads=1)
        for name, seq in seqs.items():
            score, secs = evaluate(tracker, seq, args.every)
            row = {"weights": label, "file": str(path), "sequence": name, "seconds": round(secs, 1), **asdict(score)}
            results.append(row)
            print(json.dumps(row), flush=True)
    print("\n| sequence | weights | windows | true heads | head AP | best F1 | recall | precision | "
          "threshold | strays / window |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: list(seqs).index(r["sequence"])):
        print(f"| {r['sequence']} | {r['weights']} | {r['windows']} | {r['truths']} | {100 * r['ap']:.1f} | "
              f"{100 * r['best_f1']:.1f} | {100 * r['recall']:.1f} % | {100 * r['precision']:.1f} % | "
              f"{r['threshold']:.2f} | {r['strays']:.2f} |")
    if args.json:
        meta = {"python": platform.python_version(), "machine": platform.machine(), "every": args.every,
                "threshold": THRESHOLD, "peaks": PEAKS, "backend": "onnxruntime", "threads": 1}
        write_text(args.json, json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    run_script(main)
