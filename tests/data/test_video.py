"""Video I/O: open_video (file, image folder, camera), read_frames, VideoWriter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from parttrack.data.video import (
    Frame,
    VideoInfo,
    VideoSource,
    VideoWriter,
    list_images,
    open_video,
    read_frames,
    to_bgr,
)
from parttrack.errors import OutputError, VideoError

N, W, H, STEP = 10, 64, 48, 20  # frame i is a flat gray of level STEP * i


def level(image: np.ndarray) -> int:
    """The frame number a flat test frame encodes (mp4v is lossy: nearest level)."""
    return int(round(float(image.mean()) / STEP))


@pytest.fixture
def mp4(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=25.0, size=(W, H)) as w:
        for i in range(N):
            w.write(np.full((H, W, 3), STEP * i, np.uint8))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "frames"
    d.mkdir()
    for i in range(12):  # f0 .. f11: natural order, not string order (f10 < f2)
        cv2.imwrite(str(d / f"f{i}.png"), np.full((H, W, 3), STEP * i, np.uint8))
    (d / "notes.txt").write_text("not an image")
    return d


def test_file_info_and_all_frames(mp4: Path) -> None:
    with open_video(mp4) as video:
        assert video.info == VideoInfo(str(mp4), W, H, 25.0, N)
        frames = list(video)
    assert [f.index for f in frames] == list(range(N))
    assert [level(f.image) for f in frames] == list(range(N))
    assert all(f.image.shape == (H, W, 3) and f.image.dtype == np.uint8 for f in frames)


@pytest.mark.parametrize(("start", "end", "expected"), [(3, 5, [3, 4, 5]), (8, None, [8, 9]), (7, 99, [7, 8, 9]), (0, 0, [0])])
def test_start_end_inclusive(mp4: Path, start: int, end: int | None, expected: list[int]) -> None:
    frames = list(open_video(mp4, start=start, end=end))
    assert [f.index for f in frames] == expected
    assert [level(f.image) for f in frames] == expected


def test_iterating_twice_rereads(mp4: Path) -> None:
    video = open_video(mp4, start=2, end=3)
    assert [f.index for f in video] == [2, 3]
    assert [f.index for f in video] == [2, 3]


@pytest.mark.parametrize("source_kind", ["file", "folder"])
@pytest.mark.parametrize(("start", "end", "match"), [(20, None, "past the end"), (-1, None, ">= 0"), (5, 4, "before start")])
def test_bad_range(mp4: Path, folder: Path, source_kind: str, start: int, end: int | None, match: str) -> None:
    src = mp4 if source_kind == "file" else folder
    with pytest.raises(VideoError, match=match) as e:
        open_video(src, start=start, end=end)
    assert str(src) in str(e.value)


def test_image_folder_natural_order(folder: Path) -> None:
    video = open_video(folder, start=1)
    assert video.info == VideoInfo(str(folder), W, H, 25.0, 12)
    frames = list(video)
    assert [f.index for f in frames] == list(range(1, 12))
    assert [int(f.image[0, 0, 0]) for f in frames] == [STEP * i for i in range(1, 12)]  # PNG: lossless
    assert [p.name for p in list_images(folder)][:3] == ["f0.png", "f1.png", "f2.png"]


def test_gray_and_rgba_png_become_bgr(tmp_path: Path) -> None:
    d = tmp_path / "mixed"
    d.mkdir()
    cv2.imwrite(str(d / "a0.png"), np.full((H, W), 77, np.uint8))
    bgra = np.zeros((H, W, 4), np.uint8)
    bgra[...] = (10, 20, 30, 128)
    cv2.imwrite(str(d / "a1.png"), bgra)
    frames = list(open_video(d))
    assert [f.image.shape for f in frames] == [(H, W, 3), (H, W, 3)]
    assert frames[0].image[5, 5].tolist() == [77, 77, 77]
    assert frames[1].image[5, 5].tolist() == [10, 20, 30]


def test_corrupt_image_mid_stream_stop_and_skip(folder: Path) -> None:
    (folder / "f4.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(VideoError, match=r"frame 4\).*f4.png"):
        list(open_video(folder))
    video = open_video(folder, on_error="skip")
    assert [f.index for f in video] == [0, 1, 2, 3] + list(range(5, 12))
    assert video.skipped == 1


def test_image_of_other_size_is_a_bad_frame(folder: Path) -> None:
    cv2.imwrite(str(folder / "f6.png"), np.zeros((H + 2, W, 3), np.uint8))
    with pytest.raises(VideoError, match=r"frame 6\)"):
        list(open_video(folder))


class FakeCapture:
    """A decoder whose frame ``bad`` fails, as a corrupt stream does."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad, self.pos = n, bad, 0

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return True

    def grab(self) -> bool:
        self.pos += 1
        return self.pos <= self.n and self.pos - 1 != self.bad

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return True, np.full((4, 4, 3), self.pos - 1, np.uint8)

    def release(self) -> None:
        pass


