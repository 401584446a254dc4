"""The benchmark report: ``report.json`` (every number), ``report.md`` (tables) and plots
(hit rate by proximity bucket per method; the OTB success plot), all written atomically.

Does the element product keep a nearby person's part from being taken for the subject's
([0005], [0051])? The ``<1`` head-height bucket and the hijack rate answer it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from parttrack.atomic import atomic_path, write_text
from parttrack.evaluation.metrics import BUCKETS, OTB_THRESHOLDS
from parttrack.evaluation.plan import NO_WEIGHTS
from parttrack.evaluation.score import Evaluation

#: Acceptance targets of issue 6 (measured with the shipped weights): data group -> checks.
TARGETS: dict[str, list[tuple[str, str, float]]] = {
    "crossing": [
        ("product hit rate, <1 bucket", "hit_lt1", 0.97),
        ("product hit <1 minus top-down hit <1", "margin_top-down", 0.10),
        ("product hit <1 minus bottom-up hit <1", "margin_bottom-up", 0.10),
        ("product hijack rate (max)", "hijack", 0.01),
    ],
    "clip_f0249_n149": [
        ("product hit rate", "hit", 0.95),
        ("product hijack rate (max)", "hijack", 0.01),
    ],
}


def pct(v: float | None) -> str:
    """A rate as a percentage with one decimal; None as an en dash."""
    return "–" if v is None else f"{100.0 * v:.1f}"


def num(v: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals; None as an en dash."""
    return "–" if v is None else f"{v:.{digits}f}"


def slug(*names: object) -> str:
    """A file-name-safe slug of ``names`` joined by underscores."""
    return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", str(n)).strip("-") for n in names)


def row_label(row: Mapping[str, Any]) -> str:
    """``method`` or ``method [weights]`` (weights shown unless the method uses none)."""
    return row["method"] if row["weights"] == NO_WEIGHTS else f"{row['method']} [{row['weights']}]"


def groups(rows: list[dict[str, Any]]) -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    """Rows by ``(data group, part name)``, in row order."""
    out: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["data"], r["part_name"]), []).append(r)
    return out


TABLE_HEAD = (
    "| weights | method | frames | hit % | hijack % | miss % | PCK@0.5 % | median err | "
    + " | ".join(f"hit {b} %" for b in BUCKETS)
    + " | success AUC | prec@20 % | norm prec % | ID sw /1k | lost | absent recall % |"
)


def table_row(r: Mapping[str, Any]) -> str:
    """One markdown table row of a report row (see :data:`TABLE_HEAD`)."""
    p, s, bb = r["part"], r["subject"], r["by_bucket"]
    cells = [
        r["weights"], r["method"], str(p["frames"]), pct(p["hit_rate"]), pct(p["hijack_rate"]),
        pct(p["miss_rate"]), pct(p["pck@0.5"]), num(p["median_error"]),
        *(pct(bb[b]["part"]["hit_rate"]) for b in BUCKETS),
        num(s["success_auc"]), pct(s["precision@20"]), pct(s.get("norm_precision@0.2")),
        num(s.get("id_switches_per_1000"), 1), str(s["lost_frames"]), pct(s.get("absence_recall")),
    ]
    return "| " + " | ".join(cells) + " |"


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate :data:`TARGETS` on the first weights' product rows of the head part.

    Returns:
        ``[{"data", "weights", "check", "value", "target", "pass"}]`` for the groups present.
    """
    out = []
    for (group, part), rs in groups(rows).items():
        if part != "head" or group not in TARGETS:
            continue
        by = {(r["weights"], r["method"]): r for r in rs}
        for label in dict.fromkeys(r["weights"] for r in rs if r["method"] == "product"):
            prod = by[(label, "product")]
            lt1 = {m: None if (label, m) not in by else by[(label, m)]["by_bucket"]["<1"]["part"]["hit_rate"]
                   for m in ("product", "top-down", "bottom-up")}
            values = {"hit": prod["part"]["hit_rate"], "hijack": prod["part"]["hijack_rate"],
                      "hit_lt1": lt1["product"]}
            for other in ("top-down", "bottom-up"):
                a, b = lt1["product"], lt1[other]
                values[f"margin_{other}"] = None if a is None or b is None else a - b
            for text, key, target in TARGETS[group]:
                v = values[key]
                ok = None if v is None else (v <= target if key == "hijack" else v >= target)
                out.append({"data": group, "weights": label, "check": text, "value": v,
                            "target": target, "pass": ok})
    return out


def render_markdown(ev: Evaluation, meta: Mapping[str, Any], plots: Mapping[str, list[str]]) -> str:
    """The report as markdown: setup, one table per (data group, part), target checks, plots.

    Args:
        plots: data group -> plot file names (relative to the report).
    """
    lines = ["# parttrack evaluation report", ""]
    lines += [f"- {k}: `{v}`" for k, v in meta.items() if not isinstance(v, dict)]
    for k, v in meta.items():
        if isinstance(v, dict):
            lines.append(f"- {k}: " + ", ".join(f"{a}=`{b}`" for a, b in v.items()))
    lines += [
        "",
        "Hit: the predicted point lies inside the subject's own part box; hijack: inside another "
        "person's same-part box instead ([0005]); miss: anything else, including lost frames. "
        "Buckets: distance from the subject's part to the nearest other person's same part, in "
        "subject part heights (`none`: nobody else has the part). Success AUC / prec@20: OTB "
        "subject-box metrics. Lost: frames the tracker reported the subject lost.",
        "",
    ]
    by_seq: dict[str, list[str]] = {}
    for s in ev.sequences:
        by_seq.setdefault(s["data"], []).append(f"{s['sequence']} ({len(s['subjects'])} subjects)")
    for (group, part), rs in groups(ev.rows).items():
        lines += [f"## {group} — {part or 'subject only'}", ""]
        lines += ["Sequences: " + ", ".join(by_seq.get(group, [])), ""]
        b0 = rs[0]["by_bucket"]
        lines += ["Frames per bucket: " + ", ".join(f"`{b}` {b0[b]['part']['frames']}" for b in BUCKETS), ""]
        lines += [TABLE_HEAD, "|" + "---|" * TABLE_HEAD.count(" | ") + "---|"]
        lines += [table_row(r) for r in rs] + [""]
    checks = check_targets(ev.rows)
    if checks:
        lines += ["## Targets (issue 6)", "", "| data | weights | check | value | target | pass |",
                  "|---|---|---|---|---|---|"]
        for c in checks:
            ok = "–" if c["pass"] is None else ("yes" if c["pass"] else "NO")
            lines.append(f"| {c['data']} | {c['weights']} | {c['check']} | {pct(c['value'])} | "
                         f"{pct(c['target'])} | {ok} |")
        lines.append("")
    for group, names in plots.items():
        lines += [f"## Plots: {group}", ""] + [f"![{n}]({n})" for n in names] + [""]
    return "\n".join(lines)


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_hit_by_bucket(rows: list[dict[str, Any]], title: str, path: Path) -> None:
    """Grouped bars: hit rate (%) per proximity bucket, one bar per (weights, method) row;
    the bucket's frame count under its name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(rows), 1)
    width = 0.8 / n
    x = np.arange(len(BUCKETS))
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 * len(BUCKETS) * (1 + n / 4)), 4.2))
    for i, r in enumerate(rows):
        v = [r["by_bucket"][b]["part"]["hit_rate"] for b in BUCKETS]
        bars = ax.bar(x - 0.4 + width * (i + 0.5), [np.nan if a is None else 100 * a for a in v], width,
                      label=row_label(r), color=f"C{i % 10}")
        ax.bar_label(bars, ["" if a is None else f"{100 * a:.0f}" for a in v], fontsize=6, padding=1)
    frames = [rows[0]["by_bucket"][b]["part"]["frames"] if rows else 0 for b in BUCKETS]
    ax.set_xticks(x, [f"{b}\n({f} frames)" for b, f in zip(BUCKETS, frames, strict=True)])
    ax.set_xlabel("distance to nearest other person's same part (subject part heights)")
    ax.set_ylabel("hit rate (%)")
    ax.set_ylim(0, 105)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _save(fig, path)


