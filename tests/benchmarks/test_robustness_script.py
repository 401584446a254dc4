"""benchmarks/robustness.py's options (the script itself needs ../shared/data to run)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import robustness  # noqa: E402

from parttrack.errors import UsageError  # noqa: E402


def test_clips_keeps_only_the_named_clips(tmp_path: Path) -> None:
    args = robustness.parse_args(["--method", "csrt", "--clips", "clip_fm004_n126,clip_f0435_n96",
                                  "--data", str(tmp_path)])
    assert args.clip_names == ["clip_fm004_n126", "clip_f0435_n96"]


@pytest.mark.parametrize("clips", ["clip_nope", ",", "clip_fm004_n126,clip_x"])
def test_clips_must_name_known_clips(tmp_path: Path, clips: str) -> None:
    with pytest.raises(UsageError, match="--clips"):
        robustness.parse_args(["--method", "csrt", "--clips", clips, "--data", str(tmp_path)])
