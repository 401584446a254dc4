"""Typed annotation records shared by every reader, the generator, training and evaluation.

Conventions (everywhere in parttrack):
    * boxes are ``(x, y, w, h)``: left, top, width, height, in pixels of the original frame,
      floats; they may lie partly outside the frame (Town Centre does).
    * frame indices are 0-based video frame indices.
    * a subject's ``parts`` maps a part name to a :class:`PartBox` (annotated, visible or
      occluded) or to ``None`` (annotated as absent, e.g. the eyes of someone facing away).
      A part name missing from the mapping means *not annotated* (MOT data has no parts):
      its losses are masked out, never treated as background ([0028]).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

BoxXYWH = tuple[float, float, float, float]


def check_box(box: BoxXYWH, what: str = "box") -> BoxXYWH:
    """Return ``box`` as a float 4-tuple; raise ``ValueError`` naming ``what`` if it is not
    four finite numbers with positive width and height."""
    if len(box) != 4:
        raise ValueError(f"{what} must have 4 values (x, y, w, h), got {len(box)}")
    b = tuple(float(v) for v in box)
    if not all(math.isfinite(v) for v in b):
        raise ValueError(f"{what} has a non-finite value: {box}")
    if b[2] <= 0 or b[3] <= 0:
        raise ValueError(f"{what} must have positive width and height, got {box}")
    return b  # type: ignore[return-value]


def box_center(box: BoxXYWH) -> tuple[float, float]:
    """Centre ``(cx, cy)`` of an ``(x, y, w, h)`` box ([0029])."""
    return box[0] + box[2] / 2.0, box[1] + box[3] / 2.0


def box_contains(box: BoxXYWH, point: tuple[float, float]) -> bool:
    """Whether ``point`` lies inside ``box`` (edges included)."""
    x, y = point
    return box[0] <= x <= box[0] + box[2] and box[1] <= y <= box[1] + box[3]


def _check_confidence(value: float | None, what: str) -> None:
    if value is not None and not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"{what} confidence must be in [0, 1] or None, got {value}")


@dataclass(frozen=True)
class PartBox:
    """One annotated part of one subject. ``visible`` False = occluded but located.
    ``confidence`` in [0, 1]: how sure a machine label is (None: a human label)."""

    box: BoxXYWH
    visible: bool = True
    confidence: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", check_box(self.box, "part box"))
        _check_confidence(self.confidence, "part")


@dataclass(frozen=True)
class Subject:
    """One person (or object) in one frame.

    Attributes:
        id: identity, unique within a frame.
        box: subject box ``(x, y, w, h)`` pixels.
        visibility: visible fraction in [0, 1] (1 = fully visible).
        parts: part name -> PartBox, or None (annotated absent); missing = not annotated.
        confidence: in [0, 1] for a machine label (e.g. teacher labels), None otherwise.
    """

    id: int
    box: BoxXYWH
    visibility: float = 1.0
    parts: Mapping[str, PartBox | None] = field(default_factory=dict)
    confidence: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", check_box(self.box, f"subject {self.id} box"))
        _check_confidence(self.confidence, f"subject {self.id}")
        if not (0.0 <= self.visibility <= 1.0) or math.isnan(self.visibility):
            raise ValueError(f"subject {self.id} visibility must be in [0, 1], got {self.visibility}")

    def part(self, name: str) -> PartBox | None:
        """The visible-or-occluded part box, or None if absent or not annotated."""
        return self.parts.get(name)


@dataclass(frozen=True)
class FrameAnnotation:
    """All annotated subjects of one frame (ids unique)."""

    frame: int
    subjects: tuple[Subject, ...] = ()

    def __post_init__(self) -> None:
        ids = [s.id for s in self.subjects]
        if len(ids) != len(set(ids)):
            raise ValueError(f"frame {self.frame} has duplicate subject ids")

    def get(self, subject_id: int) -> Subject | None:
        """The subject with this id, or None."""
        for s in self.subjects:
            if s.id == subject_id:
                return s
        return None


@dataclass(frozen=True)
class SequenceInfo:
    """Where a sequence comes from and its geometry.

    ``source`` is the video file or image folder path (or None for in-memory frames);
    ``part_names`` lists the parts this dataset annotates (empty for MOT data).
    """

    name: str
    width: int
    height: int
    fps: float
    num_frames: int
    source: str | None = None
    part_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnotatedSequence:
    """A sequence's info and its per-frame annotations, keyed by 0-based frame index.

    ``subject_id`` is the chosen subject to track (benchmark suites set it), or None.
    """

    info: SequenceInfo
    frames: Mapping[int, FrameAnnotation]
    subject_id: int | None = None

    def __iter__(self) -> Iterator[FrameAnnotation]:
        for k in sorted(self.frames):
            yield self.frames[k]

    def track_of(self, subject_id: int) -> dict[int, Subject]:
        """Frame index -> this subject's record, for the frames where it is annotated."""
        out: dict[int, Subject] = {}
        for k in sorted(self.frames):
            s = self.frames[k].get(subject_id)
            if s is not None:
                out[k] = s
        return out

    def subject_ids(self) -> list[int]:
        """All ids appearing anywhere in the sequence, sorted."""
        return sorted({s.id for f in self.frames.values() for s in f.subjects})
