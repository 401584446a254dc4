"""parttrack: follow one subject through a video and pinpoint its part (head, eye) every frame.

Implements US 2024/0282089 A1: a part detector's likelihood map times the tracker's
part-region map, peak -> the tracked subject's own part, even with people close by.

Example::

    import parttrack
    from parttrack.data.video import open_video

    tracker = parttrack.PartTracker.from_weights()          # shipped weights
    frames = open_video("street.mp4")
    first = next(iter(frames))
    tracker.initialize(first.image, box=(850, 300, 60, 170))  # x, y, w, h of the subject
    for frame in frames:
        result = tracker.track(frame.image)
        print(result.frame, result.parts["head"])
"""

from parttrack.errors import ParttrackError
from parttrack.tracker.result import PartResult, TrackResult

__version__ = "0.1.0"

__all__ = ["ParttrackError", "PartResult", "TrackResult", "__version__"]


def __getattr__(name: str):  # lazy: importing parttrack stays light
    if name == "PartTracker":
        from parttrack.tracker.part_tracker import PartTracker

        return PartTracker
    raise AttributeError(name)
