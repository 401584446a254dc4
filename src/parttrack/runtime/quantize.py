"""int8 static quantisation of the frame graph (``frame.onnx``), calibrated on real crops.

The frame graph ([0056]-[0061]) runs every frame; its convolutions dominate the per-frame
cost. :func:`quantize_frame_graph` writes an int8 copy (QDQ format, per-channel weights,
activation ranges calibrated on the ``(template_feat, search)`` pairs the float tracker
actually fed to its backend on real video, see :class:`RecordingBackend`). The template graph
runs once per initialisation and stays float. Whether the int8 graph is worth shipping is a
speed-accuracy question measured in BENCHMARKS.md (Speed, issue 15); the shipped default stays
float.

Example::

    rec = RecordingBackend(make_backend(graphs, "onnxruntime"), every=5)
    tracker = PartTracker(graphs, backend=rec)  # ... track real clips ...
    quantize_frame_graph(graphs.frame, "frame_int8.onnx", rec.samples)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from parttrack.atomic import atomic_path
from parttrack.errors import ParttrackError
from parttrack.runtime.backend import Backend
from parttrack.runtime.names import FRAME_OUTPUTS


class RecordingBackend:
    """A :class:`~parttrack.runtime.backend.Backend` that passes calls to ``inner`` and keeps
    every ``every``-th frame call's inputs (one batch item each) as calibration samples."""

    def __init__(self, inner: Backend, every: int = 1, limit: int = 512) -> None:
        self.inner = inner
        self.name = inner.name
        self.every = max(1, int(every))
        self.limit = limit
        self.samples: list[tuple[np.ndarray, np.ndarray]] = []
        self._calls = 0

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        """As the inner backend."""
        return self.inner.encode_template(template)

    def run(
        self, template_feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...] = FRAME_OUTPUTS
    ) -> dict[str, np.ndarray]:
        """As the inner backend; records ``(template_feat[:1], search[:1])`` copies."""
        if self._calls % self.every == 0 and len(self.samples) < self.limit:
            self.samples.append((np.array(template_feat[:1]), np.array(search[:1])))
        self._calls += 1
        return self.inner.run(template_feat, search, outputs)


class _Reader:
    """onnxruntime's CalibrationDataReader over recorded samples."""

    def __init__(self, samples: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        self._it: Iterator[tuple[np.ndarray, np.ndarray]] = iter(samples)

    def get_next(self) -> dict[str, np.ndarray] | None:
        item = next(self._it, None)
        if item is None:
            return None
        feat, search = item
        return {"template_feat": feat.astype(np.float32), "search": search.astype(np.float32)}

    def rewind(self) -> None:  # pragma: no cover - not used by the MinMax calibrator
        raise NotImplementedError


def quantize_frame_graph(
    frame_onnx: str | Path,
    out: str | Path,
    samples: Sequence[tuple[np.ndarray, np.ndarray]],
    per_channel: bool = True,
) -> Path:
    """Write an int8 (QDQ) copy of ``frame_onnx`` to ``out``, activation ranges calibrated
    (MinMax) on ``samples`` ``[(template_feat (1, C, t, t), search (1, 3, S, S))]``.

    Raises:
        ParttrackError: no samples, or the quantiser failed (one line naming ``frame_onnx``).
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not samples:
        raise ParttrackError("no calibration samples: track some frames first", frame_onnx)

    class Reader(_Reader, CalibrationDataReader):
        pass

    target = Path(out)
    try:
        with atomic_path(target.with_suffix(".pre.onnx")) as pre:
            quant_pre_process(str(frame_onnx), str(pre), skip_symbolic_shape=True)
        with atomic_path(target) as tmp:
            quantize_static(
                str(target.with_suffix(".pre.onnx")), str(tmp), Reader(samples),
                quant_format=QuantFormat.QDQ, per_channel=per_channel,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                op_types_to_quantize=["Conv", "MatMul", "Add", "Mul", "Relu", "Concat"],
            )
    except Exception as e:  # noqa: BLE001 - the quantiser raises many unrelated types
        raise ParttrackError(f"int8 quantisation failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}",
                             frame_onnx) from e
    finally:
        target.with_suffix(".pre.onnx").unlink(missing_ok=True)
    return target
