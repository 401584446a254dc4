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

Issue 15 (separate modes):

* ``--process``: whole processes on an 800-frame 640x480 clip (TUD-Stadtmitte played forward
  and backward): ``parttrack track`` (identity and single-peak modes) vs CSRT / KCF processes,
  start-up (``track --end 1``), ``import parttrack.cli``, peak RSS; per-stage medians / p90 of
  every method on the same frames at 1 and 2 threads; cost vs resolution (480p / 1080p / 4K).
  ``--pythonpath`` runs the child processes on another source tree (e.g. a patched copy).
* ``--int8``: calibrate on TUD crops, quantise ``frame.onnx``, time float vs int8 at three
  graph optimisation levels, evaluate both (product; crossing + a Town Centre clip).

Timing does not depend on weight values: without ``--weights`` the shipped weights are used,
or random-init models of the shipped shape (parts head and eye, width 32) when there are none.

    python benchmarks/bench_speed.py [--weights W] [--frames 140] [--repeats 3] [--json OUT]
    python benchmarks/bench_speed.py --process --repeats 3 --frames 150 [--pythonpath SRC] --json OUT
    python benchmarks/bench_speed.py --int8 --calls 200 --json OUT
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
TUD = ROOT.parent / "shared" / "data" / "tud-stadtmitte" / "TUD-Stadtmitte.mp4"
TUD_BOX = "184,96,35,155"  # person 3 of gt.txt on frame 0 (in view all 179 frames)


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


# --- whole process (issue 15): `parttrack track` vs OpenCV CSRT as separate processes ----------
CSRT_SCRIPT = """
import sys, cv2
from parttrack.data.video import open_video
src, box, out = sys.argv[1], tuple(int(float(v)) for v in sys.argv[2].split(",")), sys.argv[3]
rows = []
with open_video(src) as video:
    for f in video:
        if f.index == 0:
            t = cv2.TrackerCSRT_create() if sys.argv[4] == "csrt" else cv2.TrackerKCF_create()
            t.init(f.image, box)
        else:
            ok, b = t.update(f.image)
            rows.append(f"{f.index},{b[0]},{b[1]},{b[2]},{b[3]}")
open(out, "w").write("\\n".join(rows) + "\\n")
"""


def write_pingpong(src: Path, out: Path, frames: int) -> Path:
    """``frames`` frames of ``src`` played forward, backward, forward, ... (no jump), as MP4."""
    from parttrack.data.video import VideoWriter, open_video

    with open_video(src) as video:
        images = [f.image for f in video]
    order = list(range(len(images))) + list(range(len(images) - 2, 0, -1))
    h, w = images[0].shape[:2]
    with VideoWriter(out, 25.0, (w, h)) as wr:
        for i in range(frames):
            wr.write(images[order[i % len(order)]])
    return out


def timed(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one child process (``/usr/bin/time``
    measures the RSS: a child forked from this torch-loaded process would report ours);
    RuntimeError if it fails."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "rss_kb=%M cpu_s=%U+%S", *cmd], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr[-500:]}")
    last = p.stderr.strip().splitlines()[-1]
    rss = float(last.split("rss_kb=")[1].split()[0])
    cpu = sum(float(v) for v in last.split("cpu_s=")[1].split("+"))
    return {"wall_s": wall, "rss_mib": rss / 1024, "cpu_s": cpu}


def bench_process(clip: Path, box: str, repeats: int, out: Path, env: dict[str, str]) -> dict:
    """Whole processes, interleaved per repeat: ``parttrack track`` (onnxruntime; the default
    single-peak mode on 1 and 2 intra-op threads, identity mode (``configs/identity.yaml``) on
    1), CSRT and KCF (decode with ``open_video`` + ``update``), the start-up (``track --end 1``:
    process start, model load, first frame) and ``import parttrack.cli``."""
    py = str(ROOT / ".venv" / "bin" / "python")
    track = [py, "-m", "parttrack", "track", str(clip), "--box", box, "--backend", "onnxruntime",
             "--threads", "1", "--jsonl", str(out / "track.jsonl")]
    two = [*track[:-4], "--threads", "2", *track[-2:]]
    cmds = {
        "parttrack onnxruntime (single peak)": track,
        "parttrack onnxruntime (single peak, 2 threads)": two,
        "parttrack onnxruntime (identity)": track + ["--config", str(ROOT / "configs" / "identity.yaml")],
        "csrt": [py, "-c", CSRT_SCRIPT, str(clip), box, str(out / "csrt.txt"), "csrt"],
        "kcf": [py, "-c", CSRT_SCRIPT, str(clip), box, str(out / "kcf.txt"), "kcf"],
        "start-up (track --end 1)": track + ["--end", "1"],
        "import parttrack.cli": [py, "-c", "import parttrack.cli"],
        "python alone": [py, "-c", "pass"],
    }
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in cmds}
    timed(cmds["start-up (track --end 1)"], env)  # warm the ONNX cache and the page cache
    for _ in range(repeats):
        for name, cmd in cmds.items():
            runs[name].append(timed(cmd, env))
    frames = count_frames(clip)
    res = {}
    for name, rs in runs.items():
        wall = statistics.median(r["wall_s"] for r in rs)
        res[name] = {"wall_s": [round(r["wall_s"], 3) for r in rs], "median_wall_s": round(wall, 3),
                     "median_cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
                     "max_rss_mib": round(max(r["rss_mib"] for r in rs), 1)}
        if not name.startswith(("start", "import", "python")):
            res[name]["fps"] = round(frames / wall, 1)
    for name in res:
        if "fps" in res[name]:
            res[name]["x_csrt"] = round(res[name]["fps"] / res["csrt"]["fps"], 2)
    return {"frames": frames, "runs": res}


