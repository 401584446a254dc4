"""Every command in README.md, BENCHMARKS.md and docs/*.md is executed by a test (issue 16, 9).

Each shell line of a fenced block (```` ```bash ```` or a plain ```` ``` ````) whose program is
``parttrack``, ``make`` or ``python`` is found here and gets one of two treatments, chosen in
:data:`HOW` (a command missing there fails :func:`test_every_doc_command_is_classified`):

* ``run``: run for real, in-process, in a folder of small stand-ins for the files it names
  (a 960x540 ``street.mp4`` of 6 frames, a 160x120 ``clip.mp4``, an image folder, tiny random
  weights ``w.pt`` passed as ``--weights``); ``extra`` lists what is added to keep it small;
* ``parse``: the command line is parsed by the real parser (the CLI's click parser, argparse of
  a benchmark script, ``make -n`` of a Makefile target), with the reason it is not run. Config
  files it names are loaded. Placeholders (``...`` after ``--box``, ``VIDEO``, ``N``,
  ``[--optional]``) get sample values.

Python blocks are compiled.
"""

from __future__ import annotations

import argparse
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import typer.main

from parttrack.cli import app, main
from parttrack.data.video import VideoWriter
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, save_weights

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "BENCHMARKS.md", *sorted((REPO / "docs").glob("*.md"))]
PROGRAMS = ("parttrack", "make", "python")
BOX = "60,30,20,50"


@dataclass(frozen=True)
class DocCommand:
    """One command of a doc: where (``file:line``) and the shell words."""

    where: str
    text: str

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)


