"""report.md / report.json / plots from hand-made evaluation rows."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from parttrack.errors import UsageError
from parttrack.evaluation.metrics import BUCKETS, PartRecord, SubjectRecord, summarize
from parttrack.evaluation.plan import NO_WEIGHTS
from parttrack.evaluation.report import (
    TABLE_HEAD,
    check_targets,
    num,
    pct,
    render_markdown,
    slug,
    success_curves,
    table_row,
    write_report,
)
from parttrack.evaluation.run import parse_weights
from parttrack.evaluation.score import Evaluation


def rec(k: int, outcome: str, bucket: str) -> PartRecord:
    return PartRecord(k, outcome, True, 0.0 if outcome == "hit" else 2.0, None, bucket)  # type: ignore[arg-type]


def row(data: str, weights: str, method: str, outcomes: list[tuple[str, str]], iou: float = 0.8) -> dict:
    parts = [rec(k, o, b) for k, (o, b) in enumerate(outcomes)]
    subs = [SubjectRecord(k, iou, 5.0, False, b) for k, (_, b) in enumerate(outcomes)]
    return {"data": data, "weights": weights, "method": method, "part_name": "head", **summarize(parts, subs)}


def make_eval(product_lt1_hits: int = 4) -> Evaluation:
    prod = [("hit", "<1")] * product_lt1_hits + [("hijack", "<1")] * (4 - product_lt1_hits) + [("hit", ">4")] * 4
    rows = [
        row("crossing", "w", "product", prod),
        row("crossing", "w", "top-down", [("hit", "<1"), ("hijack", "<1"), ("hijack", "<1"), ("hit", "<1")]
            + [("hit", ">4")] * 4),
        row("crossing", NO_WEIGHTS, "csrt+box-prior", [("miss", "<1")] * 4 + [("hit", ">4")] * 4, iou=0.3),
    ]
    return Evaluation(rows, [], [{"data": "crossing", "sequence": "crossing-000", "subjects": [3]}])


def test_formatting_helpers() -> None:
    assert pct(None) == "–" and pct(0.9755) == "97.5" and pct(1.0) == "100.0"
    assert num(None) == "–" and num(0.12345) == "0.123"
    assert slug("clip_f0249_n149", "head") == "clip_f0249_n149_head"
    assert slug("/a b/c", "side by side") == "a-b-c_side-by-side"


def test_table_row_matches_the_summary() -> None:
    r = make_eval(3).rows[0]
    cells = [c.strip() for c in table_row(r).strip("|").split("|")]
    heads = [c.strip() for c in TABLE_HEAD.strip("|").split("|")]
    assert len(cells) == len(heads)
    got = dict(zip(heads, cells, strict=True))
    assert got["frames"] == "8"
    assert got["hit %"] == "87.5" and got["hijack %"] == "12.5" and got["miss %"] == "0.0"
    assert got["hit <1 %"] == "75.0" and got["hit >4 %"] == "100.0" and got["hit 2-4 %"] == "–"
    assert got["lost"] == "0" and got["success AUC"] == num(r["subject"]["success_auc"])


@pytest.mark.parametrize(("lt1_hits", "passes"), [(4, [True, True, None, True]), (3, [False, True, None, False])])
def test_check_targets(lt1_hits: int, passes: list) -> None:
    checks = check_targets(make_eval(lt1_hits).rows)
    assert [c["check"] for c in checks] == [
        "product hit rate, <1 bucket",
        "product hit <1 minus top-down hit <1",
        "product hit <1 minus bottom-up hit <1",  # no bottom-up row: not measured
        "product hijack rate (max)",
    ]
    assert [c["pass"] for c in checks] == passes
    assert checks[0]["value"] == lt1_hits / 4
    assert checks[1]["value"] == pytest.approx(lt1_hits / 4 - 0.5)
    assert checks[3]["value"] == (4 - lt1_hits) / 8


def test_check_targets_ignores_other_groups_and_parts() -> None:
    ev = make_eval()
    for r in ev.rows:
        r["data"] = "easy"
    assert check_targets(ev.rows) == []


def test_success_curves_dedupe_tracker_runs() -> None:
    curves = success_curves(make_eval().rows)
    assert list(curves) == ["parttrack [w]", "csrt"]
    assert curves["csrt"][1] == pytest.approx(6 / 21)  # IoU 0.3 > t for t = 0 .. 0.25


def test_render_markdown_sections() -> None:
    md = render_markdown(make_eval(), {"command": "parttrack eval --data crossing", "weights": {"w": "x.pt"}},
                         {"crossing": ["a.png"]})
    assert "## crossing — head" in md
    assert "- command: `parttrack eval --data crossing`" in md and "w=`x.pt`" in md
    assert "Frames per bucket: `<1` 4, `1-2` 0, `2-4` 0, `>4` 4, `none` 0" in md
    assert "| crossing | w | product hit rate, <1 bucket | 100.0 | 97.0 | yes |" in md
    assert "| crossing | w | product hit <1 minus top-down hit <1 | 50.0 | 10.0 | yes |" in md
    assert "![a.png](a.png)" in md
    assert md.count(TABLE_HEAD) == 1


def test_write_report_files_and_json(tmp_path: Path) -> None:
    ev = make_eval()
    paths = write_report(ev, tmp_path / "out", {"command": "x"})
    names = sorted(p.name for p in paths)
    assert names == ["hit_by_proximity_crossing_head.png", "report.json", "report.md", "success_crossing.png"]
    for p in paths:
        assert p.is_file()
    for png in ("hit_by_proximity_crossing_head.png", "success_crossing.png"):
        img = cv2.imread(str(tmp_path / "out" / png))
        assert img is not None and img.shape[0] > 200 and img.shape[1] > 300
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["rows"] == ev.rows
    assert [t["pass"] for t in data["targets"]] == [True, True, None, True]
    assert set(data["rows"][0]["by_bucket"]) == set(BUCKETS)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_parse_weights(tmp_path: Path) -> None:
    f = tmp_path / "a=b.pt"
    f.write_bytes(b"")
    assert parse_weights([]) == {"shipped": None}
    assert parse_weights([], "mine") == {"mine": None}
    assert parse_weights(["x/run1.pt"]) == {"run1": Path("x/run1.pt")}
    assert parse_weights(["x/run1.pt"], "base") == {"base": Path("x/run1.pt")}
    assert parse_weights(["on=x/a.pt", "off=y/b.pt"]) == {"on": Path("x/a.pt"), "off": Path("y/b.pt")}
    assert parse_weights([str(f)]) == {"a=b": f}  # an existing path with '=' is a path
    with pytest.raises(UsageError, match="used twice"):
        parse_weights(["a=x.pt", "a=y.pt"])
    with pytest.raises(UsageError, match="empty label"):
        parse_weights(["=x.pt"])
