"""Speed study for BENCHMARKS.md (Speed): networks, decode, end-to-end, batch, model width.

1. ``networks``: the frame graph alone (batch 1), torch vs onnxruntime, 1 vs 2 intra-op
   threads (onnxruntime also with spinning threads), for model widths 32 (default) and 16.
   Variants are interleaved call by call so a busy machine slows them alike.
2. ``decode``: 1080p H.264 frames per second: ``open_video`` (what ``parttrack track``
   uses) and ``cv2.VideoCapture.read`` into one preallocated buffer with 1 and 2 FFmpeg
   threads.
3. ``alone``: ``parttrack.bench.run_bench`` on the Town Centre clip with ONE method (a
   PartTracker backend on 1 or 2 intra-op threads, or CSRT), ``--repeats`` times.
   ``end_to_end``: every method on the same decoded frames, interleaved (PartTracker on both
   backends, OpenCV CSRT and KCF, 4 subjects in one batched call); medians over the repeats.
4. ``pipelined``: decode in a background thread while the main thread tracks (wall-clock
   fps over the clip), for parttrack-onnxruntime and CSRT.

Timing does not depend on weight values: without ``--weights`` the shipped weights are used,
or random-init models of the shipped shape (parts head and eye, width 32) when there are none.

    python benchmarks/bench_speed.py [--weights W] [--frames 140] [--repeats 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "towncentre" / "clip_f0249_n149.mp4"


def random_weights(width: int):  # -> Weights
    from parttrack.models import ModelConfig, PartDetector, SiameseTracker, Weights

    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=width)  # the shipped model's parts
    return Weights(cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())


def bench_networks(weights, calls: int) -> dict[str, float]:
    """Median ms of one frame-graph call (batch 1) per variant: the onnxruntime variants
    interleaved call by call, then torch on 1 thread, then torch on 2 threads (torch's OpenMP
    workers keep spinning after a call, which would slow whatever runs next)."""
    from parttrack.runtime.backend import TorchBackend
    from parttrack.runtime.export import export_cached
    from parttrack.runtime.graphs import MAP_OUTPUTS
    from parttrack.runtime.ort import OrtBackend

    cfg = weights.config
    rng = np.random.default_rng(0)
    template = rng.random((1, 3, cfg.template_size, cfg.template_size), dtype=np.float32)
    search = rng.random((1, 3, cfg.search_size, cfg.search_size), dtype=np.float32)
    paths = export_cached(weights)
    variants = {}
    for t in (1, 2):
        variants[f"onnxruntime t{t}"] = OrtBackend(paths.template, paths.frame, t)
    variants["onnxruntime t2 spinning"] = OrtBackend(paths.template, paths.frame, 2, spinning=True)
    torch_backend = TorchBackend(weights)
    feat = torch_backend.encode_template(template)
    times: dict[str, list[float]] = {k: [] for k in (*variants, "torch t1", "torch t2")}
    for _ in range(calls):
        for name, b in variants.items():
            t0 = time.perf_counter()
            b.run(feat, search, MAP_OUTPUTS)
            times[name].append(time.perf_counter() - t0)
    for t in (1, 2):
        torch.set_num_threads(t)
        for _ in range(calls):
            t0 = time.perf_counter()
            torch_backend.run(feat, search, MAP_OUTPUTS)
            times[f"torch t{t}"].append(time.perf_counter() - t0)
    torch.set_num_threads(1)
    skip = calls // 10
    return {k: round(statistics.median(v[skip:]) * 1e3, 3) for k, v in times.items()}


def bench_decode(path: Path, frames: int) -> dict[str, float]:
    """Median ms per decoded frame for each decode path."""
    from parttrack.data.video import open_video

    out: dict[str, float] = {}
    ts = []
    with open_video(path, end=frames - 1) as video:
        it = iter(video)
        while True:
            t0 = time.perf_counter()
            if next(it, None) is None:
                break
            ts.append(time.perf_counter() - t0)
    out["open_video"] = round(statistics.median(ts) * 1e3, 3)
    for threads in (1, 2):
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, threads])
        buf = None
        ts = []
        for _ in range(frames):
            t0 = time.perf_counter()
            ok, buf = cap.read(buf)
            if not ok:
                break
            ts.append(time.perf_counter() - t0)
        cap.release()
        out[f"cv2 read into buffer, ffmpeg threads {threads}"] = round(statistics.median(ts) * 1e3, 3)
    return out


def bench_pipelined(path: Path, box, weights, frames: int) -> dict[str, float]:
    """Wall-clock fps when a background thread decodes ahead (queue of 4 frames)."""
    from parttrack.tracker.part_tracker import PartTracker

    def run(init, step) -> float:
        q: queue.Queue = queue.Queue(maxsize=4)

        def decode() -> None:
            cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
            for _ in range(frames + 1):
                ok, f = cap.read()
                if not ok:
                    break
                q.put(f)
            q.put(None)
            cap.release()

        th = threading.Thread(target=decode, daemon=True)
        t0 = time.perf_counter()
        th.start()
        init(q.get())
        n = 0
        while (f := q.get()) is not None:
            step(f)
            n += 1
        th.join()
        return round(n / (time.perf_counter() - t0), 2)

    tr = PartTracker(weights, backend="onnxruntime", num_threads=1)
    csrt = cv2.TrackerCSRT_create()
    return {
        "parttrack-onnxruntime": run(lambda f: tr.initialize(f, box), tr.track),
        "csrt": run(lambda f: csrt.init(f, tuple(int(v) for v in box)), csrt.update),
    }


def town_centre_box() -> tuple[float, float, float, float]:
    """Body box on frame 0 of the subject annotated on most frames of the clip."""
    from parttrack.data.load import load_sequence

    seq = load_sequence(CLIP)
    first = seq.frames[min(seq.frames)]
    best = max(first.subjects, key=lambda s: len(seq.track_of(s.id)))
    return best.box


def commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None)
    ap.add_argument("--video", default=str(CLIP))
    ap.add_argument("--box", default=None, help="X,Y,W,H (default: a Town Centre subject)")
    ap.add_argument("--frames", type=int, default=140)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--calls", type=int, default=300, help="network calls per variant")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)

    from parttrack.atomic import write_text
    from parttrack.bench import run_bench
    from parttrack.models import default_weights_path, load_weights
    from parttrack.pipeline import parse_box

    shipped = default_weights_path()
    if a.weights or shipped.is_file():
        weights = load_weights(a.weights)
    else:
        weights = random_weights(32)
    box = parse_box(a.box) if a.box else town_centre_box()
    load0 = os.getloadavg()
    result: dict = {"commit": commit(), "video": a.video, "box": [round(v, 1) for v in box],
                    "weights": a.weights or (str(shipped) if shipped.is_file() else "random-init")}
    result["networks"] = {f"width {weights.config.width}": bench_networks(weights, a.calls)}
    result["networks"]["width 16"] = bench_networks(random_weights(16), a.calls)
    result["decode"] = bench_decode(Path(a.video), a.frames)
    # each method alone (the deployment case: FFmpeg's frame threads then decode ahead while
    # the tracker works), parttrack on 1 and 2 intra-op threads
    alone: dict[str, dict] = {}
    for backend, t in (("onnxruntime", 1), ("onnxruntime", 2), ("torch", 1), ("csrt", 1)):  # torch t2: see networks
        backends, peers = ((), ("csrt",)) if backend == "csrt" else ((backend,), ())
        rs = [
            run_bench(a.video, box, weights, frames=a.frames, backends=backends, peers=peers, threads=t, warmup=10)
            for _ in range(a.repeats)
        ]
        ms = [r["methods"][backend if backend == "csrt" else f"parttrack-{backend}"] for r in rs]
        alone[f"{backend} t{t}"] = {
            "fps_process": [m["fps_process"] for m in ms],
            "fps_end_to_end": [m["fps_end_to_end"] for m in ms],
            "median_fps_process": round(statistics.median(m["fps_process"] for m in ms), 1),
            "median_fps_end_to_end": round(statistics.median(m["fps_end_to_end"] for m in ms), 1),
            "stages_median_ms": {
                s: round(statistics.median(m["stages"][s]["median_ms"] for m in ms), 3) for s in ms[0]["stages"]
            },
        }
    result["alone"] = alone
    # every method on the same frames, interleaved (the head-to-head with the OpenCV peers)
    runs = [
        run_bench(a.video, box, weights, frames=a.frames, batch=4, threads=1, warmup=10) for _ in range(a.repeats)
    ]
    e2e = {}
    for name in runs[0]["methods"]:
        ms = [r["methods"][name] for r in runs]
        e2e[name] = {
            k: round(statistics.median(m[k] for m in ms), 2)
            for k in ("fps_process", "fps_process_cpu", "fps_end_to_end", "x_csrt", "subject_fps_process")
        }
        e2e[name]["stages_median_ms"] = {
            s: round(statistics.median(m["stages"][s]["median_ms"] for m in ms), 3) for s in ms[0]["stages"]
        }
        e2e[name]["stages_p90_ms"] = {
            s: round(statistics.median(m["stages"][s]["p90_ms"] for m in ms), 3) for s in ms[0]["stages"]
        }
    result["end_to_end"] = e2e
    result["end_to_end_runs"] = [{k: v["fps_end_to_end"] for k, v in r["methods"].items()} for r in runs]
    result["pipelined_fps"] = bench_pipelined(Path(a.video), box, weights, a.frames)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "loadavg_before": [round(v, 2) for v in load0],
        "loadavg_after": [round(v, 2) for v in os.getloadavg()],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if a.json:
        write_text(a.json, text + "\n")


if __name__ == "__main__":
    main()