def count_frames(clip: Path) -> int:
    """Decodable frames of a clip."""
    cap = cv2.VideoCapture(str(clip))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


# --- int8 (issue 15): static quantisation of frame.onnx, speed and accuracy ----------------------
CALIBRATION = [ROOT.parent / "shared" / "data" / d for d in ("tud-campus", "tud-stadtmitte")]


def first_box(folder: Path) -> tuple[float, float, float, float]:
    """The first annotated person of MOT ``gt.txt`` frame 1 (video frame 0)."""
    for line in (folder / "gt.txt").read_text().splitlines():
        v = line.split(",")
        if v[0] == "1":
            return tuple(float(x) for x in v[2:6])  # type: ignore[return-value]
    raise ValueError(f"{folder}: no box on frame 1")


def time_sessions(paths: dict[str, Path], samples: list, calls: int) -> dict[str, float]:
    """Median ms of one frame-graph call per (graph, optimisation level), interleaved."""
    import onnxruntime as ort

    from parttrack.runtime.names import MODEL_OUTPUTS
    from parttrack.runtime.ort import session_options

    levels = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
              "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    sessions = {}
    for name, path in paths.items():
        for lvl, value in levels.items():
            so = session_options(1)
            so.graph_optimization_level = value
            sessions[f"{name} {lvl}"] = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for i in range(calls):
        feat, search = samples[i % len(samples)]
        for k, sess in sessions.items():
            t = time.perf_counter()
            sess.run(list(MODEL_OUTPUTS), {"template_feat": feat, "search": search})
            times[k].append((time.perf_counter() - t) * 1e3)
    return {k: round(statistics.median(v[10:]), 3) for k, v in times.items()}


def bench_int8(out: Path, calls: int, eval_data: list[str]) -> dict:
    """Calibrate on TUD-Campus + TUD-Stadtmitte crops (the float tracker's own backend
    inputs), quantise ``frame.onnx`` to int8, time both graphs at three optimisation levels,
    and evaluate both on ``eval_data`` (product method, head; same protocol as ``eval``)."""
    from parttrack.data.video import open_video
    from parttrack.evaluation.plan import resolve_data
    from parttrack.evaluation.run import evaluate
    from parttrack.runtime.cache import cached_graphs
    from parttrack.runtime.ort import OrtBackend
    from parttrack.runtime.quantize import RecordingBackend, quantize_frame_graph
    from parttrack.tracker.part_tracker import PartTracker

    graphs = cached_graphs()
    rec = RecordingBackend(OrtBackend(graphs.template, graphs.frame, 1), every=2, limit=400)
    for folder in CALIBRATION:
        tracker = PartTracker(graphs, backend=rec)
        with open_video(next(folder.glob("*.mp4"))) as video:
            for f in video:
                if f.index == 0:
                    tracker.initialize(f.image, first_box(folder))
                else:
                    tracker.track(f.image)
    t = time.perf_counter()
    int8 = quantize_frame_graph(graphs.frame, out / "frame_int8.onnx", rec.samples)
    result: dict = {"calibration_samples": len(rec.samples), "quantize_s": round(time.perf_counter() - t, 1)}
    result["networks_ms"] = time_sessions({"float": graphs.frame, "int8": int8}, rec.samples, calls)
    backends = {"float": OrtBackend(graphs.template, graphs.frame, 1), "int8": OrtBackend(graphs.template, int8, 1)}
    rows = []
    for spec in eval_data:
        for d in resolve_data(spec):
            subjects = "chosen" if d.sequence.subject_id is not None else "all"
            ev = evaluate([d], {k: graphs for k in backends}, ("product",), subjects,  # type: ignore[arg-type]
                          backends=backends)
            rows += [{k: r[k] for k in ("data", "weights", "method", "part_name")}
                     | {k: r["part"][k] for k in ("frames", "hits", "hijacks")} for r in ev.rows]
    acc: dict[tuple[str, str, str], list[int]] = {}
    for r in rows:
        a = acc.setdefault((r["data"], r["part_name"], r["weights"]), [0, 0, 0])
        a[0] += r["frames"]
        a[1] += r["hits"]
        a[2] += r["hijacks"]
    result["accuracy"] = [{"data": g, "part": p, "graph": w, "frames": n, "hit_rate": round(h / n, 4),
                           "hijack_rate": round(j / n, 4)} for (g, p, w), (n, h, j) in acc.items() if n]
    return result


