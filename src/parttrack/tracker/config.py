"""Every knob of :class:`~parttrack.tracker.part_tracker.PartTracker`, as one frozen record."""

from __future__ import annotations

from dataclasses import dataclass

from parttrack.tracker.decoders import METHODS


@dataclass(frozen=True)
class TrackerConfig:
    """Every knob of :class:`PartTracker` (YAML-loadable with ``parttrack.config.load_yaml``).

    Attributes:
        method: part decoder, one of ``parttrack.tracker.decoders.METHODS`` ("product" = the
            patent).
        parts: parts to report (None = all parts of the weights, [0062]).
        keep_maps: store each frame's maps in ``TrackResult.maps``.
        part_threshold: a part whose decoder score is below this is reported as None.
        lost_threshold: subject score below this marks the subject lost.
        redetect_threshold: a lost subject is found again at a score at or above this.
        window_influence: weight of the cosine (Hann) window on the subject heatmap, 0-1.
        scale_penalty: ``k`` of the size/aspect change penalty ``exp(-k (r s - 1))``.
        size_lr: rate of the smoothed size update (times penalty x score).
        lost_growth: search window growth per lost frame (up to a whole-frame crop).
        motion_lr: rate of the constant-velocity estimate (EMA of the centre displacement,
            image px/frame); the next search crop, and so its cosine window, is centred on the
            predicted position. 0 = no motion model. Separates look-alikes that cross.
        min_size: smallest subject width/height, image pixels.
        template_update_threshold: refresh the template on frames at or above this subject
            score (None = never, the default).
        template_update_interval: frames between template refreshes.
        template_update_rate: blend weight of the new template features, 0-1.
        identity: keep the subject's identity among look-alikes (issue 12): candidates of the
            subject heatmap, a Kalman motion model with camera-motion compensation, distractor
            association, an appearance memory and an honest absent state
            (:mod:`parttrack.tracker.identity`; ``configs/identity.yaml``). Off by default:
            it halves hijacks and reports hidden subjects absent, but on the held-out Town
            Centre clip it declares some subjects absent that the single-peak localisation
            (``window_influence``, ``scale_penalty``, ``size_lr``, ``lost_growth``,
            ``motion_lr``) keeps (BENCHMARKS.md, "Subject identity").
        max_candidates: candidates per search window (heatmap local maxima).
        candidate_threshold: smallest heatmap value of a candidate.
        switch_frames: frames the subject must be unmatched before a candidate known to be
            another person may become the subject (switch hysteresis).
        appearance_threshold: colour-histogram similarity (Bhattacharyya, 0-1) a candidate
            needs to re-find the subject after a loss (0 = appearance not used).
        memory_update_score: the dynamic appearance memory is refreshed on frames scoring at
            least this with no rival candidate near the subject.
        camera_motion: compensate whole-picture motion (phase correlation) before the search.
        ring_after: frames of loss before the search spreads into a ring of windows at the
            subject's scale.
        max_windows: search windows per frame while searching for a lost subject (one batch).
        point_filter: steady the reported part points with a One-Euro filter in the subject's
            own frame (on in ``configs/identity.yaml``).
        filter_min_cutoff: its cutoff at rest, Hz (lower = steadier).
        filter_beta: its cutoff increase per subject height per second.
        frame_rate: frames per second the filter assumes.
        refine_start: refine a loose start box to the person inside it (part detector heads).
        size_gain: factor on the subject size the tracker regresses (both modes): a
            calibration of the weights' bias at the true scale. The size head only partly
            corrects a wrong box (measured on the Town Centre training clips with the shipped
            weights: predicted/true height 0.77 from a 0.7x box, 0.97 from the true box, 1.26
            from a 1.4x box), so a small bias compounds frame after frame into a box about 0.9x
            the person; ``benchmarks/size_bias.py`` measures the factor for a weights file.
        identity_size_rate: identity mode: share of the way (times the candidate's score) the
            filtered subject height moves towards a measured one each frame.
        refind_grace: identity mode: frames after a loss during which a candidate still only
            needs ``lost_threshold`` (after them, ``redetect_threshold``): a one-frame dip of
            the subject's peak is not a disappearance.
    """

    method: str = "product"
    parts: tuple[str, ...] | None = None
    keep_maps: bool = False
    part_threshold: float = 0.1
    lost_threshold: float = 0.2
    redetect_threshold: float = 0.4
    window_influence: float = 0.3
    scale_penalty: float = 0.1
    size_lr: float = 0.4
    lost_growth: float = 1.5
    motion_lr: float = 0.3
    min_size: float = 4.0
    template_update_threshold: float | None = None
    template_update_interval: int = 10
    template_update_rate: float = 0.3
    identity: bool = False
    max_candidates: int = 5
    candidate_threshold: float = 0.1
    switch_frames: int = 15
    appearance_threshold: float = 0.6
    memory_update_score: float = 0.6
    camera_motion: bool = True
    ring_after: int = 3
    max_windows: int = 9
    point_filter: bool = False
    filter_min_cutoff: float = 1.0
    filter_beta: float = 1.0
    frame_rate: float = 25.0
    refine_start: bool = False
    size_gain: float = 1.0
    identity_size_rate: float = 0.15
    refind_grace: int = 2

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        for name in ("part_threshold", "lost_threshold", "redetect_threshold", "window_influence",
                     "template_update_rate", "motion_lr", "candidate_threshold",
                     "appearance_threshold", "memory_update_score", "identity_size_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.redetect_threshold < self.lost_threshold:
            raise ValueError("redetect_threshold must be >= lost_threshold")
        if self.lost_growth < 1.0:
            raise ValueError(f"lost_growth must be >= 1, got {self.lost_growth}")
        if self.scale_penalty < 0 or self.size_lr < 0 or self.min_size <= 0:
            raise ValueError("scale_penalty and size_lr must be >= 0 and min_size > 0")
        if self.template_update_interval < 1:
            raise ValueError(f"template_update_interval must be >= 1, got {self.template_update_interval}")
        for name in ("max_candidates", "max_windows", "ring_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.5 <= self.size_gain <= 2.0:
            raise ValueError(f"size_gain must be in [0.5, 2], got {self.size_gain}")
        for name in ("switch_frames", "refind_grace"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.filter_min_cutoff <= 0 or self.filter_beta < 0 or self.frame_rate <= 0:
            raise ValueError("filter_min_cutoff and frame_rate must be > 0 and filter_beta >= 0")
        if self.parts is not None and not self.parts:
            raise ValueError("parts must be None (all) or a non-empty list")
