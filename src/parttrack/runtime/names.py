"""Input and output names of the two graphs (:mod:`parttrack.runtime.graphs`), importable
without torch: the onnxruntime path and the tracker use these names only."""

from __future__ import annotations

TEMPLATE_INPUTS = ("template",)
TEMPLATE_OUTPUTS = ("template_feat",)
FRAME_INPUTS = ("template_feat", "search")
MAP_OUTPUTS = (
    "part_heatmap",  # (B, K, h, w) detector likelihood
    "part_size",  # (B, 2K, h, w)
    "part_offset",  # (B, 2K, h, w)
    "subject_heatmap",  # (B, 1, h, w)
    "subject_size",  # (B, 2, h, w)
    "subject_offset",  # (B, 2, h, w)
    "part_region",  # (B, K, h, w)
    "product",  # (B, K, h, w) element product
)
PEAK_OUTPUTS = (
    "part_peak",  # (B, K, 2) float (x, y) element of the product peak
    "part_score",  # (B, K) product value at the peak
    "part_peak_size",  # (B, K, 2) part (w, h) in map elements at the peak
    "part_peak_offset",  # (B, K, 2) part offset in map elements at the peak
    "subject_peak",  # (B, 1, 2) float (x, y) element of the subject heatmap peak
    "subject_score",  # (B, 1)
    "subject_peak_size",  # (B, 1, 2)
    "subject_peak_offset",  # (B, 1, 2)
)
FRAME_OUTPUTS = MAP_OUTPUTS + PEAK_OUTPUTS
#: The models' own outputs (no post-processing): what the tracker asks a backend for.
MODEL_OUTPUTS = MAP_OUTPUTS[:-1]
