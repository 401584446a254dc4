"""Nothing is lost: a NaN/inf loss stops training and keeps the last good checkpoint; a run
killed mid-epoch resumes to the same final step; a writer that dies (exception or SIGKILL)
leaves the old file; the S110 store holds ``n`` maps per stream however long training runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import parttrack.training.modules as modules
from parttrack.cli import main
from parttrack.config import from_dict
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, load_weights, save_weights
from parttrack.training.callbacks import AtomicCheckpointIO
from parttrack.training.config import TrainConfig
from parttrack.training.data import Sampler, TrainBatches, load_sources
from parttrack.training.run import resume_step

SYNTH = {"synthetic_clips": 1, "synthetic_overrides": {"num_frames": 12, "width": 192, "height": 144, "num_people": 3}}


def detector_yaml(d: Path, max_steps: int, every: int) -> Path:
    p = d / "det.yaml"
    p.write_text(
        "stage: detector\nmodel: {width: 8}\n"
        "data: {synthetic_clips: 1, synthetic_overrides: {num_frames: 12, width: 192, height: 144, num_people: 3}}\n"
        f"batch_size: 2\nend: {{max_steps: {max_steps}}}\nwarmup_steps: 1\ncheckpoint_every: {every}\n"
        "log_every: 1\nprogress_bar: false\nthreads: 1\noutput: det.pt\n"
    )
    return p


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(args)
    out, err = capsys.readouterr()
    return e.value.code, out, err


# -- a non-finite loss ---------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], bad: float
) -> None:
    real = modules.detector_loss
    calls = []

    def loss_goes_bad_at_step_3(*args: object, **kwargs: object):  # noqa: ANN202
        loss, stats = real(*args, **kwargs)
        calls.append(1)
        return (loss * bad if len(calls) == 4 else loss), stats

    monkeypatch.setattr(modules, "detector_loss", loss_goes_bad_at_step_3)
    cfg = detector_yaml(tmp_path, max_steps=8, every=2)
    out = tmp_path / "run"
    code, _, err = cli(["train", "detector", "--config", str(cfg), "--out", str(out), "--device", "cpu"], capsys)
    last = out / "checkpoints" / "last.ckpt"
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: {cfg}: loss is {bad} at step 3; training stopped; last good checkpoint: {last}"
    )
    assert len(calls) == 4  # stopped at once
    assert resume_step(last, "detector") == 2  # the checkpoint of step 2 is kept, loadable
    state = torch.load(last, map_location="cpu", weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values())
    assert not (tmp_path / "det.pt").exists()  # no weights file from a failed run
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary files left


# -- a killed run resumes ------------------------------------------------------------------
SLOW_TRAIN = """
import sys, time
import torch
torch.set_num_threads(1)
from parttrack.training import modules
step = modules.DetectorModule.training_step
def slow(self, batch, i):
    time.sleep(0.15)
    return step(self, batch, i)
modules.DetectorModule.training_step = slow
from parttrack.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_same_final_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = detector_yaml(tmp_path, max_steps=40, every=4)
    out = tmp_path / "run"
    ckpts = out / "checkpoints"
    script = tmp_path / "slow_train.py"
    script.write_text(SLOW_TRAIN)
    args = ["train", "detector", "--config", str(cfg), "--out", str(out), "--device", "cpu"]
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not (ckpts / "step0000008.ckpt").exists():  # mid-epoch: the stream never ends
            assert proc.poll() is None and time.monotonic() < deadline, "training ended or hung before step 8"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "det.pt").exists()
    kept = [ck for ck in ckpts.glob("*.ckpt") if not ck.name.startswith(".")]  # not a temporary
    assert ckpts / "last.ckpt" in kept
    for ck in kept:  # the kill may land in a write: every checkpoint still loads
        assert resume_step(ck, "detector") in range(4, 40, 4), ck
    start = resume_step(ckpts / "last.ckpt", "detector")

    real = modules.DetectorModule.training_step
    steps = []

    def counted(self, batch, i):  # noqa: ANN001, ANN202
        steps.append(self.global_step)
        return real(self, batch, i)

    monkeypatch.setattr(modules.DetectorModule, "training_step", counted)
    code, text, _ = cli([*args, "--resume", str(ckpts / "last.ckpt")], capsys)
    assert code == 0 and text.startswith("detector: 40 steps")
    assert steps == list(range(start, 40))  # went on from the checkpoint, not from 0
    meta = load_weights(tmp_path / "det.pt", need_tracker=False).meta
    assert meta["steps"] == 40 and meta["resumed_from"] == str(ckpts / "last.ckpt")


