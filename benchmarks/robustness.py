"""Real-clip robustness cases of issue 12 on the Town Centre clips, for one method.

Rebuilds failure kinds reported against Siamese trackers on real 1080p pixels
(``parttrack.evaluation.robustness_cases``): an occluding board (8 / 25 / 50 frames), the
subject leaving, a passer-by crossing in front (also re-dressed), camera jumps / shake / pan,
a loose start box and a still subject; 16 fixed subjects (wholly visible >= 96 frames, body
>= 147 px tall; ``SUBJECTS``, interleaved over the three clips so ``--subjects N`` spans
them). Prints one table per kind (head hit / hijack / miss / no point, as % of frames where
the subject is visible; absent recall / precision and hijack on frames where it is hidden
or gone; steadiness on the still subject) and writes everything to ``--json``.

Methods: ``parttrack`` (PartTracker, onnxruntime backend) and ``csrt`` (OpenCV CSRT body
box + a fixed head prior at (x + 0.49 w, y + 0.12 h); absent when CSRT reports a failure).
Note: ``clip_f0249_n149`` is the held-out clip of BENCHMARKS.md; do not tune on its subjects.

    python benchmarks/robustness.py --method parttrack --json bench-out/robust-pt.json
    python benchmarks/robustness.py --method csrt --subjects 3 --cases occlusion,camera --baseline
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from parttrack.atomic import write_text
from parttrack.data.load import load_sequence
from parttrack.data.types import BoxXYWH
from parttrack.data.video import open_video
from parttrack.errors import UsageError, run_script
from parttrack.evaluation.robustness import (
    Prediction,
    add_counts,
    count_frames,
    rates,
    steadiness,
)
from parttrack.evaluation.robustness_cases import KINDS, Case, Clip

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "towncentre"
SUBJECTS: tuple[tuple[str, int], ...] = (
    ("clip_f0249_n149", 6), ("clip_fm004_n126", 2), ("clip_f0435_n96", 20),
    ("clip_f0249_n149", 18), ("clip_fm004_n126", 3), ("clip_f0435_n96", 23),
    ("clip_f0249_n149", 20), ("clip_fm004_n126", 4), ("clip_f0435_n96", 26),
    ("clip_f0249_n149", 16), ("clip_fm004_n126", 10), ("clip_f0435_n96", 28),
    ("clip_f0249_n149", 23), ("clip_fm004_n126", 13), ("clip_f0435_n96", 21),
    ("clip_f0249_n149", 25),
)
HEAD_PRIOR = (0.49, 0.12)


class PartTrackMethod:
    """The shipped (or given) weights in a PartTracker on the onnxruntime backend."""

    def __init__(self, weights: str | None, threads: int, overrides: dict | None = None) -> None:
        from parttrack import PartTracker

        self.tracker = PartTracker.from_weights(weights, backend="onnxruntime", num_threads=threads, **(overrides or {}))

    def start(self, frame: np.ndarray, box: BoxXYWH) -> None:
        self.tracker.initialize(frame, box)

    def step(self, frame: np.ndarray) -> Prediction:
        r = self.tracker.track(frame)
        head = r.parts.get("head")
        absent = bool(getattr(r, "absent", r.lost))
        return Prediction(None if head is None else tuple(head.point), r.box, absent)


class CsrtMethod:
    """OpenCV CSRT on the body box; the head at a fixed place in the box."""

    def __init__(self, threads: int) -> None:
        cv2.setNumThreads(threads)
        self.tracker: cv2.Tracker | None = None

    def start(self, frame: np.ndarray, box: BoxXYWH) -> None:
        H, W = frame.shape[:2]
        x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
        x1, y1 = min(W, round(box[0] + box[2])), min(H, round(box[1] + box[3]))
        self.tracker = cv2.TrackerCSRT_create()
        self.tracker.init(frame, (x0, y0, x1 - x0, y1 - y0))

    def step(self, frame: np.ndarray) -> Prediction:
        assert self.tracker is not None
        ok, b = self.tracker.update(frame)
        if not ok or b[2] <= 0 or b[3] <= 0:
            return Prediction(None, None, True)
        box = tuple(float(v) for v in b)
        return Prediction((box[0] + HEAD_PRIOR[0] * box[2], box[1] + HEAD_PRIOR[1] * box[3]), box, False)


def load_clip(name: str, data: Path) -> Clip:
    """Annotations and every decoded frame of one clip (about 0.9 GB for 149 frames)."""
    seq = load_sequence(data / f"{name}_gt.csv")
    if seq.info.source is None:
        raise UsageError(f"video {name}.mp4 not found beside its ground truth", data)
    with open_video(seq.info.source) as video:
        images = {f.index: f.image for f in video}
    return Clip(seq, images)


def run_case(method: PartTrackMethod | CsrtMethod, case: Case) -> list[Prediction]:
    """The method on every frame of ``case``; frame 0 starts it (its prediction is the start box)."""
    method.start(case.render(0), case.init_box)
    preds = [Prediction(None, case.init_box, False)]
    preds += [method.step(case.render(i)) for i in range(1, len(case))]
    return preds


def summarise(records: list[dict]) -> dict[str, dict]:
    """Per case: per window, counts summed over subjects and their rates; steadiness (still)
    as the median over subjects of the step median and the max of the maxima."""
    out: dict[str, dict] = {}
    for rec in records:
        case = out.setdefault(rec["case"], {"kind": rec["kind"], "subjects": 0, "windows": {}})
        case["subjects"] += 1
        for w, c in rec["counts"].items():
            case["windows"][w] = add_counts(case["windows"].get(w, {}), c)
    for name, case in out.items():
        case["windows"] = {w: {"counts": c, **rates(c)} for w, c in case["windows"].items()}
        after = [r["counts"]["after"] for r in records if r["case"] == name and "after" in r["counts"]]
        if after and case["kind"] != "camera":  # subjects whose track another person took
            case["taken_after"] = sum(2 * c["hijack"] >= c["present"] > 0 for c in after)
        st = [r["steadiness"] for r in records if r["case"] == name and r.get("steadiness")]
        if st:
            vals = {k: [s[k] for s in st if s[k] is not None] for k in st[0]}
            case["steadiness"] = {
                "step_median": statistics.median(vals["step_median"]) if vals["step_median"] else None,
                "step_max": max(vals["step_max"], default=None),
                "point_spread": max(vals["point_spread"], default=None),
                "box_drift": max(vals["box_drift"], default=None),
            }
    return out


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def tables(summary: dict[str, dict], method: str) -> str:
    """Markdown tables, one per kind."""
    lines: list[str] = []
    for kind in KINDS:
        cases = {n: c for n, c in summary.items() if c["kind"] == kind}
        if not cases:
            continue
        lines += ["", f"### {kind} ({method})", "",
                  "| case | window | subj | frames | hit % | hijack % | miss % | no point % | false absent % "
                  "| absent recall % | absent precision % | absent: other's head % |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        notes: list[str] = []
        for name, c in cases.items():
            for w, r in c["windows"].items():
                lines.append(
                    f"| {name} | {w} | {c['subjects']} | {r['counts']['frames']} | {_f(r['hit'])} | "
                    f"{_f(r['hijack'])} | {_f(r['miss'])} | {_f(r['none'])} | {_f(r['false_absent'])} | "
                    f"{_f(r['absent_recall'])} | {_f(r['absent_precision'])} | {_f(r['absent_hijack'])} |")
            if "taken_after" in c:
                notes.append(f"{name}: head point on another person in >= 50 % of the after frames for "
                             f"{c['taken_after']} of {c['subjects']} subjects")
            if "steadiness" in c:
                s = c["steadiness"]
                notes.append(f"{name}: head point step median {_f(s['step_median'])} px (median over "
                             f"subjects), max {_f(s['step_max'])} px; spread max {_f(s['point_spread'])} px; "
                             f"box drift max {_f(s['box_drift'])} px")
        lines += [""] + [f"- {n}" for n in notes] if notes else []
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--method", choices=("parttrack", "csrt"), required=True)
    ap.add_argument("--weights", default=None, help="weights file for parttrack (default: shipped)")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of the method (default 1)")
    ap.add_argument("--subjects", type=int, default=len(SUBJECTS), help="first N of the 16 fixed subjects")
    ap.add_argument("--cases", default=None, help=f"comma-separated kinds (default all): {','.join(KINDS)}")
    ap.add_argument("--baseline", action="store_true", help="also run the unmodified clip with --cases")
    ap.add_argument("--clips", default=None,
                    help="only subjects of these clips (comma-separated), e.g. the training clips "
                         "clip_fm004_n126,clip_f0435_n96 for tuning")
    ap.add_argument("--data", type=Path, default=DATA, help="folder of the Town Centre clips")
    ap.add_argument("--json", type=Path, default=None, help="write the summary and per-subject counts here")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="TrackerConfig override for parttrack, e.g. --set identity=false (repeatable)")
    args = ap.parse_args(argv)
    kinds = list(KINDS) if args.cases is None else [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"--cases: unknown kinds {unknown} (known: {', '.join(KINDS)})")
    if args.baseline and "baseline" not in kinds:
        kinds.insert(0, "baseline")
    args.kinds = kinds
    names = {c for c, _ in SUBJECTS}
    args.clip_names = None if args.clips is None else [c.strip() for c in args.clips.split(",") if c.strip()]
    if args.clip_names is not None and (not args.clip_names or set(args.clip_names) - names):
        raise UsageError(f"--clips must name clips of {', '.join(sorted(names))}, got {args.clips!r}")
    if not 1 <= args.subjects <= len(SUBJECTS):
        raise UsageError(f"--subjects must be 1..{len(SUBJECTS)}, got {args.subjects}")
    if args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if not args.data.is_dir():
        raise UsageError("Town Centre clips not found (see ../shared/data/README.md)", args.data)
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    import yaml

    overrides = {k: yaml.safe_load(v) for k, v in (a.split("=", 1) for a in args.set)}
    try:
        method = (PartTrackMethod(args.weights, args.threads, overrides) if args.method == "parttrack"
                  else CsrtMethod(args.threads))
    except (TypeError, ValueError) as err:  # an unknown or out-of-range --set key
        print(f"error: --set: {err}", file=sys.stderr)
        return 2
    chosen = SUBJECTS[: args.subjects]
    if args.clip_names is not None:
        chosen = tuple((c, s) for c, s in chosen if c in args.clip_names)
    records: list[dict] = []
    t0 = time.perf_counter()
    for clip_name in dict.fromkeys(c for c, _ in chosen):  # one clip in memory at a time
        clip = load_clip(clip_name, args.data)
        for sid in (s for c, s in chosen if c == clip_name):
            for kind in args.kinds:
                for build in KINDS[kind]:
                    try:
                        case = build(clip, sid)
                    except ValueError as err:  # a subject too short for this case
                        print(f"skip: {err}", file=sys.stderr)
                        continue
                    t1 = time.perf_counter()
                    preds = run_case(method, case)
                    rec = {"case": case.name, "kind": case.kind, "subject": case.subject, "frames": len(case),
                           "seconds": round(time.perf_counter() - t1, 2),
                           "counts": {w: count_frames(preds, case.truth, idx) for w, idx in case.windows.items()}}
                    if case.kind == "still":
                        rec["steadiness"] = steadiness([p.point for p in preds[1:]], [p.box for p in preds[1:]])
                    records.append(rec)
                    hit = rates(rec["counts"]["all"])["hit"]
                    print(f"{case.subject} {case.name}: hit {_f(hit)} % ({rec['seconds']} s)", file=sys.stderr)
        del clip
    summary = summarise(records)
    print(tables(summary, args.method))
    elapsed = time.perf_counter() - t0
    print(f"\n{len(records)} runs, {elapsed:.0f} s", file=sys.stderr)
    if args.json is not None:
        doc = {"method": args.method, "weights": args.weights, "threads": args.threads, "set": args.set,
               "subjects": [f"{c}#{s}" for c, s in chosen], "kinds": args.kinds, "seconds": round(elapsed, 1),
               "command": " ".join(["python", "benchmarks/robustness.py", *(argv if argv is not None else sys.argv[1:])]),
               "summary": summary, "runs": records}
        write_text(args.json, json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    run_script(main)
