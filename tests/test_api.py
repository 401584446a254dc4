"""The public API (``parttrack.__all__``) and the example in ``parttrack``'s docstring, run on a
tiny synthetic clip: it reads the video once and labels every frame exactly once."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import parttrack
from parttrack.data.video import VideoWriter
from parttrack.synth.config import SceneConfig
from parttrack.synth.generator import generate


def test_all_names_resolve_and_import_stays_light() -> None:
    assert set(parttrack.__all__) == {
        "PartTracker", "TrackerConfig", "TrackResult", "PartResult", "load_weights", "open_video",
        "load_sequence", "ParttrackError", "__version__", "MultiTracker",
    }
    for name in parttrack.__all__:
        assert getattr(parttrack, name) is not None, name
    code = "import sys, parttrack; print(sorted(m for m in ('torch', 'cv2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def example_code() -> str:
    """The indented block after the docstring's ``Example ...::`` line, dedented."""
    lines = (parttrack.__doc__ or "").split("::", 1)[1].splitlines()[1:]
    block = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip() + "\n"


def test_docstring_example_runs_once_over_the_video(tmp_path) -> None:
    clip = generate(SceneConfig(width=192, height=144, num_frames=6, num_people=2, props=0), seed=3)
    path = tmp_path / "street.mp4"
    h, w = clip.frames[0].shape[:2]
    with VideoWriter(path, 25.0, (w, h)) as writer:
        for image in clip.frames:
            writer.write(image)
    seq = clip.sequence
    box = seq.frames[0].get(seq.subject_id).box
    code = example_code()
    assert code.count("open_video") == 1 and "initialize" in code and "track(" in code
    code = code.replace('"street.mp4"', repr(str(path))).replace("(850, 300, 60, 170)", repr(tuple(box)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "parttrack-docstring-example", "exec"), {})
    frames = [int(m) for m in re.findall(r"^(\d+) ", out.getvalue(), re.M)]
    assert frames == list(range(6))  # each frame once, frame 0 from initialize
