"""ONNX export of the two networks as two graphs, for the onnxruntime backend.

* ``template.onnx``: template crop -> template features. Run once per initialisation (or
  template refresh): the template branch of the Siamese tracker ([0033], [0058]).
* ``frame.onnx``: template features + search crop -> the part detector ([0056]-[0057]) and
  the tracker ([0058]) -> element product ([0059]) -> its peak with the size and offset read
  there ([0060]-[0061]), plus the subject peak / size / offset and every map a picture needs.

Both graphs take a dynamic batch (K subjects at once). Output names are the models' dict keys
(``part_heatmap``, ``part_region``, ...) plus the post-processing outputs of
:class:`FrameGraph`. The torch backend runs the very same :class:`FrameGraph`, so both
backends compute one thing.

Example::

    from parttrack.models import load_weights
    from parttrack.runtime.export import export_onnx

    paths = export_onnx(load_weights("parttrack.pt"), "onnx/")
    print(paths.template, paths.frame)
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch
from torch import nn

from parttrack.atomic import atomic_path
from parttrack.config import to_dict
from parttrack.errors import CheckpointError, ParttrackError
from parttrack.maps import element_product, find_peaks, gather_at
from parttrack.models.detector import PartDetector
from parttrack.models.io import Weights
from parttrack.models.tracker import SiameseTracker

EXPORT_VERSION = 1  # bump when the graphs' inputs/outputs change (invalidates caches)
OPSET = 18
TEMPLATE_FILE = "template.onnx"
FRAME_FILE = "frame.onnx"

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


@dataclass(frozen=True)
class ExportedModels:
    """Paths of the two exported graphs."""

    template: Path
    frame: Path


def _require_tracker(weights: Weights) -> SiameseTracker:
    if weights.tracker is None:
        raise CheckpointError("weights hold no tracker (a detector-only checkpoint): nothing to export")
    return weights.tracker


def weights_digest(weights: Weights) -> str:
    """SHA-256 (hex, 16 chars) of the config, both state dicts and the export version.

    Keys the ONNX cache: the same weights always map to the same exported graphs.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"export": EXPORT_VERSION, "opset": OPSET, "config": to_dict(weights.config)}).encode())
    for name, module in (("detector", weights.detector), ("tracker", weights.tracker)):
        if module is None:
            continue
        for key, t in module.state_dict().items():
            h.update(f"{name}.{key}:{tuple(t.shape)}:{t.dtype}".encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _to_onnx_bytes(
    module: nn.Module, args: tuple[torch.Tensor, ...], inputs: tuple[str, ...], outputs: tuple[str, ...]
) -> bytes:
    """Export ``module`` with torch's dynamo exporter (onnxscript), dynamic batch on every input."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    dyn = {name: {0: batch} for name in inputs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        level = logging.getLogger("torch.onnx").level
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        try:
            prog = torch.onnx.export(
                module,
                args,
                dynamo=True,
                input_names=list(inputs),
                output_names=list(outputs),
                dynamic_shapes=dyn,
                opset_version=OPSET,
                optimize=True,
                verbose=False,
            )
        except Exception as e:  # noqa: BLE001 - report any exporter failure as one line
            raise ParttrackError(f"ONNX export failed: {type(e).__name__}: {str(e).splitlines()[0]}") from e
        finally:
            logging.getLogger("torch.onnx").setLevel(level)
    assert prog is not None
    buf = io.BytesIO()
    onnx.save_model(prog.model_proto, buf)
    return buf.getvalue()


def export_bytes(weights: Weights) -> tuple[bytes, bytes]:
    """Export both graphs to serialized ONNX models ``(template, frame)``, in memory."""
    # eval-mode CPU copies: the caller's modules keep their device and train/eval state
    tracker = copy.deepcopy(_require_tracker(weights)).cpu().eval()
    detector = copy.deepcopy(weights.detector).cpu().eval()
    cfg = weights.config
    g = torch.Generator().manual_seed(0)  # example inputs; the caller's RNG is left alone
    template = torch.rand(2, 3, cfg.template_size, cfg.template_size, generator=g)
    search = torch.rand(2, 3, cfg.search_size, cfg.search_size, generator=g)
    with torch.no_grad():
        feat = tracker.encode_template(template)
    t_bytes = _to_onnx_bytes(TemplateGraph(tracker), (template,), TEMPLATE_INPUTS, TEMPLATE_OUTPUTS)
    f_bytes = _to_onnx_bytes(FrameGraph(detector, tracker), (feat, search), FRAME_INPUTS, FRAME_OUTPUTS)
    return t_bytes, f_bytes


def export_onnx(weights: Weights, out_dir: str | Path) -> ExportedModels:
    """Write ``template.onnx`` and ``frame.onnx`` (atomically) into ``out_dir``.

    Args:
        weights: loaded models (a tracker is required).
        out_dir: folder, created if needed.

    Returns:
        The two paths. Each file holds its weights inline (no external data files).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParttrackError("export destination exists and is not a folder", out)
    t_bytes, f_bytes = export_bytes(weights)
    paths = ExportedModels(out / TEMPLATE_FILE, out / FRAME_FILE)
    for path, data in ((paths.template, t_bytes), (paths.frame, f_bytes)):
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        except OSError as e:
            raise ParttrackError(f"cannot write ONNX model: {e.strerror or e}", path) from e
    return paths


def default_cache_dir() -> Path:
    """Where exported graphs are cached: ``$PARTTRACK_CACHE`` or ``~/.cache/parttrack/onnx``."""
    env = os.environ.get("PARTTRACK_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parttrack" / "onnx"


def export_cached(weights: Weights, cache_dir: str | Path | None = None) -> ExportedModels:
    """The exported graphs of ``weights``, exporting into ``<cache>/<digest>/`` on first use.

    The key is :func:`weights_digest`, so changed weights never reuse stale graphs.
    """
    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    folder = root / weights_digest(weights)
    paths = ExportedModels(folder / TEMPLATE_FILE, folder / FRAME_FILE)
    if not (paths.template.is_file() and paths.frame.is_file()):
        logging.getLogger(__name__).info("exporting ONNX graphs into %s (once per weights)", folder)
        export_onnx(weights, folder)
    return paths