def success_curves(rows: list[dict[str, Any]]) -> dict[str, tuple[list[float], float]]:
    """Distinct subject trackers' success curves: ``"parttrack [weights]"`` (all tracker
    methods share one run) and ``"csrt"``; label -> (curve, AUC)."""
    out: dict[str, tuple[list[float], float]] = {}
    for r in rows:
        s = r["subject"]
        if s["success_curve"] is None:
            continue
        label = "csrt" if r["method"].startswith("csrt") else f"parttrack [{r['weights']}]"
        out.setdefault(label, (s["success_curve"], s["success_auc"]))
    return out


def plot_success(rows: list[dict[str, Any]], title: str, path: Path) -> None:
    """OTB success plot: fraction of frames with IoU > threshold, AUC in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for i, (label, (curve, auc)) in enumerate(success_curves(rows).items()):
        ax.plot(OTB_THRESHOLDS, curve, marker=".", color=f"C{i % 10}", label=f"{label} [AUC {auc:.3f}]")
    ax.set_xlabel("IoU threshold")
    ax.set_ylabel("success rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    _save(fig, path)


def write_report(ev: Evaluation, out_dir: str | Path, meta: Mapping[str, Any]) -> list[Path]:
    """Write ``report.json``, ``report.md`` and the plots into ``out_dir`` (atomically).

    Args:
        ev: the evaluation (``parttrack.evaluation.run.evaluate``).
        meta: setup shown at the top of the report (command, commit, weights, ...).

    Returns:
        the written paths, report.md first.
    """
    out = Path(out_dir)
    written: list[Path] = []
    plots: dict[str, list[str]] = {}
    for (group, part), rs in groups(ev.rows).items():
        if part is not None:
            name = f"hit_by_proximity_{slug(group, part)}.png"
            plot_hit_by_bucket(rs, f"{group}: {part} hit rate by proximity", out / name)
            plots.setdefault(group, []).append(name)
            written.append(out / name)
    for group in dict.fromkeys(r["data"] for r in ev.rows):
        rs = [r for r in ev.rows if r["data"] == group]
        rs = [r for r in rs if r["part_name"] == rs[0]["part_name"]]
        name = f"success_{slug(group)}.png"
        plot_success(rs, f"{group}: subject success (OTB)", out / name)
        plots.setdefault(group, []).append(name)
        written.append(out / name)
    payload = {"meta": dict(meta), "rows": ev.rows, "targets": check_targets(ev.rows),
               "sequences": ev.sequences, "runs": ev.runs}
    write_text(out / "report.json", json.dumps(payload, indent=1, allow_nan=False) + "\n")
    write_text(out / "report.md", render_markdown(ev, meta, plots))
    return [out / "report.md", out / "report.json", *written]
