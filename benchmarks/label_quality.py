"""Teacher label quality: head recall, strays and head-point error against ground truth.

Datasets (``../shared/data``): Town Centre's three clips (true head boxes; every ``--every``-th
frame, default 3, to fit the CPU budget: a 1080p frame costs ~1.5 s in 6 tiles) and
TUD-Stadtmitte / TUD-Campus (body boxes only: the true head is the top of the body box,
``parttrack.teacher.quality.head_from_body``). Three kinds of labels are scored:

* ``teacher``: every person the teacher finds whose head keypoints give a head (before linking);
* ``free``: what ``parttrack label VIDEO`` writes (linked, only confident unambiguous segments);
* ``boxes``: what ``parttrack label VIDEO --boxes gt`` writes (heads added to the true bodies).

Writes ``docs/images/teacher_towncentre.png`` and ``docs/images/teacher_tud.png`` and prints a
Markdown table (and JSON with ``--json``).

    python benchmarks/label_quality.py [--every 3] [--max-frames N] [--threads 1] [--json OUT]
                                       [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import time
from pathlib import Path

import cv2
import numpy as np

from parttrack.atomic import atomic_path, write_text
from parttrack.data.mot import read_mot
from parttrack.data.towncentre import read_towncentre
from parttrack.data.types import AnnotatedSequence, SequenceInfo
from parttrack.data.video import read_frames
from parttrack.teacher.label import PART_NAMES, box_labels, free_labels, person_parts, refine
from parttrack.teacher.movenet import MoveNet
from parttrack.teacher.quality import head_from_body, inside, match_heads, score_frame, summarize

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MODEL = REPO.parent / "shared" / "models" / "movenet_multipose.onnx"
TOWN = ("clip_fm004_n126", "clip_f0249_n149", "clip_f0435_n96")


def centres(seq: AnnotatedSequence, k: int) -> list[tuple[float, float]]:
    """Head-box centres of the labels of frame ``k`` (the head points)."""
    fa = seq.frames.get(k)
    if fa is None:
        return []
    return [(h.box[0] + h.box[2] / 2, h.box[1] + h.box[3] / 2) for s in fa.subjects if (h := s.parts.get("head"))]


def truth(gt: AnnotatedSequence, k: int, tud: bool) -> tuple[list, list]:
    """True head boxes and body boxes of frame ``k``."""
    subs = gt.frames[k].subjects
    heads = [head_from_body(s.box) if tud else s.parts["head"].box for s in subs if tud or s.parts.get("head")]
    return heads, [s.box for s in subs]


def evaluate(
    name: str, video: Path, gt: AnnotatedSequence, net: MoveNet, frames: list[int], tud: bool, cache: Path | None = None
) -> tuple[dict, dict]:
    """Run the teacher on ``frames`` of ``video`` and score the three label kinds (the teacher's
    people are read from / written to ``cache`` when given: rescoring costs no teacher run)."""
    t0 = time.perf_counter()
    images = read_frames(video, frames)
    t_read = time.perf_counter() - t0
    cached = cache / f"{name.replace(' ', '_')}_{frames[0]}_{frames[-1]}_{len(frames)}.pkl" if cache else None
    if cached is not None and cached.is_file():
        full, t_full = pickle.loads(cached.read_bytes())
    else:
        t0 = time.perf_counter()
        full = {k: net.detect(images[k]) for k in frames}
        t_full = time.perf_counter() - t0
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps((full, t_full)))
    t0 = time.perf_counter()
    boxed_people = {}
    for k in frames:
        given = np.array([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b in (s.box for s in gt.frames[k].subjects)])
        boxed_people[k] = refine(net, images[k], full[k], given.reshape(-1, 4))
    t_boxes = time.perf_counter() - t0
    h, w = images[frames[0]].shape[:2]
    info = SequenceInfo(name, w, h, gt.info.fps, gt.info.num_frames, str(video), PART_NAMES)
    teacher = {k: [c for i in range(len(p)) if (c := _head_centre(p, i))] for k, p in full.items()}
    free = free_labels(full, info)
    boxed = box_labels(boxed_people, gt)
    enlarge = 1.0 if tud else 1.5
    out = {"dataset": name, "frames": len(frames), "read_s": round(t_read, 1),
           "teacher_s_per_frame": round(t_full / len(frames), 3), "boxes_extra_s_per_frame": round(t_boxes / len(frames), 3)}
    for kind in ("teacher", "free", "boxes"):
        scores = []
        for k in frames:
            heads, bodies = truth(gt, k, tud)
            pts = teacher[k] if kind == "teacher" else centres(free if kind == "free" else boxed, k)
            scores.append(score_frame(pts, heads, bodies, enlarge))
        out[kind] = summarize(scores).__dict__
    return out, {"images": images, "teacher": teacher, "free": free}


def _head_centre(p, i: int) -> tuple[float, float] | None:
    head = person_parts(p.keypoints[i], p.boxes[i]).get("head")
    return None if head is None else (head.box[0] + head.box[2] / 2, head.box[1] + head.box[3] / 2)


def picture(
    path: Path, image: np.ndarray, gt: AnnotatedSequence, k: int, free: AnnotatedSequence, tud: bool, crop: tuple | None
) -> None:
    """Frame ``k``: true bodies (thin grey), true heads (green; TUD: the top fifth of the body
    box), the free-mode teacher heads (box + dot: red = hit, magenta = stray, orange = extra),
    optionally cropped to ``(x0, y0, x1, y1)``."""
    im = image.copy()
    heads, bodies = truth(gt, k, tud)
    for (x, y, w, h), colour, width in [(b, (160, 160, 160), 1) for b in bodies] + [(b, (0, 200, 0), 2) for b in heads]:
        cv2.rectangle(im, (round(x), round(y)), (round(x + w), round(y + h)), colour, width)
    fa = free.frames.get(k)
    labels = [h.box for s in (fa.subjects if fa else ()) if (h := s.parts.get("head")) is not None]
    points = [(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in labels]
    hit = {i for i, _ in match_heads(points, heads, 1.0 if tud else 1.5)}
    for i, ((x, y, w, h), p) in enumerate(zip(labels, points, strict=True)):
        in_body = any(inside(p, b) for b in bodies)
        colour = (0, 0, 255) if i in hit else (0, 140, 255) if in_body else (255, 0, 255)
        cv2.rectangle(im, (round(x), round(y)), (round(x + w), round(y + h)), colour, 1)
        cv2.circle(im, (round(p[0]), round(p[1])), 3, colour, -1)
    if crop is not None:
        x0, y0, x1, y1 = crop
        im = im[y0:y1, x0:x1]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        cv2.imwrite(str(tmp), im)


def fmt(q: dict) -> str:
    err = "n/a" if q["median_error"] != q["median_error"] else f"{q['median_error']:.2f} / {q['mean_error']:.2f}"
    return (f"{100 * q['recall']:.1f} % ({q['hits']}/{q['true']}) | {100 * q['stray_rate']:.1f} % "
            f"({q['strays']}/{q['teacher']}) | {q['extra']} | {err}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="Town Centre: every n-th frame (TUD: all frames)")
    ap.add_argument("--max-frames", type=int, default=None, help="at most this many frames per clip (quick runs)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-pictures", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="folder caching the teacher's people per clip")
    args = ap.parse_args()
    net = MoveNet(MODEL, threads=args.threads)
    results = []
    cut = (lambda fr: fr[: args.max_frames]) if args.max_frames else (lambda fr: fr)
    for tud_name, folder in (("TUD-Stadtmitte", "tud-stadtmitte"), ("TUD-Campus", "tud-campus")):
        d = DATA / folder
        gt = read_mot(d / "gt.txt", video=d / f"{tud_name}.mp4")
        frames = cut(list(range(gt.info.num_frames)))
        res, keep = evaluate(tud_name, d / f"{tud_name}.mp4", gt, net, frames, True, args.cache)
        results.append(res)
        print(json.dumps(res), flush=True)
        if tud_name == "TUD-Stadtmitte" and not args.no_pictures:
            k = frames[len(frames) // 2]
            picture(REPO / "docs/images/teacher_tud.png", keep["images"][k], gt, k, keep["free"], True, None)
    for clip in TOWN:
        gt = read_towncentre(DATA / "towncentre" / f"{clip}_gt.csv")
        annotated = sorted(gt.frames)
        frames = cut(annotated[:: args.every])
        res, keep = evaluate(f"Town Centre {clip}", DATA / "towncentre" / f"{clip}.mp4", gt, net, frames, False, args.cache)
        results.append(res)
        print(json.dumps(res), flush=True)
        if clip == "clip_f0435_n96" and not args.no_pictures:
            k = frames[len(frames) // 2]
            picture(REPO / "docs/images/teacher_towncentre.png", keep["images"][k], gt, k, keep["free"], False,
                    (480, 0, 1440, 540))
    print("\n| data (frames) | labels | head recall | strays | extra | point error median / mean (head heights) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        for kind in ("teacher", "free", "boxes"):
            print(f"| {r['dataset']} ({r['frames']}) | {kind} | {fmt(r[kind])} |")
    if args.json:
        meta = {"python": platform.python_version(), "machine": platform.machine(), "every": args.every,
                "threads": args.threads}
        write_text(args.json, json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
