"""The computation both backends run, as two torch modules (exported to ONNX as they are).

* :class:`TemplateGraph`: template crop -> template features, once per initialisation (or
  template refresh): the template branch of the Siamese tracker ([0033], [0058]).
* :class:`FrameGraph`: template features + search crop -> the part detector ([0056]-[0057])
  and the tracker ([0058]) -> element product ([0059]) -> its peak with the size and offset
  read there ([0060]-[0061]), plus the subject peak / size / offset and every map a picture
  needs.

Both take a dynamic batch (K subjects at once). Output names are the models' dict keys
(``part_heatmap``, ``part_region``, ...) plus the post-processing outputs of FrameGraph.
"""

from __future__ import annotations

import torch
from torch import nn

from parttrack.maps import element_product, find_peaks, gather_at
from parttrack.models.detector import PartDetector
from parttrack.models.tracker import SiameseTracker
from parttrack.runtime.names import (  # noqa: F401 - re-exported: the graphs' names
    FRAME_INPUTS,
    FRAME_OUTPUTS,
    MAP_OUTPUTS,
    MODEL_OUTPUTS,
    PEAK_OUTPUTS,
    TEMPLATE_INPUTS,
    TEMPLATE_OUTPUTS,
)


class TemplateGraph(nn.Module):
    """Template crop ``(B, 3, T, T)`` float BGR [0, 1] -> ``{"template_feat": (B, C, T/8, T/8)}``."""

    def __init__(self, tracker: SiameseTracker) -> None:
        super().__init__()
        self.tracker = tracker

    def forward(self, template: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"template_feat": self.tracker.encode_template(template)}


class FrameGraph(nn.Module):
    """One frame's network work and post-processing ([0056]-[0061]).

    Inputs: ``template_feat`` ``(B, C, T/8, T/8)`` (from :class:`TemplateGraph`) and ``search``
    ``(B, 3, S, S)`` float BGR [0, 1]. Output: a dict with :data:`FRAME_OUTPUTS` keys (shapes
    in the comments there; maps are ``h = w = S / stride``, all float32).
    """

    def __init__(self, detector: PartDetector, tracker: SiameseTracker) -> None:
        super().__init__()
        self.detector = detector
        self.tracker = tracker

    def forward(self, template_feat: torch.Tensor, search: torch.Tensor) -> dict[str, torch.Tensor]:
        det = self.detector(search)
        trk = self.tracker.track(template_feat, search)
        product = element_product(det["part_heatmap"], trk["part_region"])  # [0059]
        px, py, ps = find_peaks(product)  # [0060]
        sx, sy, ss = find_peaks(trk["subject_heatmap"])
        return {
            "part_heatmap": det["part_heatmap"],
            "part_size": det["part_size"],
            "part_offset": det["part_offset"],
            "subject_heatmap": trk["subject_heatmap"],
            "subject_size": trk["subject_size"],
            "subject_offset": trk["subject_offset"],
            "part_region": trk["part_region"],
            "product": product,
            "part_peak": torch.stack([px, py], dim=-1).to(product.dtype),
            "part_score": ps,
            "part_peak_size": gather_at(det["part_size"], px, py),  # [0061]
            "part_peak_offset": gather_at(det["part_offset"], px, py),
            "subject_peak": torch.stack([sx, sy], dim=-1).to(product.dtype),
            "subject_score": ss,
            "subject_peak_size": gather_at(trk["subject_size"], sx, sy),
            "subject_peak_offset": gather_at(trk["subject_offset"], sx, sy),
        }
