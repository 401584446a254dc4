"""Annotation records, readers/writers, video I/O and the synthetic generator."""

from parttrack.data.types import (
    BoxXYWH,
    FrameAnnotation,
    PartBox,
    Sequence,
    SequenceInfo,
    Subject,
)

__all__ = ["BoxXYWH", "FrameAnnotation", "PartBox", "Sequence", "SequenceInfo", "Subject"]