def doc_blocks(path: Path) -> list[tuple[str, int, list[str]]]:
    """``(language, first line number, lines)`` of every fenced block of ``path``."""
    blocks, lang, start, lines = [], None, 0, []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```(\w*)", line)
        if fence and lang is None:
            lang, start, lines = fence.group(1), n + 1, []
        elif fence:
            blocks.append((lang, start, lines))
            lang = None
        elif lang is not None:
            lines.append(line)
    return blocks


def doc_commands() -> list[DocCommand]:
    """The shell commands of every doc (continuations joined: a trailing ``\\`` or an indented
    line goes on the command above)."""
    found = []
    for path in DOCS:
        for lang, start, lines in doc_blocks(path):
            if lang not in ("", "bash", "sh", "shell", "console"):
                continue
            joined: list[tuple[int, str]] = []
            for k, line in enumerate(lines):
                cont = joined and (joined[-1][1].endswith("\\") or line[:1].isspace())
                if cont:
                    n, prev = joined[-1]
                    joined[-1] = (n, prev.rstrip("\\").rstrip() + " " + line.strip())
                elif line.strip():
                    joined.append((start + k, line.strip()))
            for n, text in joined:
                words = shlex.split(text, comments=True)
                if words and words[0] in PROGRAMS:
                    found.append(DocCommand(f"{path.relative_to(REPO)}:{n}", text))
    return found


COMMANDS = doc_commands()

# command (the words, joined by one space) -> ("run", extra words) or ("parse", why not run)
HOW: dict[str, tuple[str, str | list[str]]] = {
    "make demo": ("parse", "sets up a virtual environment; the demo itself is the `parttrack demo` line"),
    "make test": ("parse", "the whole suite: CI runs it (.ci/run)"),
    "parttrack track street.mp4 --box 850,300,60,170 --start 0 --end 400 --jsonl out/track.jsonl "
    "--mot out/track.txt --out out/track.mp4 --panels out/panels": ("run", []),
    "parttrack track frames/ --box ...": ("run", []),
    "parttrack track 0 --box ...": ("parse", "needs a camera"),
    "parttrack track 0 --box ... --realtime": ("parse", "needs a camera; real-time mode runs in tests/test_pipeline.py"),
    "parttrack track street.mp4 --box 850,300,60,170 --box 400,320,55,160 --jsonl out/two.jsonl": ("run", []),
    "parttrack track street.mp4 --point 880,330 --start 0 --jsonl out/tap.jsonl": (
        "parse", "a tap needs a person the part detector finds (the random test weights find none); "
        "run for real by tests/tracker/test_part_tracker_identity.py and the viewer's browser test"),
    "parttrack track street.mp4 --box 850,300,60,170 --config configs/identity.yaml --jsonl out/id.jsonl": (
        "parse", "the preset is loaded here; identity mode runs in tests/tracker/test_part_tracker_identity.py"),
    "parttrack synth --suite real-crossing --out suites/real-crossing": (
        "parse", "cuts people from ../shared/data (~40 s); run for real by tests/synth/test_composite.py"),
    "parttrack track clip.mp4 --box ... --backend onnxruntime --threads 2": ("run", []),
    "parttrack demo --out demo-out": ("parse", "run for real by tests/test_cli_track.py::test_demo_writes_its_files"),
    "parttrack synth --suite crossing --out suites/crossing": ("run", ["--limit", "1", "--preview"]),
    "parttrack train detector --config configs/recipe_detector.yaml": ("parse", "trains for ~10 min; "
                                                                        "tests/training runs short recipes"),
    "parttrack train tracker --config configs/recipe_tracker.yaml": ("parse", "trains for ~10 min; "
                                                                      "tests/training runs short recipes"),
    "parttrack eval --data crossing --data ../shared/data/towncentre/clip_f0249_n149.mp4 --methods "
    "product,top-down,bottom-up,region-only,box-prior,csrt+box-prior,csrt+top-down --out reports/eval": (
        "parse", "a full evaluation takes minutes; tests/test_cli_eval.py runs eval for real"),
    "parttrack export --out onnx/": ("parse", "exports and checks both graphs (~15 s on 2 cores); "
                                              "tests/runtime/test_export.py exports for real"),
    "parttrack bench clip.mp4 --box ...": ("run", ["--frames", "3"]),
    "parttrack serve --videos ../shared/data/towncentre": ("parse", "starts a server that runs until stopped; "
                                                             "tests/viewer runs the app"),
    "parttrack serve --videos ~/clips --port 8080 --work /tmp/pt-serve --max-upload-mb 500": (
        "parse", "starts a server that runs until stopped; tests/viewer runs the app"),
    "parttrack label my_street.mp4 --teacher movenet_multipose.onnx --out my_street.jsonl": (
        "parse", "needs the MoveNet teacher model (../shared/models); tests/teacher runs it"),
    "parttrack label VIDEO --teacher PATH --out labels.jsonl [--boxes gt.txt] [--start N] [--end N] [--step N] "
    "[--tile auto|none|WxH] [--scale 0.5] [--threads N] [--min-length N]": ("parse", "a synopsis (placeholders)"),
    "python benchmarks/bench_speed.py --frames 140 --repeats 3 --json bench-out/speed.json": (
        "parse", "a benchmark of minutes on the real clip"),
    "parttrack bench ../shared/data/towncentre/clip_f0249_n149.mp4 --box 1343.2,268.8,67.9,202.3 --frames 140 "
    "--backends onnxruntime --peers csrt [--batch 4] [--weights W] [--json OUT]": (
        "parse", "a benchmark on the real clip (../shared/data); a synopsis with options"),
    "python benchmarks/bench_memory.py --frames 10000": ("parse", "tracks 10,000 frames (minutes)"),
    "parttrack bench ../shared/data/towncentre/clip_f0435_n96.mp4 --box 1575.7,67.1,60.2,150.9 "
    "--box 907.0,58.5,51.2,142.5 --box 865.5,124.4,57.2,161.0 --box 1020.5,130.8,56.1,163.6 "
    "--box 1677.1,247.5,81.6,199.1 --box 628.8,190.8,65.4,177.8 --box 1528.6,569.7,103.0,281.3 "
    "--box 1593.0,433.0,92.8,246.0 --box 923.0,318.3,72.9,216.5 --box 694.5,400.6,84.2,236.6 "
    "--box 583.2,404.2,86.7,235.9 --box 1675.4,555.3,109.9,279.9 --box 910.4,44.2,49.9,138.4 "
    "--box 251.9,448.0,102.3,243.0 --box 147.3,407.7,104.5,232.4 --box 105.9,376.4,104.6,224.5 "
    "--subjects 1,4,8,16 --frames 90 --backends onnxruntime --peers csrt --threads 1 --json OUT": (
        "parse", "a benchmark of 16 subjects on the real clip (../shared/data); tests/test_bench.py runs --subjects"),
    "parttrack label ../shared/data/unlabelled/office_one_by_one.mp4 --teacher ../shared/models/movenet_multipose.onnx "
    "--out ../runs/labels/office_one_by_one.jsonl --tile none --scale 0.5 --threads 1": (
        "parse", "needs ../shared (teacher and clip), ~1 min; tests/teacher runs label for real"),
    "parttrack train detector --config configs/recipe_v2_detector.yaml": (
        "parse", "trains for ~5-25 min on ../shared data; tests/training runs short recipes"),
    "parttrack train tracker --config configs/recipe_v2_tracker.yaml": (
        "parse", "trains for ~15-30 min on ../shared data; tests/training runs short recipes"),
    "parttrack train tracker --config configs/recipe_v2b_tracker.yaml": (
        "parse", "trains for ~15-30 min on ../shared data after recipe_v2_detector; tests/training runs short recipes"),
    "python benchmarks/bench_speed.py --process --repeats 3 --frames 150 [--pythonpath PATCHED_SRC] --json OUT": (
        "parse", "whole-process timings of minutes on the real clip"),
}

PLACEHOLDERS = {"VIDEO": "clip.mp4", "PATH": "t.onnx", "N": "1", "W": "w.pt", "OUT": "out.json", "PATCHED_SRC": "src"}


def key(c: DocCommand) -> str:
    return " ".join(c.words)


def concrete(words: list[str]) -> list[str]:
    """Placeholders replaced by sample values, ``[optional]`` brackets dropped."""
    out = []
    for i, w in enumerate(words):
        w = w.strip("[]")
        if w == "...":
            w = BOX if i and words[i - 1] == "--box" else "x"
        out.append(PLACEHOLDERS.get(w, w))
    return out


def test_every_doc_command_is_classified() -> None:
    keys = [key(c) for c in COMMANDS]
    assert len(keys) >= 15  # the README's command line section and more were found
    missing = [f"{c.where}: {key(c)}" for c in COMMANDS if key(c) not in HOW]
    assert not missing, "add these doc commands to HOW (run or parse, with a reason):\n" + "\n".join(missing)


# -- parse every command with its real parser ----------------------------------------------
def parse_parttrack(words: list[str]) -> None:
    group = typer.main.get_command(app)
    ctx = group.make_context("parttrack", list(words))
    name, sub, rest = group.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
    sub.make_context(name, rest, parent=ctx)


class _Parsed(Exception):
    pass


def parse_script(words: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real = argparse.ArgumentParser.parse_args

    def parse_only(self: argparse.ArgumentParser, args: list[str] | None = None, namespace: object = None) -> None:
        real(self, args, namespace)  # exits 2 on a bad option
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    monkeypatch.setattr(sys, "argv", [words[1], *words[2:]])
    namespace = runpy.run_path(str(REPO / words[1]), run_name="docs_check")
    with pytest.raises(_Parsed):
        namespace["main"]()


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.where} {key(c)[:60]}" for c in COMMANDS])
def test_doc_command_parses(command: DocCommand, monkeypatch: pytest.MonkeyPatch) -> None:
    words = concrete(command.words)
    if words[0] == "parttrack":
        parse_parttrack(words[1:])
        if words[1] == "train":  # the recipe it names loads
            from parttrack.config import load_yaml
            from parttrack.training.config import TrainConfig

            load_yaml(TrainConfig, REPO / words[words.index("--config") + 1])
    elif words[0] == "python":
        parse_script(words, monkeypatch)
    else:
        if shutil.which("make") is None:
            pytest.skip("make is not installed")
        p = subprocess.run(["make", "-n", "-C", str(REPO), *words[1:]], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr


# -- run the "run" ones for real -------------------------------------------------------------
@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("docs")
    rng = np.random.default_rng(0)
    for name, (w, h), n in (("street.mp4", (960, 540), 6), ("clip.mp4", (160, 120), 12)):
        with VideoWriter(d / name, 25.0, (w, h)) as writer:
            for i in range(n):
                img = np.full((h, w, 3), (60, 90, 70), np.uint8)
                x, y = (850, 300) if w > 500 else (60, 30)
                cv2.rectangle(img, (x + 2 * i, y), (x + 2 * i + 20, y + 50), (40, 40, 200), -1)
                writer.write(img)
    (d / "frames").mkdir()
    for i in range(6):
        cv2.imwrite(str(d / "frames" / f"f{i}.png"), rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    save_weights(d / "w.pt", cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())
    return d


RUN = [c for c in COMMANDS if HOW.get(key(c), ("parse",))[0] == "run"]


@pytest.mark.parametrize("command", RUN, ids=[f"{c.where} {key(c)[:60]}" for c in RUN])
def test_doc_command_runs(command: DocCommand, stand_ins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("street.mp4", "clip.mp4", "frames", "w.pt"):
        (tmp_path / name).symlink_to(stand_ins / name)
    monkeypatch.chdir(tmp_path)
    words = concrete(command.words)
    extra = list(HOW[key(command)][1])
    if words[1] in ("track", "export", "bench"):
        extra += ["--weights", "w.pt"]
    if "--backend" in words and "onnxruntime" in words:
        pytest.importorskip("onnxruntime")
    with pytest.raises(SystemExit) as e:
        main([*words[1:], *extra])
    out, err = capsys.readouterr()
    assert e.value.code == 0, err
    if words[1] == "track":
        assert "tracked" in out
        for option in ("--jsonl", "--mot", "--out"):
            if option in words:
                assert (tmp_path / words[words.index(option) + 1]).stat().st_size > 0
    if words[1] == "export":
        assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["frame.onnx", "template.onnx"]


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_python_blocks_compile(path: Path) -> None:
    for lang, start, lines in doc_blocks(path):
        if lang == "python":
            compile("\n".join(lines), f"{path.name}:{start}", "exec")