def bench_resolution(src: Path, box: tuple[float, float, float, float], repeats: int) -> dict:
    """Decode and tracker cost of the first 120 frames of ``src`` (640x480) re-encoded at
    480p, 1080p and 2160p (box scaled alike): onnxruntime (identity + single peak) and CSRT."""
    from parttrack.bench import run_bench
    from parttrack.data.video import VideoWriter, open_video
    from parttrack.models import load_weights

    out: dict = {}
    w = load_weights()
    for h in (480, 1080, 2160):
        clip, s = src.with_name(f"res_{h}p.mp4"), h / 480
        if not clip.exists():
            with open_video(src, end=119) as v, VideoWriter(clip, 25.0, (round(640 * s), h)) as wr:
                for f in v:
                    wr.write(cv2.resize(f.image, (round(640 * s), h)) if h != 480 else f.image)
        runs = [run_bench(clip, tuple(v * s for v in box), w, frames=110, backends=("onnxruntime",),  # type: ignore[arg-type]
                          peers=("csrt",), threads=1, warmup=10) for _ in range(repeats)]
        out[f"{h}p"] = {}
        for n in runs[0]["methods"]:
            ms = [r["methods"][n] for r in runs]
            out[f"{h}p"][n] = {
                "decode_med_ms": statistics.median(m["stages"]["decode"]["median_ms"] for m in ms),
                "process_med_ms": statistics.median(m["stages"]["process"]["median_ms"] for m in ms),
                "process_p90_ms": statistics.median(m["stages"]["process"]["p90_ms"] for m in ms),
                "fps_end_to_end": statistics.median(m["fps_end_to_end"] for m in ms),
                "x_csrt": statistics.median(m["x_csrt"] for m in ms),
            }
        out[f"{h}p"]["max_rss_mib"] = runs[-1]["max_rss_mib"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None)
    ap.add_argument("--video", default=str(CLIP))
    ap.add_argument("--box", default=None, help="X,Y,W,H (default: a Town Centre subject)")
    ap.add_argument("--frames", type=int, default=140)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--calls", type=int, default=300, help="network calls per variant")
    ap.add_argument("--json", default=None)
    ap.add_argument("--process", action="store_true",
                    help="only the whole-process study on TUD-Stadtmitte played to --process-frames")
    ap.add_argument("--process-frames", type=int, default=800)
    ap.add_argument("--pythonpath", default=None, help="PYTHONPATH of the child processes")
    ap.add_argument("--int8", action="store_true", help="only the int8 study (calibrate, quantise, time, eval)")
    ap.add_argument("--int8-data", default="crossing,../shared/data/towncentre/clip_f0249_n149_gt.csv")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.int8:
        from parttrack.atomic import write_text

        out = Path("/tmp/parttrack-bench-int8")
        out.mkdir(parents=True, exist_ok=True)
        result = bench_int8(out, a.calls, [d for d in a.int8_data.split(",") if d])
        result.update(commit=commit(), machine={"cpus": os.cpu_count(),
                                                "loadavg_after": [round(v, 2) for v in os.getloadavg()]})
        text = json.dumps(result, indent=2)
        print(text)
        if a.json:
            write_text(a.json, text + "\n")
        return
    if a.process:
        from parttrack.atomic import write_text

        out = Path("/tmp/parttrack-bench-process")
        out.mkdir(parents=True, exist_ok=True)
        clip = out / f"tud_stadtmitte_{a.process_frames}.mp4"
        if not clip.is_file():
            write_pingpong(TUD, clip, a.process_frames)
        env = dict(os.environ, **({"PYTHONPATH": a.pythonpath} if a.pythonpath else {}))
        result = bench_process(clip, TUD_BOX, a.repeats, out, env)
        from parttrack.bench import run_bench
        from parttrack.models import load_weights
        from parttrack.pipeline import parse_box

        stages = {}
        for t in (1, 2):  # per-stage medians / p90, every method on the same frames, 480p/1080p/4K
            r = run_bench(clip, parse_box(TUD_BOX), load_weights(a.weights), frames=a.frames, threads=t,
                          heights=(1080, 2160) if t == 1 else (), warmup=10)
            stages[f"threads {t}"] = {
                name: {"fps_process": m["fps_process"], "fps_end_to_end": m["fps_end_to_end"],
                       "x_csrt": m["x_csrt"],
                       **{f"{st} med/p90 ms": [v["median_ms"], v["p90_ms"]] for st, v in m["stages"].items()}}
                for name, m in r["methods"].items()}
            stages[f"threads {t}"]["max_rss_mib"] = r["max_rss_mib"]
        result["stages"] = stages
        result["resolution"] = bench_resolution(clip, tuple(float(v) for v in TUD_BOX.split(",")), a.repeats)
        result.update(commit=commit(), clip=str(clip), box=TUD_BOX, pythonpath=a.pythonpath,
                      machine={"cpus": os.cpu_count(), "loadavg_after": [round(v, 2) for v in os.getloadavg()]})
        text = json.dumps(result, indent=2)
        print(text)
        if a.json:
            write_text(a.json, text + "\n")
        return

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
