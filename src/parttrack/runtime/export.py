"""ONNX export of the two networks as two graphs, for the onnxruntime backend.

* ``template.onnx``: :class:`~parttrack.runtime.graphs.TemplateGraph` (template crop ->
  template features, [0033]).
* ``frame.onnx``: :class:`~parttrack.runtime.graphs.FrameGraph` (both networks, element
  product and peaks, [0056]-[0061]).

The torch backend runs the very same modules, so both backends compute one thing.

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
import warnings
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch
from torch import nn

from parttrack.atomic import atomic_path
from parttrack.config import to_dict
from parttrack.errors import CheckpointError, ParttrackError
from parttrack.models.io import Weights
from parttrack.models.tracker import SiameseTracker
from parttrack.runtime.cache import (  # noqa: F401 - shared with the torch-free cache
    EXPORT_VERSION,
    FRAME_FILE,
    OPSET,
    TEMPLATE_FILE,
    default_cache_dir,
)
from parttrack.runtime.graphs import FrameGraph, TemplateGraph
from parttrack.runtime.names import FRAME_INPUTS, FRAME_OUTPUTS, TEMPLATE_INPUTS, TEMPLATE_OUTPUTS


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
