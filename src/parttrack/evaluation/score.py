"""Scoring tracked runs against the annotations: per-frame records per (weights, method), then
rows micro-averaged over the subjects of each data group (:mod:`parttrack.evaluation.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from parttrack.data.types import AnnotatedSequence
from parttrack.evaluation.metrics import (
    PartRecord,
    SubjectRecord,
    part_outcomes,
    subject_outcomes,
    summarize,
)
from parttrack.evaluation.plan import ALL_METHODS, NO_WEIGHTS, SubjectRun


def score_run(run: SubjectRun, seq: AnnotatedSequence) -> dict[tuple[str, str], dict[str, Any]]:
    """Per-frame records of every track of ``run`` over its scored frames (init frame excluded).

    Returns:
        ``(weights, method) -> {"parts": {part: [PartRecord]}, "subject": {part or None:
        [SubjectRecord]}}`` (subject records carry each part's proximity bucket).
    """
    only = set(range(run.plan.start + 1, run.plan.end + 1))
    sid = run.plan.subject_id
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, t in run.tracks.items():
        parts = {p: part_outcomes(t.points.get(p, {}), seq, sid, p, only) for p in run.parts}
        subj = {p: subject_outcomes(t.boxes, seq, sid, t.lost, only, p) for p in (run.parts or (None,))}
        out[key] = {"parts": parts, "subject": subj}
    return out


def aggregate(scored: Iterable[tuple[str, SubjectRun, dict[tuple[str, str], dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Rows ``{"data", "weights", "method", "part_name", "part", "subject", "by_bucket"}`` of
    :func:`~parttrack.evaluation.metrics.summarize` over all subjects of each group
    (micro-average over frames), one per (group, weights, method, part); ordered by group,
    part, weights (as given; weight-free peers last), method (:data:`ALL_METHODS`). A part
    never annotated as a box in a group (e.g. eyes of people all facing away) gets no rows."""
    acc: dict[tuple[str, str, str, str | None], tuple[list[PartRecord], list[SubjectRecord]]] = {}
    for group, run, recs in scored:
        for (label, method), r in recs.items():
            for p in run.parts or (None,):
                pr, sr = acc.setdefault((group, label, method, p), ([], []))
                if p is not None:
                    pr.extend(r["parts"][p])
                sr.extend(r["subject"][p])
    scored_parts = {(g, p) for (g, _, _, p), (pr, _) in acc.items() if p is None or pr}
    first: dict[Any, int] = {}
    for g, lbl, _, p in acc:
        for key in (("g", g), ("w", lbl), ("p", p)):
            first.setdefault(key, len(first))
    order = {m: i for i, m in enumerate(ALL_METHODS)}
    keys = sorted((k for k in acc if (k[0], k[3]) in scored_parts), key=lambda k: (
        first[("g", k[0])], first[("p", k[3])], k[1] == NO_WEIGHTS, first[("w", k[1])], order[k[2]]))
    return [{"data": g, "weights": lbl, "method": m, "part_name": p, **summarize(*acc[(g, lbl, m, p)])}
            for g, lbl, m, p in keys]


@dataclass
class Evaluation:
    """Everything a report needs.

    Attributes:
        rows: one per (data group, weights, method, part), see :func:`aggregate`.
        runs: one per (sequence, subject, weights, method): range and per-part hit/hijack
            counts, for drill-down.
        sequences: one per evaluated sequence: group, name, subjects tracked.
    """

    rows: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    sequences: list[dict[str, Any]]


