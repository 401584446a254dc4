"""The real teacher on a few TUD-Stadtmitte frames (skips when the model or data is absent)."""

from pathlib import Path

import pytest

from parttrack.data.mot import read_mot
from parttrack.teacher.label import box_labels, detect_video, free_labels
from parttrack.teacher.linking import LinkParams
from parttrack.teacher.movenet import MoveNet
from parttrack.teacher.quality import head_from_body, inside

MODEL = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "movenet_multipose.onnx"


@pytest.fixture
def movenet() -> MoveNet:
    if not MODEL.is_file():
        pytest.skip(f"teacher model not found at {MODEL} (see ../shared/models/README.md)")
    return MoveNet(MODEL, threads=1)


def test_tud_heads_on_given_boxes_and_free(shared_data: Path, movenet: MoveNet):
    d = shared_data / "tud-stadtmitte"
    gt = read_mot(d / "gt.txt", video=d / "TUD-Stadtmitte.mp4")
    info, dets = detect_video(d / "TUD-Stadtmitte.mp4", movenet, end=5, given=gt)
    assert sorted(dets) == list(range(6))

    boxed = box_labels(dets, gt)
    subjects = [s for fa in boxed for s in fa.subjects]
    assert len(subjects) == sum(len(gt.frames[k].subjects) for k in range(6))
    heads = [(s, s.parts["head"]) for s in subjects if "head" in s.parts]
    assert len(heads) >= 0.75 * len(subjects)
    for s, h in heads:  # each head lies at the top of its own given body box
        centre = (h.box[0] + h.box[2] / 2, h.box[1] + h.box[3] / 2)
        assert inside(centre, head_from_body(s.box), 1.5), (s.id, s.box, h.box)

    free = free_labels(dets, info, LinkParams(min_length=4))
    ids = {s.id for fa in free for s in fa.subjects}
    assert len(ids) >= 4
    for k in range(6):  # a free identity never holds two people of one frame
        fa = free.frames[k]
        assert len({s.id for s in fa.subjects}) == len(fa.subjects)
