"""`parttrack eval` end to end, in-process, with random-init weights saved to tmp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from parttrack.cli import main
from parttrack.data.jsonl import write_sequence
from parttrack.data.types import AnnotatedSequence
from parttrack.data.video import VideoWriter
from parttrack.evaluation.report import pct
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, save_weights
from tests.evaluation.test_run import toy_clip

NO_LOSS = "lost_threshold: 0.0\nredetect_threshold: 0.0\nidentity: false\n"  # random nets: keep found


@pytest.fixture(scope="module")
def weights_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("w")
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    out = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        p = d / f"w{seed}.pt"
        save_weights(p, cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval(), {"seed": seed})
        out.append(p)
    return out[0], out[1]


@pytest.fixture(scope="module")
def toy_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("toy")
    seq, frames = toy_clip(10)
    with VideoWriter(d / "toy.mp4", 25.0, (seq.info.width, seq.info.height)) as w:
        for f in frames:
            w.write(f)
    info = seq.info.__class__(**{**seq.info.__dict__, "source": str(d / "toy.mp4")})
    write_sequence(AnnotatedSequence(info, seq.frames, seq.subject_id), d / "toy.jsonl")
    (d / "tracker.yaml").write_text(NO_LOSS)
    return d


def md_rows(md: str) -> dict[tuple[str, str], dict[str, str]]:
    """Parse every results table of report.md: (weights, method) -> column -> cell."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    head: list[str] | None = None
    for line in md.splitlines():
        if line.startswith("| weights | method |"):
            head = [c.strip() for c in line.strip("|").split("|")]
        elif head and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == len(head):
                out[(cells[0], cells[1])] = dict(zip(head, cells, strict=True))
        elif not line.startswith("|"):
            head = None
    return out


def run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_eval_on_a_video_with_two_weights(toy_files: Path, weights_files, tmp_path: Path, capsys) -> None:
    a, b = weights_files
    out = tmp_path / "report"
    methods = "product,top-down,bottom-up,csrt+box-prior,csrt+top-down"
    code = run(["eval", "--data", str(toy_files / "toy.jsonl"), "--methods", methods, "--weights", f"on={a}",
                "--weights", f"off={b}", "--subjects", "all", "--max-frames", "6",
                "--tracker-config", str(toy_files / "tracker.yaml"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for name in ("report.md", "report.json", "hit_by_proximity_toy_head.png", "success_toy.png"):
        assert (out / name).is_file(), name
    data = json.loads((out / "report.json").read_text())
    head_rows = [r for r in data["rows"] if r["part_name"] == "head"]
    got = {(r["weights"], r["method"]) for r in head_rows}
    assert got == {(w, m) for w in ("on", "off") for m in ("product", "top-down", "bottom-up", "csrt+top-down")} | {
        ("-", "csrt+box-prior")}
    assert data["sequences"] == [{"data": "toy", "sequence": "toy", "subjects": [0, 1]}]
    assert data["meta"]["weights"] == {"on": str(a), "off": str(b)}
    assert "--max-frames 6" in data["meta"]["command"]
    table = md_rows((out / "report.md").read_text())
    for r in head_rows:
        cells = table[(r["weights"], r["method"])]
        assert cells["frames"] == str(r["part"]["frames"]) == "12"  # 2 subjects x frames 1..6
        assert cells["hit %"] == pct(r["part"]["hit_rate"])
        assert cells["hijack %"] == pct(r["part"]["hijack_rate"])
        assert cells["hit 1-2 %"] == pct(r["by_bucket"]["1-2"]["part"]["hit_rate"])
        assert cells["lost"] == str(r["subject"]["lost_frames"])
        assert r["part"]["hits"] + r["part"]["hijacks"] + r["part"]["misses"] == 12
    # lost threshold 0: the random tracker never loses the subject, every method predicts
    assert all(r["subject"]["lost_frames"] == 0 and r["part"]["no_prediction"] == 0
               for r in head_rows if r["weights"] in ("on", "off") and not r["method"].startswith("csrt"))
    # both weights files give different tracker runs
    on = next(r for r in head_rows if r["weights"] == "on" and r["method"] == "product")
    off = next(r for r in head_rows if r["weights"] == "off" and r["method"] == "product")
    assert on["subject"]["success_curve"] != off["subject"]["success_curve"]


def test_eval_errors_are_one_line(toy_files: Path, tmp_path: Path, capsys) -> None:
    code = run(["eval", "--data", str(toy_files / "toy.jsonl"), "--methods", "product,magic",
                "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: unknown method(s) ['magic']") and "\n" not in err
    code = run(["eval", "--data", str(tmp_path / "nope"), "--methods", "csrt+box-prior", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "neither a suite" in err and "\n" not in err
    code = run(["eval", "--data", str(toy_files / "toy.jsonl"), "--weights", str(tmp_path / "missing.pt"),
                "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "missing.pt" in err and "weights file not found" in err
    assert not (tmp_path / "o").exists()


def test_eval_on_a_synthetic_suite(weights_files, tmp_path: Path, capsys) -> None:
    pytest.importorskip("parttrack.synth.suites")
    out = tmp_path / "suite"
    code = run(["eval", "--data", "crossing", "--limit", "1", "--max-frames", "8", "--subjects", "chosen",
                "--methods", "product,top-down,bottom-up,region-only,box-prior,csrt+box-prior",
                "--weights", str(weights_files[0]), "--label", "rand", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "report.json").read_text())
    assert len(data["sequences"]) == 1 and len(data["sequences"][0]["subjects"]) == 1
    methods = {r["method"] for r in data["rows"]}
    assert methods == {"product", "top-down", "bottom-up", "region-only", "box-prior", "csrt+box-prior"}
    assert {r["weights"] for r in data["rows"]} == {"rand", "-"}
    md = (out / "report.md").read_text()
    table = md_rows(md)
    for r in data["rows"]:
        if r["part_name"] == "head":
            assert table[(r["weights"], r["method"])]["hit %"] == pct(r["part"]["hit_rate"])
            assert 0 < r["part"]["frames"] <= 8
    assert "## Targets (issue 6)" in md  # the crossing suite has acceptance targets


def test_eval_device_cuda_without_cuda_is_a_clear_error(toy_files: Path, weights_files, tmp_path: Path,
                                                        capsys) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    code = run(["eval", "--data", str(toy_files / "toy.jsonl"), "--methods", "product",
                "--weights", str(weights_files[0]), "--device", "cuda", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "CUDA is not available" in err and "\n" not in err
