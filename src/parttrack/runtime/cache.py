"""The ONNX graph cache: a weights file's two exported graphs, found without torch.

A weights file is a torch checkpoint, but the onnxruntime backend needs only its two ONNX
graphs (:mod:`parttrack.runtime.export`) and its model geometry. They are exported once into
``<cache>/<digest>/`` where ``digest`` hashes the weights FILE's bytes (plus the export
version and opset), beside a ``graphs.json`` holding the :class:`~parttrack.models.config.ModelConfig`
and the graphs' output names. Later starts read that JSON and open the graphs: torch is
imported only to export on the first use of a weights file.

Example::

    from parttrack.runtime.cache import cached_graphs

    graphs = cached_graphs()            # the shipped weights; exports on first use
    print(graphs.config.search_size, graphs.frame)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parttrack.atomic import atomic_path, write_text
from parttrack.errors import CheckpointError, ParttrackError
from parttrack.runtime.names import FRAME_OUTPUTS, TEMPLATE_OUTPUTS

if TYPE_CHECKING:
    from parttrack.models.config import ModelConfig

EXPORT_VERSION = 1  # bump when the graphs' inputs/outputs change (invalidates caches)
OPSET = 18
TEMPLATE_FILE = "template.onnx"
FRAME_FILE = "frame.onnx"
META_FILE = "graphs.json"
META_FORMAT = "parttrack-onnx-cache"


@dataclass(frozen=True)
class CachedGraphs:
    """A weights file's exported graphs and what the tracker needs to know about them.

    Attributes:
        config: the weights' model geometry (crop sizes, stride, parts).
        template, frame: paths of ``template.onnx`` and ``frame.onnx``.
        outputs: the frame graph's output names.
        digest: :func:`file_digest` of the weights file.
        source: the weights file (the torch backend loads it from here).
    """

    config: ModelConfig
    template: Path
    frame: Path
    outputs: tuple[str, ...]
    digest: str
    source: Path

    @property
    def tracker(self) -> bool:
        """Always True: a detector-only checkpoint is refused at export."""
        return True


def default_weights_file() -> Path:
    """The shipped weights file (``parttrack/weights/parttrack.pt``), found without torch."""
    return Path(str(resources.files("parttrack") / "weights" / "parttrack.pt"))


def default_cache_dir() -> Path:
    """Where exported graphs are cached: ``$PARTTRACK_CACHE`` or ``~/.cache/parttrack/onnx``."""
    env = os.environ.get("PARTTRACK_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parttrack" / "onnx"


def file_digest(path: str | Path) -> str:
    """SHA-256 (hex, first 16 chars) of the file's bytes, the export version and the opset.

    Raises:
        CheckpointError: the file is missing or unreadable.
    """
    p = Path(path)
    h = hashlib.sha256(f"parttrack-onnx:{EXPORT_VERSION}:{OPSET}:".encode())
    try:
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        raise CheckpointError("weights file not found", p) from None
    except OSError as e:
        raise CheckpointError(f"cannot read weights file: {e.strerror or e}", p) from None
    return h.hexdigest()[:16]


def cached_graphs(
    path: str | Path | None = None, cache_dir: str | Path | None = None, export: bool = True
) -> CachedGraphs:
    """The exported graphs of the weights file ``path`` (None: the shipped weights).

    Reads ``<cache>/<digest>/graphs.json`` when present (no torch); otherwise, with
    ``export``, loads the weights with torch, exports both graphs and writes the JSON last
    (atomically, so a half-written cache is never used).

    Raises:
        CheckpointError: missing or invalid weights file (named).
        ParttrackError: no cached graphs and ``export`` is False; an unreadable cache entry.
    """
    src = default_weights_file() if path is None else Path(path)
    digest = file_digest(src)
    folder = (default_cache_dir() if cache_dir is None else Path(cache_dir)) / digest
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        if not export:
            raise ParttrackError(f"no exported graphs cached for this weights file in {folder}", src)
        _export_into(src, folder, digest)
    return _read_meta(meta_path, folder, src)


def _export_into(src: Path, folder: Path, digest: str) -> None:
    """Export ``src``'s graphs into ``folder`` and write its ``graphs.json`` (imports torch)."""
    import shutil

    from parttrack.config import to_dict
    from parttrack.models.io import load_weights
    from parttrack.runtime.export import export_cached

    weights = load_weights(src)
    logging.getLogger(__name__).info("exporting ONNX graphs into %s (once per weights file)", folder)
    # the same weights under another file name (or loaded in memory before) reuse one export
    exported = export_cached(weights, folder.parent)
    for p, name in ((exported.template, TEMPLATE_FILE), (exported.frame, FRAME_FILE)):
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(p, tmp)
    meta = {
        "format": META_FORMAT,
        "export": EXPORT_VERSION,
        "opset": OPSET,
        "digest": digest,
        "source": str(src),
        "config": to_dict(weights.config),
        "template_outputs": list(TEMPLATE_OUTPUTS),
        "frame_outputs": list(FRAME_OUTPUTS),
    }
    write_text(folder / META_FILE, json.dumps(meta, indent=1) + "\n")


def _read_meta(meta_path: Path, folder: Path, src: Path) -> CachedGraphs:
    from parttrack.config import from_dict
    from parttrack.models.config import ModelConfig

    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("format") != META_FORMAT or meta.get("export") != EXPORT_VERSION:
            raise ValueError("another cache format or export version")
        config = from_dict(ModelConfig, meta["config"], meta_path)
        outputs = tuple(str(o) for o in meta["frame_outputs"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ParttrackError(f"unreadable ONNX cache entry ({e}); delete the folder", meta_path) from None
    graphs = CachedGraphs(config, folder / TEMPLATE_FILE, folder / FRAME_FILE, outputs, meta["digest"], src)
    for p in (graphs.template, graphs.frame):
        if not p.is_file():
            raise ParttrackError("ONNX cache entry lacks its graph; delete the folder", p)
    return graphs
