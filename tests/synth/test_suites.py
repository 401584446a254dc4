"""Benchmark suites: each shows what its name says, fixed seeds, files written by
write_suite and the `parttrack synth` command."""

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from parttrack.cli import main
from parttrack.data.jsonl import read_sequence
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.data.video import open_video
from parttrack.errors import ConfigError
from parttrack.synth.generator import SUITE_SEED_RANGE
from parttrack.synth.suites import SUITES, build_suite, head_gaps, trackable, write_suite


@pytest.fixture(scope="module")
def crossing():
    return build_suite("crossing")


def _seed(clip) -> int:
    return int(clip.sequence.info.name.rsplit("_s", 1)[1])


def test_suite_names_and_disjoint_seed_blocks() -> None:
    assert {"easy", "crossing", "side-by-side", "crowd"} <= set(SUITES)
    firsts = sorted(s.first_seed for s in SUITES.values())
    assert SUITE_SEED_RANGE[0] <= firsts[0] and firsts[-1] + 100_000 <= SUITE_SEED_RANGE[1]
    assert all(b - a >= 100_000 for a, b in zip(firsts, firsts[1:], strict=False))
    for spec in SUITES.values():
        cfg = spec.config
        assert (cfg.width, cfg.height, cfg.num_frames, spec.count) == (384, 288, 100, 8)


def test_head_gaps_counts_visible_heads_in_subject_head_heights() -> None:
    def person(i: int, head_y: float, visible: bool = True) -> Subject:
        return Subject(i, (0, 0, 50, 100), 1.0, {"head": PartBox((10, head_y, 10, 10), visible)})

    info = SequenceInfo("t", 100, 100, 25.0, 2, None, ("head",))
    seq = AnnotatedSequence(info, {0: FrameAnnotation(0, (person(1, 0), person(2, 5), person(3, 30))),
                          1: FrameAnnotation(1, (person(1, 0), person(2, 5, False)))}, 1)
    assert head_gaps(seq, 1) == {0: 0.5, 1: math.inf}
    assert head_gaps(seq, 1, visible_only=False) == {0: 0.5, 1: 0.5}


def test_crossing_subject_head_comes_within_one_head_height(crossing) -> None:
    assert len(crossing) == 8
    assert len({c.sequence.info.name for c in crossing}) == 8
    for clip in crossing:
        seq = clip.sequence
        assert seq.subject_id is not None and trackable(clip, seq.subject_id)
        gaps = head_gaps(seq, seq.subject_id)  # both heads visible
        assert min(gaps.values()) < 1.0, seq.info.name
        assert SUITES["crossing"].first_seed <= _seed(clip) < SUITES["crossing"].first_seed + 100_000


def test_crossing_suite_has_the_lookalike_crosser(crossing) -> None:
    kinds = [(p.role, p.lookalike_of == clip.sequence.subject_id) for clip in crossing for p in clip.people]
    assert ("crosser", True) in kinds


def test_suites_are_fixed(crossing) -> None:
    again = build_suite("crossing", limit=1)[0]
    assert again.sequence == crossing[0].sequence
    assert all(np.array_equal(a, b) for a, b in zip(again.frames, crossing[0].frames, strict=True))


def test_side_by_side_subject_walks_beside_a_lookalike() -> None:
    for clip in build_suite("side-by-side", limit=2):
        seq, sid = clip.sequence, clip.sequence.subject_id
        gaps = head_gaps(seq, sid, visible_only=False)
        near = sum(g <= 2.0 for g in gaps.values())
        assert near > 0.5 * seq.info.num_frames
        mate = [p for p in clip.people if p.role == "companion" and p.partner_id == sid]
        assert len(mate) == 1 and mate[0].lookalike_of == sid


def test_crowd_is_crowded_and_occluded() -> None:
    clip = build_suite("crowd", limit=1)[0]
    counts = [len(fa.subjects) for fa in clip.sequence]
    assert min(counts) >= 8 and np.mean(counts) >= 10
    assert any(s.visibility < 0.5 for fa in clip.sequence for s in fa.subjects)
    assert trackable(clip, clip.sequence.subject_id)


def test_easy_heads_stay_apart() -> None:
    for clip in build_suite("easy", limit=2):
        seq = clip.sequence
        assert max(len(fa.subjects) for fa in seq) <= 3
        assert min(head_gaps(seq, seq.subject_id, visible_only=False).values()) >= 3.0


@pytest.mark.parametrize(("name", "limit", "match"), [("nope", None, "unknown suite"), ("easy", 0, "limit")])
def test_build_suite_errors(name: str, limit: int | None, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_suite(name, limit)


def test_write_suite_files_read_back(tmp_path: Path) -> None:
    calls = []
    paths = write_suite("easy", tmp_path, limit=1, progress=lambda d, t: calls.append((d, t)))
    name = build_suite("easy", limit=1)[0].sequence.info.name
    assert [p.name for p in paths] == [f"{name}.mp4", f"{name}.jsonl", "contact_sheet.png"]
    assert calls == [(1, 1)]
    seq = read_sequence(tmp_path / f"{name}.jsonl")
    assert seq.subject_id is not None and seq.info.part_names == ("head", "eye")
    assert Path(seq.info.source).resolve() == (tmp_path / f"{name}.mp4").resolve()
    with open_video(tmp_path / f"{name}.mp4") as video:
        assert (video.info.width, video.info.height, video.info.num_frames) == (384, 288, 100)
    sheet = cv2.imread(str(tmp_path / "contact_sheet.png"))
    assert sheet.shape == (144 + 14 + 2 + 2, 4 * (192 + 2) + 2, 3)  # one row of 4 half-size frames


def test_write_suite_preview_only(tmp_path: Path) -> None:
    paths = write_suite("easy", tmp_path, preview_only=True, limit=1)
    assert [p.name for p in paths] == ["contact_sheet.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contact_sheet.png"]


def test_synth_cli_writes_mp4_jsonl_png(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["synth", "--suite", "easy", "--out", str(tmp_path), "--limit", "1"])
    assert e.value.code == 0
    names = sorted(p.suffix for p in tmp_path.iterdir())
    assert names == [".jsonl", ".mp4", ".png"]
    assert "wrote 3 files" in capsys.readouterr().out


def test_synth_cli_unknown_suite_is_one_line_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["synth", "--suite", "nope", "--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown suite 'nope'") and "\n" not in err