@pytest.mark.parametrize("on_error", ["stop", "skip"])
def test_decode_failure_mid_stream(on_error: str) -> None:
    info = VideoInfo("fake.mp4", 4, 4, 25.0, 6)
    video = VideoSource(info, 1, None, on_error, capture_factory=lambda: FakeCapture(6, bad=3))  # type: ignore[arg-type]
    if on_error == "stop":
        with pytest.raises(VideoError, match=r"fake.mp4 \(frame 3\): frame failed to decode"):
            list(video)
    else:
        frames = list(video)
        assert [f.index for f in frames] == [1, 2, 4, 5]
        assert [int(f.image[0, 0, 0]) for f in frames] == [1, 2, 4, 5]
        assert video.skipped == 1


def test_stream_shorter_than_its_header_says() -> None:
    info = VideoInfo("short.mp4", 4, 4, 25.0, 8)  # container claims 8, only 5 decode
    video = VideoSource(info, 0, None, "skip", capture_factory=lambda: FakeCapture(5, bad=-1))  # type: ignore[arg-type]
    assert [f.index for f in video] == [0, 1, 2, 3, 4]
    assert video.skipped == 3


def test_stream_longer_than_its_header_says() -> None:
    info = VideoInfo("joined.ts", 4, 4, 25.0, 5)  # container claims 5, 9 decode
    video = VideoSource(info, 0, None, "stop", capture_factory=lambda: FakeCapture(9, bad=-1))  # type: ignore[arg-type]
    assert [f.index for f in video] == list(range(9))  # the decoded frames count, not the header
    assert video.decoded == 9 and video.warnings == ["joined.ts: the header says 5 frames but 9 decode; read all 9"]
    ranged = VideoSource(info, 2, 6, "stop", capture_factory=lambda: FakeCapture(9, bad=-1))  # type: ignore[arg-type]
    assert [f.index for f in ranged] == [2, 3, 4, 5, 6]  # --end past the header's count


def test_joined_mpeg_ts_segments_decode_whole(tmp_path: Path) -> None:
    seg = tmp_path / "seg.ts"
    w = cv2.VideoWriter(str(seg), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (W, H))
    for i in range(10):
        w.write(np.full((H, W, 3), 20 * i, np.uint8))
    w.release()
    joined = tmp_path / "joined.ts"
    joined.write_bytes(seg.read_bytes() * 2)  # `cat a.ts b.ts > joined.ts`
    with open_video(joined) as video:
        assert video.info.num_frames == 10  # what the header says
        assert len(list(video)) == 20 and video.warnings[0].endswith("says 10 frames but 20 decode; read all 20")
    with open_video(joined, start=15) as video:  # a start past the header's count still works
        assert [f.index for f in video] == [15, 16, 17, 18, 19]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not found") as e:
        open_video(tmp_path / "nope.mp4")
    assert "nope.mp4" in str(e.value)


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(VideoError, match=r"empty.mp4: .*0 bytes"):
        open_video(p)


