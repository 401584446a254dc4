"""The training recipe as typed frozen dataclasses (YAML via ``parttrack.config.load_yaml``).

Paths inside a config file are relative to that file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from parttrack.models.config import ModelConfig
from parttrack.training.losses import LossWeights


@dataclass(frozen=True)
class SampleConfig:
    """How crops are jittered and targets drawn.

    Attributes:
        jitter_pos: search centre shift, uniform within +- this fraction of the template
            window side (image pixels).
        jitter_scale: search window side times ``exp(U(-j, j))``.
        template_jitter: the same two jitters, for the template window.
        color_jitter: per-channel gain ``1 +- c`` and brightness ``+- 40 c`` (0-255 scale).
        flip_prob: probability of a horizontal flip (of both crops; per stream for clips).
        max_gap: largest frame gap between template and search frame of a random pair.
        hard_fraction: share of random pairs drawn from hard cases (another person's part
            within ``hard_radius`` part heights of the subject's).
        hard_radius: see ``hard_fraction``; without parts, box centres within this many
            half box widths.
        distractor_shift: share of hard pairs whose search centre is pulled up to halfway
            towards the nearest other person.
        part_sigma, subject_sigma: Gaussian sigma (map elements) of the peak-1 heatmap targets.
        gaussian: formula (1) normalisation of the S105 correct-answer map, "pdf" (the
            patent's density) or "peak" (peak 1).
        sigma: formula (1) sigma in map elements (1 = the patent's standard normal).
        min_visibility: template frames need at least this subject visibility.
        clip_length: frames per sequential clip ([0030]); 0 = the whole track.
        clip_stride: video frames between consecutive clip frames.
        stream_jitter: search-centre jitter of clip frames (fraction of the template side),
            around the previous frame's box as at inference.
        absent_fraction: share of random pairs whose search crop does not hold the subject
            (centred on another person, or away from everyone): its subject heatmap and S105
            answer map are all zero, so the tracker learns to say "not here" instead of
            latching onto the nearest person (issue 12, training for identity).
    """

    jitter_pos: float = 0.2
    jitter_scale: float = 0.15
    template_jitter: float = 0.03
    color_jitter: float = 0.15
    flip_prob: float = 0.5
    max_gap: int = 25
    hard_fraction: float = 0.5
    hard_radius: float = 2.0
    distractor_shift: float = 0.3
    part_sigma: float = 1.0
    subject_sigma: float = 1.0
    gaussian: Literal["pdf", "peak"] = "pdf"
    sigma: float = 1.0
    min_visibility: float = 0.5
    clip_length: int = 24
    clip_stride: int = 1
    stream_jitter: float = 0.05
    absent_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("jitter_pos", "jitter_scale", "template_jitter", "color_jitter", "stream_jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("flip_prob", "hard_fraction", "distractor_shift", "min_visibility", "absent_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.part_sigma <= 0 or self.subject_sigma <= 0 or self.sigma <= 0:
            raise ValueError("part_sigma, subject_sigma and sigma must be positive")
        if self.max_gap < 0 or self.clip_length < 0 or self.clip_stride < 1:
            raise ValueError("max_gap and clip_length must be >= 0 and clip_stride >= 1")


@dataclass(frozen=True)
class DataConfig:
    """Where training samples come from and how the sources are mixed.

    Attributes:
        synthetic_clips: number of generated clips (``parttrack.synth.generator.training_clips``).
        synthetic_seed: seed of those clips (the generator keeps them disjoint from suites).
        synthetic_overrides: ``SceneConfig`` fields fixed for every training clip.
        towncentre: Town Centre clips (``*.mp4`` or ``*_gt.csv``); never the held-out one.
        towncentre_scale: resize factor of Town Centre frames (and annotations).
        mot: MOTChallenge folders (subject boxes only: part losses masked out).
        mot_scale: resize factor of MOT frames.
        composite_clips: number of real-person composite clips
            (``parttrack.synth.composite_suites.composite_training_clips``: real people of the
            licensed clips on real backgrounds; never the held-out clip).
        composite_overrides: ``CompositeConfig`` fields fixed for every composite clip.
        labelled: parttrack JSONL label files, e.g. teacher labels written by ``parttrack
            label`` (issue 13: real video of the user's own camera); each file's header names
            its video (``parttrack.data.load.find_video``); never the held-out clip.
            Low-confidence teacher labels are already left out by ``parttrack label``.
        labelled_scale: resize factor of labelled frames (and labels).
        labelled_parts: the parts of the labelled files trained on (None: all they annotate);
            the others are treated as not annotated (losses masked). Teacher eye labels on
            people seen from behind sit on the back of the head, so a recipe may keep
            ``[head]`` only.
        mix_synthetic, mix_towncentre, mix_mot, mix_composite, mix_labelled: sampling weights
            of the groups.
        samples: crop jitter and target drawing.
    """

    synthetic_clips: int = 0
    synthetic_seed: int = 0
    synthetic_overrides: dict[str, Any] = field(default_factory=dict)
    towncentre: tuple[str, ...] = ()
    towncentre_scale: float = 0.5
    mot: tuple[str, ...] = ()
    mot_scale: float = 1.0
    mix_synthetic: float = 1.0
    mix_towncentre: float = 1.0
    mix_mot: float = 1.0
    composite_clips: int = 0
    composite_overrides: dict[str, Any] = field(default_factory=dict)
    mix_composite: float = 1.0
    labelled: tuple[str, ...] = ()
    labelled_scale: float = 1.0
    labelled_parts: tuple[str, ...] | None = None
    mix_labelled: float = 1.0
    samples: SampleConfig = field(default_factory=SampleConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.synthetic_overrides, dict):
            raise ValueError("synthetic_overrides must be a mapping of SceneConfig fields")
        if self.synthetic_clips < 0 or self.composite_clips < 0:
            raise ValueError("synthetic_clips and composite_clips must be >= 0")
        if self.towncentre_scale <= 0 or self.mot_scale <= 0 or self.labelled_scale <= 0:
            raise ValueError("towncentre_scale, mot_scale and labelled_scale must be positive")
        if min(self.mix_synthetic, self.mix_towncentre, self.mix_mot, self.mix_composite, self.mix_labelled) < 0:
            raise ValueError("mixing weights must be >= 0")


@dataclass(frozen=True)
class EndConfig:
    """End conditions of the learning process ([0049]); the first one met ends it.

    Attributes:
        max_steps: number of updates (repetitions of S101-S107).
        loss_threshold: stop once the mean loss of the last ``window`` steps is <= this.
        delta_threshold: stop once that mean changed by <= this from the window before.
        window: steps averaged for the two loss conditions (1 = the raw per-step loss).
        min_steps: neither loss condition is checked before this step.
    """

    max_steps: int = 1000
    loss_threshold: float | None = None
    delta_threshold: float | None = None
    window: int = 50
    min_steps: int = 0

    def __post_init__(self) -> None:
        if self.max_steps < 1 or self.window < 1 or self.min_steps < 0:
            raise ValueError("max_steps and window must be >= 1, min_steps >= 0")


@dataclass(frozen=True)
class TrainConfig:
    """One training stage.

    Attributes:
        stage: "detector" (first model, all parts of all people) or "tracker" (second model,
            detector frozen, [0024]-[0052], [0063]-[0070]).
        model: geometry and width of both models.
        data: sources and sampling.
        loss: loss weights (S107 linear sum).
        end: end conditions ([0049]).
        batch_size: samples per update ([0050]).
        stream_fraction: tracker stage: share of each batch taken from sequential clips, in
            order from their head frame ([0030]); these feed the S110 temporal loss.
        temporal_n: S110 averages the region maps of the previous ``n`` frames ([0067]).
        lr, weight_decay, warmup_steps: AdamW with linear warm-up then cosine decay.
        grad_clip: gradient norm clip (0 = off).
        seed: data and initialisation seed.
        num_workers: DataLoader worker processes (0 = the main process).
        threads: torch intra-op threads (0 = leave torch's default).
        strategy, devices, num_nodes, precision: Lightning Trainer settings (``strategy:
            ddp`` for multi-GPU / multi-node).
        checkpoint_every: steps between (atomic) checkpoints.
        log_every: steps between log rows.
        progress_bar: show Lightning's progress bar.
        detector_weights: tracker stage: the detector stage's weights file.
        init_from_detector: tracker stage: start the tracker's backbone from the trained
            detector's (same architecture; the detector itself stays frozen).
        output: the stage's weights file (default ``<out>/<stage>.pt``).
    """

    stage: Literal["detector", "tracker"]
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    end: EndConfig = field(default_factory=EndConfig)
    batch_size: int = 32
    stream_fraction: float = 0.25
    temporal_n: int = 4
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    grad_clip: float = 5.0
    seed: int = 0
    num_workers: int = 0
    threads: int = 0
    strategy: str = "auto"
    devices: int | str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    checkpoint_every: int = 200
    log_every: int = 10
    progress_bar: bool = True
    detector_weights: str | None = None
    init_from_detector: bool = True
    output: str | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.stream_fraction <= 1.0:
            raise ValueError(f"stream_fraction must be in [0, 1], got {self.stream_fraction}")
        if self.temporal_n < 2:
            raise ValueError(f"temporal_n must be >= 2 ([0067]), got {self.temporal_n}")
        if self.lr <= 0 or self.weight_decay < 0 or self.warmup_steps < 0 or self.grad_clip < 0:
            raise ValueError("lr must be > 0; weight_decay, warmup_steps, grad_clip >= 0")
        if self.num_workers < 0 or self.threads < 0 or self.num_nodes < 1:
            raise ValueError("num_workers and threads must be >= 0, num_nodes >= 1")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("checkpoint_every and log_every must be >= 1")
        if self.stage == "tracker" and not self.detector_weights:
            raise ValueError("the tracker stage needs detector_weights (the detector stage's output)")

    @property
    def num_streams(self) -> int:
        """Batch items taken from sequential clips (0 for the detector stage)."""
        return 0 if self.stage == "detector" else round(self.batch_size * self.stream_fraction)
