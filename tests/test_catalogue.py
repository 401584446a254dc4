"""The catalogue of bad inputs (issue 8): every one gets ONE line ``error: <file>[:line][ (frame
N)]: <problem>`` on stderr and a non-zero exit, or works (gray / RGBA frames, skipped frames).

Each row runs ``parttrack.cli.main`` in-process, in a folder of prepared inputs, and checks the
exact message. ``docs/errors.md`` is this table (``python tests/test_catalogue.py`` prints it; a
test keeps the two in step).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from parttrack.cli import main
from parttrack.data.towncentre import COLUMNS
from parttrack.data.video import VideoWriter
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, save_weights
from parttrack.models.io import FORMAT, VERSION

TRACKER_KEYS = (
    "appearance_threshold, camera_motion, candidate_threshold, filter_beta, filter_min_cutoff, frame"
    "_rate, identity, identity_size_rate, keep_maps, lost_growth, lost_threshold, max_candidates, ma"
    "x_windows, memory_update_score, method, min_size, motion_lr, part_threshold, parts, point_filte"
    "r, redetect_threshold, refind_grace, refine_start, ring_after, scale_penalty, size_gain, size_l"
    "r, switch_frames, template_update_interval, template_update_rate, template_update_threshold, wi"
    "ndow_influence"
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
W, H, N = 160, 120, 12
BOX = "60,30,20,50"
SUITES = "easy, crossing, side-by-side, crowd"
MOT_KNOWN = "frame,id,left,top,width,height,conf,x,y,z"


@dataclass(frozen=True)
class Case:
    """One bad input: ``args`` of ``parttrack``; the expected last stderr line (``{dir}`` = the
    inputs folder) and exit code; for inputs that work, ``out`` must appear on stdout."""

    section: str
    what: str
    args: str
    message: str
    code: int = 2
    out: str = ""


def track(src: str, *more: str) -> str:
    return " ".join(["track", src, "--box", BOX, "--weights", "w.pt", *more])


def ev(data: str) -> str:
    return f"eval --data {data} --out ev --weights w.pt --methods product"


CASES = [
    # -- videos ---------------------------------------------------------------------------
    Case("video", "missing video file", track("nope.mp4"), "error: nope.mp4: video file not found"),
    Case("video", "zero-byte video file", track("empty.mp4"), "error: empty.mp4: video file is empty (0 bytes)"),
    Case("video", "zero-frame MP4 (a container with no frames)", track("zero.mp4"),
         "error: zero.mp4: cannot open video (unreadable or corrupt file)"),
    Case("video", "zero-frame image folder (no images)", track("noimages"),
         "error: noimages: no images (.jpg, .jpeg, .png, .bmp, .tif, .tiff, .webp) in folder"),
    Case("video", "text file named .mp4", track("text.mp4"),
         "error: text.mp4: cannot open video (unreadable or corrupt file)"),
    Case("video", "MP4 truncated to 60 % (index lost)", track("trunc.mp4"),
         "error: trunc.mp4: cannot open video (unreadable or corrupt file)"),
    Case("video", "AVI truncated to 60 % (opens; frames 4-11 gone)", track("cut.avi"),
         "error: cut.avi (frame 4): frame failed to decode: stream ended early (truncated or corrupt file)"),
    Case("video", "MP4 with corrupt bytes mid-stream", track("mid.mp4"),
         "error: mid.mp4 (frame 2): frame failed to decode: stream ended early (truncated or corrupt file)"),
    Case("video", "image folder, frame 3 unreadable (default --on-bad-frame stop)", track("broken"),
         "error: broken (frame 3): frame failed to decode: cannot read image f3.png"),
    Case("video", "image folder, frame 3 unreadable, --on-bad-frame skip", track("broken", "--on-bad-frame", "skip"),
         "skipped 1 frame that failed to decode", 0, "tracked 5 frames"),
    Case("video", "truncated AVI, --on-bad-frame skip", track("cut.avi", "--on-bad-frame", "skip"),
         "skipped 8 frames that failed to decode", 0, "tracked 4 frames"),
    Case("video", "--on-bad-frame neither stop nor skip", track("cut.avi", "--on-bad-frame", "maybe"),
         "error: --on-bad-frame must be stop or skip, got 'maybe'"),
    Case("video", "grayscale PNG frames (work)", track("gray"), "", 0, "tracked 6 frames"),
    Case("video", "RGBA PNG frames (work)", track("rgba"), "", 0, "tracked 6 frames"),
    Case("video", "camera index that does not exist", track("7"), "error: camera 7: cannot open camera"),
    # -- command-line values --------------------------------------------------------------
    Case("options", "--box with 3 numbers", track("clip.mp4").replace(BOX, "1,2,3"),
         "error: --box must be 4 numbers X,Y,W,H, got '1,2,3'"),
    Case("options", "--box not numbers", track("clip.mp4").replace(BOX, "a,b,c,d"),
         "error: --box must be 4 numbers X,Y,W,H, got 'a,b,c,d'"),
    Case("options", "--box with NaN", track("clip.mp4").replace(BOX, "nan,1,2,3"),
         "error: --box must be 4 numbers X,Y,W,H, got 'nan,1,2,3'"),
    Case("options", "--box of zero width", track("clip.mp4").replace(BOX, "10,10,0,5"),
         "error: --box width and height must be positive, got '10,10,0,5'"),
    Case("options", "--box of negative height", track("clip.mp4").replace(BOX, "10,10,5,-5"),
         "error: --box width and height must be positive, got '10,10,5,-5'"),
    Case("options", "--box outside the frame", track("clip.mp4").replace(BOX, "200,10,20,20"),
         "error: --box 200,10,20,20 lies outside the 160x120 frame"),
    Case("options", "a bad --box among several", track("clip.mp4", "--box", "70,30,x,50"),
         "error: --box must be 4 numbers X,Y,W,H, got '70,30,x,50'"),
    Case("options", "a second --box outside the frame", track("clip.mp4", "--box", "60,300,20,50"),
         "error: --box 60,300,20,50 lies outside the 160x120 frame"),
    Case("options", "--box and --point together", track("clip.mp4", "--point", "70,40"),
         "error: give exactly one of --box X,Y,W,H or --point X,Y"),
    Case("options", "--start past the end", track("clip.mp4", "--start", "50"),
         "error: clip.mp4: start frame 50 is past the end (12 frames)"),
    Case("options", "--start negative", track("clip.mp4", "--start=-1"), "error: clip.mp4: start must be >= 0, got -1"),
    Case("options", "--end before --start", track("clip.mp4", "--start", "5", "--end", "2"),
         "error: clip.mp4: end (2) is before start (5)"),
    Case("options", "--start not a number", track("clip.mp4", "--start", "abc"),
         "error: Invalid value for '--start': Input should be a valid integer, unable to parse string as an integer"),
    Case("options", "--box missing", "track clip.mp4 --weights w.pt",
         "error: give exactly one of --box X,Y,W,H or --point X,Y"),
    Case("options", "unknown command", "trak clip.mp4", "error: No such command 'trak'. Did you mean 'track', 'train'?"),
    Case("options", "--debug after the command", track("clip.mp4", "--debug"),
         "error: No such option: --debug (--debug goes before the command)"),
    Case("options", "--device not a device", track("clip.mp4", "--device", "tpu"),
         "error: unknown device 'tpu' (use cpu, cuda or cuda:N)"),
    Case("options", "--method unknown", track("clip.mp4", "--method", "nearest"),
         "error: --method must be one of product, region-only, top-down, bottom-up, box-prior, got 'nearest'"),
    Case("options", "--parts not in the weights", track("clip.mp4", "--parts", "knee"),
         "error: parts ['knee'] are not in the weights' parts ['head', 'eye']"),
    Case("options", "--backend unknown", track("clip.mp4", "--backend", "tf"),
         "error: --backend must be one of torch, onnxruntime, got 'tf'"),
    Case("options", "--threads 0", track("clip.mp4", "--threads", "0"), "error: --threads must be >= 1, got 0"),
    Case("options", "--panel-frames not numbers", track("clip.mp4", "--panel-frames", "a,b"),
         "error: --panel-frames must be comma-separated frame indices >= 0, got 'a,b'"),
    Case("options", "train: unknown stage", "train wrong --config det.yaml",
         "error: stage must be one of detector, tracker, got 'wrong'"),
    Case("options", "train: --device not a device", "train detector --config det.yaml --device tpu",
         "error: --device must be one of auto, cpu, cuda, got 'tpu'"),
    Case("options", "eval: unknown method", "eval --data easy --out ev --weights w.pt --methods nearest",
         "error: unknown method(s) ['nearest']; choose from product, region-only, top-down, bottom-up, box-prior, "
         "csrt+box-prior, csrt+top-down"),
    Case("options", "bench: --frames 0", "bench clip.mp4 --box 60,30,20,50 --weights w.pt --frames 0",
         "error: --frames must be >= 1, got 0"),
    Case("options", "synth: unknown suite", "synth --suite hard --out s",
         "error: unknown suite 'hard'; choose from easy, crossing, side-by-side, crowd, real-crossing, "
         "real-side-by-side, real-lookalike, real-occlusion"),
    Case("options", "demo: --weights missing", "demo --weights nope.pt --out d",
         "error: nope.pt: weights file not found (check --weights)"),
    # -- output paths: vetted before the weights load and the first frame is read (issue 16) --
    Case("outputs", "--out is the input video", track("clip.mp4", "--out", "clip.mp4"),
         "error: clip.mp4: --out names the input clip.mp4; it would be overwritten, choose another path"),
    Case("outputs", "--jsonl is the input video (another spelling)", track("clip.mp4", "--jsonl", "./noimages/../clip.mp4"),
         "error: ./noimages/../clip.mp4: --jsonl names the input clip.mp4; it would be overwritten, choose another path"),
    Case("outputs", "--mot is a symlink to the input video", track("clip.mp4", "--mot", "link.mp4"),
         "error: link.mp4: --mot names the input clip.mp4; it would be overwritten, choose another path"),
    Case("outputs", "--panels is the input image folder", track("gray", "--panels", "gray"),
         "error: gray: --panels names the input gray; it would be overwritten, choose another path"),
    Case("outputs", "--jsonl is the weights file", track("clip.mp4", "--jsonl", "w.pt"),
         "error: w.pt: --jsonl names the input w.pt; it would be overwritten, choose another path"),
    Case("outputs", "--jsonl and --mot name one file", track("clip.mp4", "--jsonl", "r.txt", "--mot", "r.txt"),
         "error: r.txt: --mot and --jsonl both name r.txt; give each output its own path"),
    Case("outputs", "--jsonl names a folder", track("clip.mp4", "--jsonl", "noimages"),
         "error: noimages: --jsonl must be a file, but this is a folder"),
    Case("outputs", "--panels names a file", track("clip.mp4", "--panels", "text.mp4"),
         "error: text.mp4: --panels must be a folder, but this is a file"),
    Case("outputs", "--mot under a file (parent is a file)", track("clip.mp4", "--mot", "text.mp4/sub/r.txt"),
         "error: text.mp4/sub/r.txt: cannot create --mot: text.mp4 is a file, not a folder"),
    Case("outputs", "--jsonl empty", track("clip.mp4", "--jsonl", "''"), "error: --jsonl needs a path, got an empty one"),
    Case("outputs", "--panel-frames past the end (warns, tracks)",
         track("clip.mp4", "--panels", "pan", "--panel-frames", "0,99"),
         "warning: pan: no panel for frame(s) 99 (not tracked, or the subject was lost there)", 0, "tracked 12 frames"),
    Case("outputs", "--out with an unknown extension", track("clip.mp4", "--out", "r.xyz"),
         "error: r.xyz: --out: unknown video extension '.xyz' (use .mp4, .m4v, .mov, .mkv, .avi)"),
    Case("outputs", "--out without an extension", track("clip.mp4", "--out", "r"),
         "error: r: --out: no video extension (use .mp4, .m4v, .mov, .mkv, .avi)"),
    Case("outputs", "export: --out is a file", "export --weights w.pt --out clip.mp4",
         "error: clip.mp4: --out must be a folder, but this is a file"),
    Case("outputs", "export: --out is the weights file", "export --weights w.pt --out w.pt",
         "error: w.pt: --out names the input w.pt; it would be overwritten, choose another path"),
    Case("outputs", "bench: --json is the input video", "bench clip.mp4 --box 60,30,20,50 --weights w.pt --json clip.mp4",
         "error: clip.mp4: --json names the input clip.mp4; it would be overwritten, choose another path"),
    Case("outputs", "demo: --out under a file", "demo --weights w.pt --out text.mp4/d",
         "error: text.mp4/d: cannot create --out: text.mp4 is a file, not a folder"),
    Case("outputs", "synth: --out is a file", "synth --suite easy --out text.mp4",
         "error: text.mp4: --out must be a folder, but this is a file"),
    Case("outputs", "train: --out is a file", "train detector --config det.yaml --out text.mp4",
         "error: text.mp4: --out must be a folder, but this is a file"),
    # -- odd videos (issue 16) --------------------------------------------------------------
    Case("outputs", "1x1 video with --out (works: the MP4 is padded to 2x2)",
         "track one.avi --box 0,0,1,1 --weights w.pt --out one_out.mp4", "", 0, "tracked 4 frames"),
    Case("outputs", "bench on a 1x1 video (OpenCV CSRT cannot)", "bench one.avi --box 0,0,1,1 --weights w.pt --frames 3",
         "error: OpenCV CSRT cannot track in a 1x1 frame; use --peers none"),
    Case("outputs", "bench on a 1x1 video, --peers none (works)",
         "bench one.avi --box 0,0,1,1 --weights w.pt --frames 3 --peers none --backends torch", "", 0, "parttrack-torch"),
    Case("outputs", "two MPEG-TS segments joined (header 10 frames, 20 decode): all tracked",
         "track cat.ts --box 60,30,20,50 --weights w.pt",
         "warning: cat.ts: the header says 10 frames but 20 decode; read all 20", 0, "tracked 20 frames"),
    # -- annotation files (MOTChallenge gt.txt, Town Centre CSV, parttrack JSONL) ---------
    Case("annotations", "missing annotation path", ev("nope.jsonl"),
         f"error: --data 'nope.jsonl' is neither a suite ({SUITES}) nor an existing path"),
    Case("annotations", "MOT: wrong column count", ev("mot_cols"),
         f"error: mot_cols/gt.txt:4: expected 10 columns ({MOT_KNOWN}) or 9 (MOT16+), got 8"),
    Case("annotations", "MOT: not a number", ev("mot_nonnum"), "error: mot_nonnum/gt.txt:4: left is not a number: 'ten'"),
    Case("annotations", "MOT: NaN", ev("mot_nan"), "error: mot_nan/gt.txt:4: left must be finite, got 'nan'"),
    Case("annotations", "MOT: inf", ev("mot_inf"), "error: mot_inf/gt.txt:4: width must be finite, got 'inf'"),
    Case("annotations", "MOT: negative size", ev("mot_neg"),
         "error: mot_neg/gt.txt:4: box of id 2 must have positive width and height, got -30x40"),
    Case("annotations", "MOT: duplicate id in a frame", ev("mot_dup"), "error: mot_dup/gt.txt:4: id 1 appears twice in frame 2"),
    Case("annotations", "MOT: frame out of range", ev("mot_range"), "error: mot_range/gt.txt:4: frame 99 is out of range 1..12"),
    Case("annotations", "Town Centre: wrong column count", ev("tc_cols/clip_toy_gt.csv"),
         "error: tc_cols/clip_toy_gt.csv:5: expected 13 columns, got 12"),
    Case("annotations", "Town Centre: not a number", ev("tc_nonnum/clip_toy_gt.csv"),
         "error: tc_nonnum/clip_toy_gt.csv:5: headLeft is not a number: 'sixty'"),
    Case("annotations", "Town Centre: NaN", ev("tc_nan/clip_toy_gt.csv"),
         "error: tc_nan/clip_toy_gt.csv:5: headTop must be finite, got 'nan'"),
    Case("annotations", "Town Centre: inf", ev("tc_inf/clip_toy_gt.csv"),
         "error: tc_inf/clip_toy_gt.csv:5: headRight must be finite, got 'inf'"),
    Case("annotations", "Town Centre: negative size", ev("tc_neg/clip_toy_gt.csv"),
         "error: tc_neg/clip_toy_gt.csv:5: body box of person 2 must have positive width and height, got -10x60"),
    Case("annotations", "Town Centre: duplicate id in a frame", ev("tc_dup/clip_toy_gt.csv"),
         "error: tc_dup/clip_toy_gt.csv:5: person 1 appears twice in clip frame 1"),
    Case("annotations", "Town Centre: frame out of range", ev("tc_range/clip_toy_gt.csv"),
         "error: tc_range/clip_toy_gt.csv:5: clip_frame0 -1 is out of range 0..999999"),
    Case("annotations", "JSONL: not JSON", ev("js_json.jsonl"),
         "error: js_json.jsonl:3: invalid JSON: Expecting value: line 1 column 1 (char 0)"),
    Case("annotations", "JSONL: box with 3 numbers", ev("js_cols.jsonl"),
         "error: js_cols.jsonl:3: subject 2 box must be a list [x, y, w, h], got [1, 2, 3]"),
    Case("annotations", "JSONL: not a number", ev("js_nonnum.jsonl"),
         "error: js_nonnum.jsonl:3: subject 2 box must be a number, got 'ten'"),
    Case("annotations", "JSONL: NaN", ev("js_nan.jsonl"), "error: js_nan.jsonl:3: invalid JSON: NaN is not allowed"),
    Case("annotations", "JSONL: inf", ev("js_inf.jsonl"), "error: js_inf.jsonl:3: invalid JSON: Infinity is not allowed"),
    Case("annotations", "JSONL: negative size", ev("js_neg.jsonl"),
         "error: js_neg.jsonl:3: subject 2 box must have positive width and height, got [60, 20, -30, 40]"),
    Case("annotations", "JSONL: duplicate id in a frame", ev("js_dup.jsonl"),
         "error: js_dup.jsonl:3: frame 1 has duplicate subject id(s) [1]"),
    Case("annotations", "JSONL: frame out of range", ev("js_range.jsonl"),
         "error: js_range.jsonl:3: frame 99 is out of range (num_frames 12)"),
    Case("annotations", "JSONL: more frames than the video has", ev("js_long.jsonl"),
         "error: js_long.jsonl: the annotations claim 30 frames but the video clip.mp4 has 12"),
    # -- configs --------------------------------------------------------------------------
    Case("config", "tracker config: unknown key", track("clip.mp4", "--config", "t_unknown.yaml"),
         "error: t_unknown.yaml: unknown key(s) lost_treshold for TrackerConfig (known: " + TRACKER_KEYS + ")"),
    Case("config", "tracker config: mistyped value", track("clip.mp4", "--config", "t_type.yaml"),
         "error: t_type.yaml: key 'lost_threshold' must be a number, got 'low'"),
    Case("config", "tracker config: not YAML", track("clip.mp4", "--config", "t_yaml.yaml"), "error: t_yaml.yaml:2: not valid YAML: mapping values are not allowed here"),
    Case("config", "tracker config: missing file", track("clip.mp4", "--config", "nope.yaml"),
         "error: nope.yaml: config file not found"),
    Case("config", "train config: unknown nested key", "train detector --config d_nested.yaml --out r",
         "error: d_nested.yaml: unknown key(s) model.widht for ModelConfig (known: context, parts, search_factor, "
         "search_size, stride, template_size, width)"),
    Case("config", "train config: mistyped value", "train detector --config d_type.yaml --out r",
         "error: d_type.yaml: key 'batch_size' must be an integer, got 'two'"),
    Case("config", "train config: other stage", "train tracker --config det.yaml --out r",
         "error: det.yaml: config is for the detector stage, not tracker"),
    Case("config", "train config: missing data file", "train detector --config d_data.yaml --out r",
         "error: {dir}/nope_gt.csv: annotation path not found"),
    # -- weights and checkpoints ----------------------------------------------------------
    Case("weights", "weights file missing", track("clip.mp4").replace("w.pt", "nope.pt"), "error: nope.pt: weights file not found"),
    Case("weights", "weights: random bytes", track("clip.mp4").replace("w.pt", "junk.pt"),
         "error: junk.pt: not a parttrack weights file (UnpicklingError)"),
    Case("weights", "weights: zero-byte file", track("clip.mp4").replace("w.pt", "empty.mp4"),
         "error: empty.mp4: not a parttrack weights file (EOFError)"),
    Case("weights", "weights: a plain torch state_dict", track("clip.mp4").replace("w.pt", "state.pt"),
         "error: state.pt: not a parttrack weights file (no 'parttrack-weights' format tag)"),
    Case("weights", "weights: detector only (track needs both models)", track("clip.mp4").replace("w.pt", "det.pt"),
         "error: det.pt: weights hold no tracker (a detector-only checkpoint)"),
    Case("weights", "weights: newer format version", track("clip.mp4").replace("w.pt", "newer.pt"),
         f"error: newer.pt: weights format version {VERSION + 1} is newer than this parttrack reads ({VERSION}); upgrade parttrack"),
    Case("weights", "detector weights made for another model config", "train tracker --config trk.yaml --out r",
         "error: {dir}/det16.pt: weights were made for another model config (width=16, expected 8)"),
    Case("weights", "--resume: missing", "train detector --config det.yaml --out r --resume nope.ckpt",
         "error: nope.ckpt: checkpoint to resume not found"),
    Case("weights", "--resume: random bytes", "train detector --config det.yaml --out r --resume junk.pt",
         "error: junk.pt: not a training checkpoint (UnpicklingError)"),
    Case("weights", "--resume: a weights file, not a training checkpoint", "train detector --config det.yaml --out r --resume det.pt",
         "error: det.pt: not a parttrack training checkpoint (no 'parttrack' record)"),
    Case("weights", "--resume: the other stage's checkpoint", "train tracker --config trk8.yaml --out r --resume det_step4.ckpt",
         "error: det_step4.ckpt: checkpoint is of the detector stage, not tracker"),
    Case("weights", "--resume: made for another model config", "train detector --config det.yaml --out r --resume det16_step4.ckpt",
         "error: det16_step4.ckpt: checkpoint was made for another model config (width=16, expected 8)"),
]


# -- the inputs ------------------------------------------------------------------------------
def _frame(i: int, channels: int = 3) -> np.ndarray:
    img = np.full((H, W, 3), (60, 90, 70), np.uint8)
    cv2.rectangle(img, (60 + 2 * i, 30), (80 + 2 * i, 80), (40, 40, 200), -1)
    if channels == 1:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        return np.dstack([img, np.full((H, W), 200, np.uint8)])
    return img


def _videos(d: Path) -> None:
    with VideoWriter(d / "clip.mp4", 25.0, (W, H)) as w:
        for i in range(N):
            w.write(_frame(i))
    data = (d / "clip.mp4").read_bytes()
    (d / "trunc.mp4").write_bytes(data[: int(len(data) * 0.6)])
    mid = bytearray(data)
    a, b = int(len(data) * 0.23), int(len(data) * 0.535)  # inside the frame data, before the index
    mid[a:b] = bytes(b - a)
    (d / "mid.mp4").write_bytes(bytes(mid))
    avi = cv2.VideoWriter(str(d / "full.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (W, H))
    for i in range(N):
        avi.write(_frame(i))
    avi.release()
    data = (d / "full.avi").read_bytes()
    (d / "cut.avi").write_bytes(data[: int(len(data) * 0.6)])
    zero = cv2.VideoWriter(str(d / "zero.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (W, H))
    zero.release()
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("hello, I am not a video\n")
    (d / "noimages").mkdir()
    (d / "link.mp4").symlink_to("clip.mp4")
    one = cv2.VideoWriter(str(d / "one.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (1, 1))
    for i in range(4):
        one.write(np.full((1, 1, 3), 60 * i, np.uint8))
    one.release()
    ts = cv2.VideoWriter(str(d / "seg.ts"), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (W, H))
    for i in range(10):
        ts.write(_frame(i))
    ts.release()
    (d / "cat.ts").write_bytes((d / "seg.ts").read_bytes() * 2)  # two segments joined
    for name, channels in (("gray", 1), ("rgba", 4), ("broken", 3)):
        (d / name).mkdir()
        for i in range(6):
            cv2.imwrite(str(d / name / f"f{i}.png"), _frame(i, channels))
    (d / "broken" / "f3.png").write_bytes(b"\x89PNG broken")


def _annotations(d: Path) -> None:
    seqinfo = "[Sequence]\nname=toy\nframeRate=25\nseqLength=12\nimWidth=160\nimHeight=120\n"
    good = ["1,1,10,20,30,40,1,-1,-1,-1", "2,1,11,21,30,40,1,-1,-1,-1", "1,2,60,20,30,40,1,-1,-1,-1"]
    for k, row in {
        "cols": "1,1,10,20,30,40,1,-1", "nonnum": "1,1,ten,20,30,40,1,-1,-1,-1",
        "nan": "1,1,nan,20,30,40,1,-1,-1,-1", "inf": "1,1,10,20,inf,40,1,-1,-1,-1",
        "neg": "2,2,10,20,-30,40,1,-1,-1,-1", "dup": "2,1,10,20,30,40,1,-1,-1,-1",
        "range": "99,3,10,20,30,40,1,-1,-1,-1",
    }.items():
        (d / f"mot_{k}").mkdir()
        (d / f"mot_{k}" / "seqinfo.ini").write_text(seqinfo)
        (d / f"mot_{k}" / "gt.txt").write_text("\n".join([*good, row]) + "\n")
    good = [",".join(COLUMNS)] + [f"{k},{k + 10},{p},1,1,60,30,70,40,55,30,85,90" for k, p in ((0, 1), (1, 1), (0, 2))]
    for k, row in {
        "cols": "1,11,2,1,1,60,30,70,40,55,30,85", "nonnum": "1,11,2,1,1,sixty,30,70,40,55,30,85,90",
        "nan": "1,11,2,1,1,60,nan,70,40,55,30,85,90", "inf": "1,11,2,1,1,60,30,inf,40,55,30,85,90",
        "neg": "1,11,2,1,1,60,30,70,40,55,30,45,90", "dup": "1,11,1,1,1,60,30,70,40,55,30,85,90",
        "range": "-1,9,3,1,1,60,30,70,40,55,30,85,90",
    }.items():
        (d / f"tc_{k}").mkdir()
        (d / f"tc_{k}" / "clip_toy_gt.csv").write_text("\n".join([*good, row]) + "\n")
    header = ('{"format": "parttrack-annotations", "version": 1, "name": "toy", "width": 160, "height": 120, '
              '"fps": 25.0, "num_frames": 12, "source": "clip.mp4", "part_names": [], "subject_id": 1}')
    subject = '{"id": 1, "box": [10, 20, 30, 40]}'
    for k, rec in {
        "json": "frame 1: two people", "cols": '{"frame": 1, "subjects": [%s, {"id": 2, "box": [1, 2, 3]}]}',
        "nonnum": '{"frame": 1, "subjects": [%s, {"id": 2, "box": [60, 20, "ten", 40]}]}',
        "nan": '{"frame": 1, "subjects": [%s, {"id": 2, "box": [NaN, 20, 30, 40]}]}',
        "inf": '{"frame": 1, "subjects": [%s, {"id": 2, "box": [60, 20, Infinity, 40]}]}',
        "neg": '{"frame": 1, "subjects": [%s, {"id": 2, "box": [60, 20, -30, 40]}]}',
        "dup": '{"frame": 1, "subjects": [%s, %s]}', "range": '{"frame": 99, "subjects": [%s]}',
    }.items():
        line = rec.replace("%s", subject)
        (d / f"js_{k}.jsonl").write_text(f'{header}\n{{"frame": 0, "subjects": [{subject}]}}\n{line}\n')
    long = header.replace('"num_frames": 12', '"num_frames": 30')
    (d / "js_long.jsonl").write_text(f'{long}\n{{"frame": 0, "subjects": [{subject}]}}\n')


def _configs(d: Path) -> None:
    (d / "t_unknown.yaml").write_text("lost_treshold: 0.3\n")
    (d / "t_type.yaml").write_text("lost_threshold: low\n")
    (d / "t_yaml.yaml").write_text("method: product\nparts: head: eye\n")
    det = ("stage: detector\nmodel: {width: 8}\ndata:\n  synthetic_clips: 1\n"
           "  synthetic_overrides: {num_frames: 12, width: 192, height: 144, num_people: 3}\n"
           "batch_size: 2\nend: {max_steps: 4}\nprogress_bar: false\n")
    (d / "det.yaml").write_text(det)
    (d / "d_nested.yaml").write_text(det.replace("width: 8", "widht: 8"))
    (d / "d_type.yaml").write_text(det.replace("batch_size: 2", "batch_size: two"))
    (d / "d_data.yaml").write_text(det.replace("synthetic_clips: 1", "towncentre: [nope_gt.csv]"))
    trk = det.replace("stage: detector", "stage: tracker") + "detector_weights: det16.pt\n"
    (d / "trk.yaml").write_text(trk)
    (d / "trk8.yaml").write_text(trk.replace("det16.pt", "det.pt"))


def _weights(d: Path) -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    det = PartDetector(cfg).eval()
    save_weights(d / "w.pt", cfg, det, SiameseTracker(cfg).eval())
    cfg8, cfg16 = ModelConfig(width=8), ModelConfig(width=16)
    save_weights(d / "det.pt", cfg8, PartDetector(cfg8), None)
    save_weights(d / "det16.pt", cfg16, PartDetector(cfg16), None)
    torch.save(det.state_dict(), d / "state.pt")
    torch.save({"format": FORMAT, "version": VERSION + 1, "config": {}, "detector": {}}, d / "newer.pt")
    (d / "junk.pt").write_bytes(b"not a checkpoint at all")
    for name, model in (("det_step4.ckpt", cfg8), ("det16_step4.ckpt", cfg16)):  # what resume reads
        record = {"stage": "detector", "train_config": {"stage": "detector", "model": _plain(model)}}
        torch.save({"global_step": 4, "state_dict": {}, "parttrack": record}, d / name)


def _plain(cfg: ModelConfig) -> dict:
    from parttrack.config import to_dict

    return to_dict(cfg)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("catalogue")
    _videos(d)
    _annotations(d)
    _configs(d)
    _weights(d)
    return d


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(args)
    out, err = capsys.readouterr()
    return int(e.value.code), out, err


@pytest.mark.parametrize("case", CASES, ids=[f"{c.section}: {c.what}" for c in CASES])
def test_catalogue(case: Case, inputs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(inputs)
    before = sorted(inputs.iterdir())
    code, out, err = run(shlex.split(case.args), capsys)
    lines = err.splitlines()
    assert code == case.code, err
    assert "Traceback" not in err
    if case.message:
        assert lines[-1] == case.message.replace("{dir}", str(inputs))
    errors = [x for x in lines if x.startswith("error:")]
    assert len(errors) == (1 if case.code else 0), err  # one line, nothing else that says error
    assert case.out in out
    if case.code:
        assert sorted(inputs.iterdir()) == before  # failed before writing anything


# -- docs/errors.md is this table -----------------------------------------------------------
SECTIONS = {
    "video": "Videos and image folders (`parttrack track VIDEO --box 60,30,20,50 --weights w.pt`)",
    "options": "Command-line values (all commands)",
    "outputs": "Output paths and odd videos (checked before any work starts)",
    "annotations": "Annotation files (`parttrack eval --data PATH --out ev --weights w.pt --methods product`)",
    "config": "Config files",
    "weights": "Weights files and training checkpoints",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_rows() -> str:
    """The catalogue as markdown tables, one per section."""
    parts = []
    for key, title in SECTIONS.items():
        parts.append(f"### {title}\n\n| Input | Command | stderr (last line) | Exit |\n|---|---|---|---|")
        for c in (c for c in CASES if c.section == key):
            msg = c.message.replace("{dir}", "<dir>") or "(nothing)"
            work = f"; prints `{c.out}`" if c.out else ""
            parts.append(f"| {_cell(c.what)} | `parttrack {_cell(c.args)}` | `{_cell(msg)}`{work} | {c.code} |")
        parts.append("")
    return "\n".join(parts)


def test_docs_list_every_case() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert markdown_rows() in text, "docs/errors.md is out of date: python tests/test_catalogue.py"
    assert len(CASES) == len({(c.section, c.what) for c in CASES})


if __name__ == "__main__":
    sys.stdout.write(markdown_rows())