def test_not_a_video(tmp_path: Path) -> None:
    p = tmp_path / "text.mp4"
    p.write_text("hello, I am not a video\n" * 50)
    with pytest.raises(VideoError, match="text.mp4"):
        open_video(p)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.1])
def test_truncated_mp4(mp4: Path, keep: float) -> None:
    data = mp4.read_bytes()
    cut = mp4.with_name("cut.mp4")
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(VideoError, match="cut.mp4"):
        list(open_video(cut))


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no images"):
        open_video(tmp_path)


def test_camera_that_does_not_exist() -> None:
    with pytest.raises(VideoError, match="camera 97"):
        open_video("97")


def test_read_frames_file_and_folder(mp4: Path, folder: Path) -> None:
    got = read_frames(mp4, [7, 2, 2, 9])
    assert sorted(got) == [2, 7, 9]
    assert {k: level(v) for k, v in got.items()} == {2: 2, 7: 7, 9: 9}
    small = read_frames(folder, [11, 3], scale=0.5)
    assert {k: v.shape for k, v in small.items()} == {3: (H // 2, W // 2, 3), 11: (H // 2, W // 2, 3)}
    assert int(small[11][0, 0, 0]) == STEP * 11
    assert read_frames(mp4, []) == {}


def test_read_frames_errors(mp4: Path) -> None:
    with pytest.raises(VideoError, match="past the end"):
        read_frames(mp4, [N])
    with pytest.raises(VideoError, match="frame 12 asked but the video has 10"):
        read_frames(mp4, [3, 12])
    with pytest.raises(VideoError, match=">= 0"):
        read_frames(mp4, [-1, 2])
    with pytest.raises(ValueError, match="scale"):
        read_frames(mp4, [1], scale=0.0)


def test_writer_converts_and_resizes(tmp_path: Path) -> None:
    p = tmp_path / "out.mp4"
    with VideoWriter(p, fps=10.0, size=(W, H)) as w:
        w.write(np.full((H, W), 200, np.uint8))  # gray
        w.write(np.full((H * 2, W * 2, 3), 0.5, np.float32))  # float [0, 1], twice the size
        w.write(np.full((H, W, 4), 60, np.uint8))  # BGRA
    assert w.frames_written == 3
    video = open_video(p)
    assert (video.info.width, video.info.height, video.info.fps, video.info.num_frames) == (W, H, 10.0, 3)
    means = [float(f.image.mean()) for f in video]
    assert means == pytest.approx([200, 128, 60], abs=6)


def test_writer_is_atomic_on_exception(tmp_path: Path) -> None:
    p = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(p, fps=25.0, size=(W, H)) as w:
        w.write(np.zeros((H, W, 3), np.uint8))
        assert list(tmp_path.iterdir()) != []  # the temp file exists meanwhile ...
        assert not p.exists()  # ... but not the target
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_writer_keeps_old_file_until_close(tmp_path: Path) -> None:
    p = tmp_path / "out.mp4"
    p.write_bytes(b"old")
    w = VideoWriter(p, fps=25.0, size=(W, H))
    w.write(np.zeros((H, W, 3), np.uint8))
    assert p.read_bytes() == b"old"
    w.close()
    w.close()  # twice is fine
    assert open_video(p).info.num_frames == 1
    assert [x.name for x in tmp_path.iterdir()] == ["out.mp4"]
    with pytest.raises(VideoError, match="write after close"):
        w.write(np.zeros((H, W, 3), np.uint8))


def test_writer_odd_size_pads_last_column_and_row(tmp_path: Path) -> None:
    p = tmp_path / "odd.mp4"
    image = np.zeros((H + 1, W + 1, 3), np.uint8)
    image[:, -1] = 255  # the last column and row are repeated to make the size even
    image[-1, :] = 255
    with VideoWriter(p, fps=25.0, size=(W + 1, H + 1)) as w:
        assert w.frame_size == (W + 2, H + 2)
        w.write(image)
    frame = next(iter(open_video(p)))
    assert frame.image.shape == (H + 2, W + 2, 3)
    assert frame.image[: H // 2, : W // 2].max() < 40 and frame.image[-1, :].min() > 200


@pytest.mark.parametrize(("name", "what"), [("x.xyz", "unknown video extension '.xyz'"), ("x", "no video extension")])
def test_writer_names_a_missing_or_unknown_extension(tmp_path: Path, name: str, what: str) -> None:
    with pytest.raises(OutputError, match=f"x(.xyz)?: {what} \\(use .mp4"):
        VideoWriter(tmp_path / name, fps=25.0, size=(W, H))
    assert list(tmp_path.iterdir()) == []


def test_writer_1x1_video(tmp_path: Path) -> None:
    p = tmp_path / "one.mp4"
    with VideoWriter(p, fps=25.0, size=(1, 1)) as w:
        for v in (10, 200):
            w.write(np.full((1, 1, 3), v, np.uint8))
    video = open_video(p)
    assert (video.info.width, video.info.height, video.info.num_frames) == (2, 2, 2)


@pytest.mark.parametrize(("kwargs", "match"), [({"fps": 0.0}, "fps"), ({"size": (0, 10)}, "size"), ({"size": (10,)}, "size")])
def test_writer_argument_checks(tmp_path: Path, kwargs: dict, match: str) -> None:
    args = {"fps": 25.0, "size": (W, H)} | kwargs
    with pytest.raises(ValueError, match=match):
        VideoWriter(tmp_path / "x.mp4", **args)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("image", "pixel"),
    [
        (np.full((2, 2), 9, np.uint8), [9, 9, 9]),
        (np.full((2, 2, 1), 9, np.uint8), [9, 9, 9]),
        (np.full((2, 2, 3), 1.0, np.float64), [255, 255, 255]),
        (np.full((2, 2, 3), 257 * 4, np.uint16), [4, 4, 4]),
        (np.array([[[1, 2, 3, 4]]], np.uint8), [1, 2, 3]),
    ],
)
def test_to_bgr(image: np.ndarray, pixel: list[int]) -> None:
    out = to_bgr(image)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert out[0, 0].tolist() == pixel


def test_to_bgr_rejects() -> None:
    with pytest.raises(ValueError, match="shape|must be"):
        to_bgr(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="dtype"):
        to_bgr(np.zeros((2, 2, 3), np.int32))


def test_frame_is_frozen() -> None:
    f = Frame(3, np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(AttributeError):
        f.index = 4  # type: ignore[misc]


def test_real_video_frame_counts(shared_data: Path) -> None:
    expected = {
        "towncentre/clip_fm004_n126.mp4": (126, 1920, 1080),
        "towncentre/clip_f0249_n149.mp4": (149, 1920, 1080),
        "towncentre/clip_f0435_n96.mp4": (96, 1920, 1080),
        "tud-campus/TUD-Campus.mp4": (71, 640, 480),
        "tud-stadtmitte/TUD-Stadtmitte.mp4": (179, 640, 480),
    }
    for rel, (n, w, h) in expected.items():
        info = open_video(shared_data / rel).info
        assert (info.num_frames, info.width, info.height) == (n, w, h), rel
    # the header count is the decoded count (checked on a short clip; the last frames exist)
    frames = list(open_video(shared_data / "tud-campus/TUD-Campus.mp4", start=68))
    assert [f.index for f in frames] == [68, 69, 70]


def test_writer_accepts_a_frame_written_but_not_yet_counted(tmp_path: Path) -> None:
    # a Ctrl-C between the encoder taking a frame and the count going up leaves one more frame
    # in the file than counted: the file is whole and is kept; one fewer would be truncation
    p = tmp_path / "out.mp4"
    w = VideoWriter(p, fps=10.0, size=(W, H))
    for _ in range(3):
        w.write(np.full((H, W, 3), 90, np.uint8))
    w.frames_written = 2
    w.close()
    assert p.exists() and read_frames(p, [2])[2].shape == (H, W, 3)
