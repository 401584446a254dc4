"""Annotation records, readers/writers, video I/O and the synthetic generator.

Readers: :func:`load_sequence` (dispatches on the path), :func:`read_sequence` (parttrack JSON
Lines), :func:`read_mot` (MOTChallenge), :func:`read_towncentre` (Oxford Town Centre CSV).
Video: :func:`open_video` streams frames from a file, an image folder or a camera;
:class:`VideoWriter` writes MP4 atomically.
"""

from parttrack.data.jsonl import read_sequence, write_sequence
from parttrack.data.load import find_video, load_sequence
from parttrack.data.mot import read_mot, write_mot_results
from parttrack.data.towncentre import read_towncentre
from parttrack.data.types import (
    AnnotatedSequence,
    BoxXYWH,
    FrameAnnotation,
    PartBox,
    SequenceInfo,
    Subject,
)
from parttrack.data.video import Frame, VideoInfo, VideoSource, VideoWriter, open_video, read_frames

__all__ = [
    "BoxXYWH",
    "Frame",
    "FrameAnnotation",
    "PartBox",
    "AnnotatedSequence",
    "SequenceInfo",
    "Subject",
    "VideoInfo",
    "VideoSource",
    "VideoWriter",
    "find_video",
    "load_sequence",
    "open_video",
    "read_frames",
    "read_mot",
    "read_sequence",
    "read_towncentre",
    "write_mot_results",
    "write_sequence",
]
