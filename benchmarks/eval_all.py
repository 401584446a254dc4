"""Full evaluation for BENCHMARKS.md: every synthetic suite (its chosen subject) and the
held-out Town Centre clip ``clip_f0249_n149`` (every person annotated >= 10 frames), all
part methods from one tracker run per subject, plus the OpenCV CSRT peers.

Writes the full report (report.md, report.json, plots) to ``--out`` and a compact markdown
section (``benchmarks_section.md``) with the commit hash and the reproducing command; with
``--update BENCHMARKS.md`` that section replaces the one between the
``<!-- eval_all:begin -->`` / ``<!-- eval_all:end -->`` markers (appended if absent).

    python benchmarks/eval_all.py --out bench-out/eval                    # shipped weights
    python benchmarks/eval_all.py --weights on=a.pt --weights off=b.pt    # an ablation
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import cv2
import torch

from parttrack.atomic import write_text
from parttrack.evaluation.metrics import BUCKETS
from parttrack.evaluation.plan import ALL_METHODS, path_data, suite_data
from parttrack.evaluation.report import check_targets, pct, write_report
from parttrack.evaluation.run import commit_hash, evaluate, parse_weights
from parttrack.evaluation.score import Evaluation
from parttrack.models import load_weights
from parttrack.synth.suites import SUITES

REPO = Path(__file__).resolve().parents[1]
HELD_OUT = REPO.parent / "shared" / "data" / "towncentre" / "clip_f0249_n149.mp4"
BEGIN, END = "<!-- eval_all:begin -->", "<!-- eval_all:end -->"


def compact_tables(ev: Evaluation) -> list[str]:
    """One compact markdown table per (data group, part)."""
    lines: list[str] = []
    seqs: dict[str, list[dict]] = {}
    for s in ev.sequences:
        seqs.setdefault(s["data"], []).append(s)
    done: set[tuple[str, str | None]] = set()
    for r0 in ev.rows:
        key = (r0["data"], r0["part_name"])
        if key in done:
            continue
        done.add(key)
        rows = [r for r in ev.rows if (r["data"], r["part_name"]) == key]
        ss = seqs.get(key[0], [])
        n_sub = sum(len(s["subjects"]) for s in ss)
        frames = rows[0]["by_bucket"]
        lines += [f"### {key[0]} — {key[1]} ({len(ss)} sequences, {n_sub} subjects; frames per bucket "
                  + ", ".join(f"{b}: {frames[b]['part']['frames']}" for b in BUCKETS) + ")", "",
                  "| method | weights | hit % | hijack % | " + " | ".join(f"hit {b} %" for b in BUCKETS)
                  + " | PCK@0.5 % | success AUC | lost frames |",
                  "|---|---|---|---|" + "---|" * len(BUCKETS) + "---|---|---|"]
        for r in rows:
            p, s = r["part"], r["subject"]
            auc = "–" if s["success_auc"] is None else f"{s['success_auc']:.3f}"
            lines.append(f"| {r['method']} | {r['weights']} | {pct(p['hit_rate'])} | {pct(p['hijack_rate'])} | "
                         + " | ".join(pct(r["by_bucket"][b]["part"]["hit_rate"]) for b in BUCKETS)
                         + f" | {pct(p['pck@0.5'])} | {auc} | {s['lost_frames']} |")
        lines.append("")
    return lines


def section(ev: Evaluation, meta: dict) -> str:
    lines = [BEGIN, "## Part tracking evaluation (issue 6)", "",
             f"Commit `{meta['commit']}`; weights: "
             + ", ".join(f"{k}=`{v}`" for k, v in meta["weights"].items())
             + f"; device {meta['device']}; {meta['cpu']}; wall time {meta['wall_s'] / 60:.1f} min.", "",
             f"Reproduce: `{meta['command']}`", "",
             "Hit = predicted point inside the subject's own part box; hijack = inside another "
             "person's same-part box ([0005]); buckets = distance to the nearest other person's "
             "same part in subject part heights. Suites: the suite's chosen subject; Town Centre: "
             "every person annotated >= 10 frames. Town Centre: Benfold & Reid, CVPR 2011.", ""]
    lines += compact_tables(ev)
    checks = check_targets(ev.rows)
    if checks:
        lines += ["### Targets", "", "| data | weights | check | value % | target % | pass |", "|---|---|---|---|---|---|"]
        for c in checks:
            ok = "–" if c["pass"] is None else ("yes" if c["pass"] else "NO")
            lines.append(f"| {c['data']} | {c['weights']} | {c['check']} | {pct(c['value'])} | {pct(c['target'])} | {ok} |")
        lines.append("")
    return "\n".join(lines + [END]) + "\n"


def update(path: Path, text: str) -> None:
    """Replace the marked section of ``path`` (append it when absent), atomically."""
    old = path.read_text() if path.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    new = pattern.sub(lambda _: text, old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    write_text(path, new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", action="append", default=[], help="PATH or LABEL=PATH (default: shipped)")
    ap.add_argument("--out", default="bench-out/eval")
    ap.add_argument("--suites", default=",".join(SUITES), help="comma-separated suite names")
    ap.add_argument("--methods", default=",".join(ALL_METHODS))
    ap.add_argument("--limit", type=int, default=None, help="first N sequences per suite")
    ap.add_argument("--max-frames", type=int, default=None, help="frames per subject (quick runs)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--update", default=None, help="BENCHMARKS.md to update in place")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(a.threads)
    methods = [m for m in a.methods.split(",") if m]
    paths = parse_weights(a.weights)
    weights = {lbl: load_weights(p) for lbl, p in paths.items()}
    t0 = time.perf_counter()
    n = 0

    def tick(k: int) -> None:
        nonlocal n
        n += k
        if n % 200 == 0:
            print(f"  {n} frames, {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    evs = []
    for name in [s for s in a.suites.split(",") if s]:
        print(f"suite {name}", file=sys.stderr)
        evs.append(evaluate(suite_data(name, a.limit), weights, methods, "chosen", a.max_frames, a.device, on_frame=tick))
    if HELD_OUT.is_file():
        print(f"held-out {HELD_OUT.name}", file=sys.stderr)
        evs.append(evaluate([path_data(HELD_OUT)], weights, methods, "all", a.max_frames, a.device, on_frame=tick))
    else:
        print(f"skipped the held-out Town Centre clip: {HELD_OUT} not found", file=sys.stderr)
    ev = Evaluation([r for e in evs for r in e.rows], [r for e in evs for r in e.runs],
                    [s for e in evs for s in e.sequences])
    cmd = "python benchmarks/eval_all.py " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = {"command": cmd.strip(), "commit": commit_hash(REPO), "device": a.device,
            "cpu": f"{a.threads} torch/OpenCV threads", "wall_s": time.perf_counter() - t0,
            "weights": {k: "shipped" if v is None else str(v) for k, v in paths.items()}}
    out = Path(a.out)
    write_report(ev, out, meta)
    text = section(ev, meta)
    write_text(out / "benchmarks_section.md", text)
    if a.update:
        update(Path(a.update), text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
