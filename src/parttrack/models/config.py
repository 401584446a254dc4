"""Model geometry and width, shared by the part detector, the tracker, training and inference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelConfig:
    """Geometry of both models.

    Attributes:
        parts: the specific parts, one likelihood / region channel each ([0062]).
        template_size: template crop side (pixels).
        search_size: search crop side (pixels); maps are ``search_size // stride`` square.
        stride: search pixels per map element (the size ratio of [0041] inside the crop).
        width: base channel count of the backbones.
        context: SiamFC context amount for the template window.
        search_factor: search window side / template window side (image pixels).
    """

    parts: tuple[str, ...] = ("head",)
    template_size: int = 64
    search_size: int = 128
    stride: int = 4
    width: int = 32
    context: float = 0.5
    search_factor: float = 2.0

    def __post_init__(self) -> None:
        if not self.parts or len(set(self.parts)) != len(self.parts):
            raise ValueError(f"parts must be a non-empty list of distinct names, got {self.parts}")
        for name in ("template_size", "search_size", "stride", "width"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.search_size % (2 * self.stride) or self.template_size % (2 * self.stride):
            raise ValueError("search_size and template_size must be multiples of 2*stride")
        if self.stride not in (4, 8):
            raise ValueError(f"stride must be 4 or 8, got {self.stride}")
        if self.search_factor <= 0 or self.context < 0:
            raise ValueError("search_factor must be positive and context non-negative")

    @property
    def num_parts(self) -> int:
        return len(self.parts)

    @property
    def map_size(self) -> int:
        """Side of every output map (elements)."""
        return self.search_size // self.stride
