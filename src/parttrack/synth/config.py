"""The difficulty knobs of one synthetic clip (:class:`SceneConfig`), shared by the cast planner
(:mod:`parttrack.synth.cast`) and the renderer (:mod:`parttrack.synth.generator`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SceneConfig:
    """Difficulty knobs of one synthetic clip. Rates and amounts are in [0, 1].

    Attributes:
        width, height: frame size, pixels.
        num_frames, fps: clip length and frame rate.
        num_people: people in the scene (the first one placed is the subject).
        min_head_distance: keep unrelated heads at least this many head heights apart in the
            image (0 = no constraint; best effort over a few tries per person).
        crossing_rate: share of the others placed to pass within ~0.8 head heights of the
            subject's head (crossing, passing or overtaking); > 0 means at least one.
        lookalike_share: share of the others dressed exactly like someone else (the subject's
            companion and crossers first, copying the subject).
        occlusion_share: share of the others placed to walk in front of someone (the subject
            first).
        camera_motion: pan (up to 8 % of the frame) and zoom-in (up to 25 %).
        blur, noise, lighting: Gaussian blur, sensor noise, brightness / tint drift.
        side_by_side_rate: share of people walking in side-by-side pairs (the subject's first).
        stop_turn_rate: chance that a walker stops and turns round (facing away: no eye).
        props: number of static props (bins, benches, posts) that can hide people.
    """

    width: int = 384
    height: int = 288
    num_frames: int = 100
    fps: float = 25.0
    num_people: int = 6
    min_head_distance: float = 0.0
    crossing_rate: float = 0.3
    lookalike_share: float = 0.3
    occlusion_share: float = 0.3
    camera_motion: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    lighting: float = 0.0
    side_by_side_rate: float = 0.0
    stop_turn_rate: float = 0.15
    props: int = 3

    def __post_init__(self) -> None:
        for name, low in (("width", 64), ("height", 64), ("num_frames", 1), ("num_people", 1), ("props", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"SceneConfig.{name} must be an integer >= {low}, got {value!r}")
        if self.num_people > 250:
            raise ValueError(f"SceneConfig.num_people must be <= 250, got {self.num_people}")
        if not (isinstance(self.fps, (int, float)) and math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"SceneConfig.fps must be > 0, got {self.fps!r}")
        if not (isinstance(self.min_head_distance, (int, float)) and 0 <= self.min_head_distance < 100):
            raise ValueError(
                f"SceneConfig.min_head_distance must be in [0, 100), got {self.min_head_distance!r}"
            )
        for name in ("crossing_rate", "lookalike_share", "occlusion_share", "camera_motion", "blur",
                     "noise", "lighting", "side_by_side_rate", "stop_turn_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0.0 <= value <= 1.0):
                raise ValueError(f"SceneConfig.{name} must be in [0, 1], got {value!r}")