# -- writers that die keep the old file ----------------------------------------------------
def half_then_fail(obj: object, f: object, *args: object, **kwargs: object) -> None:
    Path(f).write_bytes(b"half a file")  # type: ignore[arg-type]
    raise OSError(28, "No space left on device")


def test_checkpoint_and_weights_writers_keep_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ModelConfig(width=8)
    det = PartDetector(cfg)
    save_weights(tmp_path / "w.pt", cfg, det, None)
    AtomicCheckpointIO().save_checkpoint({"global_step": 3}, tmp_path / "last.ckpt")
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(torch, "save", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        save_weights(tmp_path / "w.pt", cfg, det, None)
    with pytest.raises(OSError, match="No space"):
        AtomicCheckpointIO().save_checkpoint({"global_step": 4}, tmp_path / "last.ckpt")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old  # same files, same bytes
    monkeypatch.undo()
    assert load_weights(tmp_path / "w.pt", need_tracker=False).config == cfg


KILL_IN_WRITE = """
import os, signal, sys
from parttrack.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp, open(tmp, "wb") as f:
    f.write(b"new" * 100000)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_sigkill_during_a_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "last.ckpt"
    target.write_bytes(b"old, complete")
    p = subprocess.run([sys.executable, "-c", KILL_IN_WRITE, str(target)], timeout=60)
    assert p.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old, complete"
    (stray,) = [q for q in tmp_path.iterdir() if q != target]  # the half file has its own name
    assert stray.name.startswith(".last.ckpt.") and stray.stat().st_size == 300000


def test_track_that_fails_mid_stream_keeps_the_old_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ModelConfig(parts=("head",), width=8)
    save_weights(tmp_path / "w.pt", cfg, PartDetector(cfg), SiameseTracker(cfg))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(6):
        cv2.imwrite(str(frames / f"f{i}.png"), np.full((48, 64, 3), 40 * i, np.uint8))
    outs = {"--jsonl": tmp_path / "o" / "r.jsonl", "--mot": tmp_path / "o" / "r.txt", "--out": tmp_path / "o" / "r.mp4"}
    args = ["track", str(frames), "--box", "20,10,16,24", "--weights", str(tmp_path / "w.pt")]
    args += [x for k, v in outs.items() for x in (k, str(v))]
    assert cli(args, capsys)[0] == 0
    old = {p: p.read_bytes() for p in outs.values()}
    assert old[outs["--jsonl"]].count(b"\n") == 6
    (frames / "f4.png").write_bytes(b"\x89PNG cut off")
    code, _, err = cli(args, capsys)
    assert code == 2 and err.splitlines()[-1] == f"error: {frames} (frame 4): frame failed to decode: cannot read image f4.png"
    assert {p: p.read_bytes() for p in outs.values()} == old
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["r.jsonl", "r.mp4", "r.txt"]  # no temp files


# -- long runs stay flat -------------------------------------------------------------------
def test_temporal_store_holds_n_maps_per_stream_over_a_long_run() -> None:
    """S108-S110 on the training side ([0065]-[0067]): 120 steps, clips of 8 frames restarting
    in 2 stream slots; the store never holds more than n detached maps per slot."""
    torch.set_num_threads(1)
    cfg = from_dict(TrainConfig, {
        "stage": "tracker", "model": {"width": 8}, "detector_weights": "unused.pt", "batch_size": 4,
        "stream_fraction": 0.5, "temporal_n": 3, "data": {**SYNTH, "samples": {"clip_length": 8}},
    })
    sampler = Sampler(load_sources(cfg.data, Path("."), need_parts=False), {"synthetic": 1.0}, cfg.model,
                      cfg.data.samples, with_template=True)
    module = modules.TrackerModule(cfg)
    restarts, deepest = 0, 0
    with pytest.warns(UserWarning, match="self.log"):  # no Trainer here: logging is skipped
        for i, batch in zip(range(120), TrainBatches(sampler, cfg.batch_size, cfg.num_streams, seed=0), strict=False):
            module.training_step(batch, i)
            restarts += int((batch["stream_step"] == 0).sum())
            store = module.memory._store
            assert len(store) <= cfg.num_streams == 2
            assert all(len(buf) <= cfg.temporal_n for buf in store.values())
            assert all(not m.requires_grad and m.grad_fn is None for buf in store.values() for m, _ in buf)
            deepest = max(deepest, *(len(buf) for buf in store.values()))
    assert deepest == cfg.temporal_n and restarts >= 2 * 120 // 8  # full, and clips came and went
