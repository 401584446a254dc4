"""ONNX export (parttrack.runtime.export, ``parttrack export``): parity with torch on random weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from parttrack.cli import main
from parttrack.errors import CheckpointError, ParttrackError
from parttrack.models import (
    ModelConfig,
    Weights,
    load_weights,
    save_weights,
)
from parttrack.runtime.export import export_cached, export_onnx, weights_digest
from parttrack.runtime.graphs import (
    FRAME_INPUTS,
    FRAME_OUTPUTS,
    TEMPLATE_OUTPUTS,
    FrameGraph,
    TemplateGraph,
)
from tests.weights_helpers import random_weights


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Weights, Path]:
    """Random weights saved to a file and exported with the CLI (the one export of this file)
    into the session's shared ONNX cache folder for these weights."""
    w = random_weights()
    wpath = tmp_path_factory.mktemp("weights") / "w.pt"
    save_weights(wpath, w.config, w.detector, w.tracker)
    loaded = load_weights(wpath)
    out = tmp_path_factory.getbasetemp() / "parttrack-onnx-cache" / weights_digest(loaded)
    assert run_cli(["export", "--weights", str(wpath), "--out", str(out)]) == 0
    return loaded, out


def session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def test_exported_graphs_have_named_io_and_dynamic_batch(exported: tuple[Weights, Path]) -> None:
    _, out = exported
    frame = onnx.load(str(out / "frame.onnx"))
    assert [i.name for i in frame.graph.input] == list(FRAME_INPUTS)
    assert [o.name for o in frame.graph.output] == list(FRAME_OUTPUTS)
    for i in frame.graph.input:
        dim0 = i.type.tensor_type.shape.dim[0]
        assert dim0.dim_param and not dim0.dim_value  # symbolic batch
    template = onnx.load(str(out / "template.onnx"))
    assert [o.name for o in template.graph.output] == list(TEMPLATE_OUTPUTS)
    assert not list(out.glob("*.data"))  # weights inline, no external data files


@pytest.mark.parametrize("batch", [1, 3])
def test_onnx_matches_torch(exported: tuple[Weights, Path], batch: int) -> None:
    w, out = exported
    cfg = w.config
    rng = np.random.default_rng(batch)
    template = rng.random((batch, 3, cfg.template_size, cfg.template_size), dtype=np.float32)
    search = rng.random((batch, 3, cfg.search_size, cfg.search_size), dtype=np.float32)
    with torch.no_grad():
        feat_t = TemplateGraph(w.tracker)(torch.from_numpy(template))["template_feat"]
        ref = FrameGraph(w.detector, w.tracker)(feat_t, torch.from_numpy(search))
    feat = session(out / "template.onnx").run(None, {"template": template})[0]
    np.testing.assert_allclose(feat, feat_t.numpy(), atol=1e-4, rtol=0)
    got = dict(
        zip(FRAME_OUTPUTS, session(out / "frame.onnx").run(None, {"template_feat": feat, "search": search}), strict=True)
    )
    for name in FRAME_OUTPUTS:
        assert got[name].shape == tuple(ref[name].shape), name
        if name in ("part_peak", "subject_peak"):
            np.testing.assert_array_equal(got[name], ref[name].numpy(), err_msg=name)  # same peaks
        else:
            np.testing.assert_allclose(got[name], ref[name].numpy(), atol=1e-4, rtol=0, err_msg=name)


def test_frame_graph_post_processing_is_the_patent_decode() -> None:
    """Peak = argmax of likelihood x region ([0059]-[0060]); size/offset read there ([0061])."""
    w = random_weights(seed=3)
    cfg = w.config
    g = torch.Generator().manual_seed(0)
    search = torch.rand(2, 3, cfg.search_size, cfg.search_size, generator=g)
    template = torch.rand(2, 3, cfg.template_size, cfg.template_size, generator=g)
    with torch.no_grad():
        out = FrameGraph(w.detector, w.tracker)(w.tracker.encode_template(template), search)
    o = {k: v.numpy() for k, v in out.items()}
    for b in range(2):
        prod = o["part_heatmap"][b, 0] * o["part_region"][b, 0]
        np.testing.assert_array_equal(o["product"][b, 0], prod)
        y, x = np.unravel_index(np.argmax(prod), prod.shape)
        assert tuple(o["part_peak"][b, 0]) == (x, y)
        assert o["part_score"][b, 0] == prod[y, x]
        np.testing.assert_array_equal(o["part_peak_size"][b, 0], o["part_size"][b, :, y, x])
        np.testing.assert_array_equal(o["part_peak_offset"][b, 0], o["part_offset"][b, :, y, x])
        heat = o["subject_heatmap"][b, 0]
        y, x = np.unravel_index(np.argmax(heat), heat.shape)
        assert tuple(o["subject_peak"][b, 0]) == (x, y)
        np.testing.assert_array_equal(o["subject_peak_size"][b, 0], o["subject_size"][b, :, y, x])
        np.testing.assert_array_equal(o["subject_peak_offset"][b, 0], o["subject_offset"][b, :, y, x])


def test_weights_digest_changes_with_any_weight() -> None:
    a, b = random_weights(seed=1), random_weights(seed=1)
    assert weights_digest(a) == weights_digest(b)
    with torch.no_grad():
        b.tracker.heads["part_region"][-1].bias.add_(1e-3)
    assert weights_digest(a) != weights_digest(b)
    assert weights_digest(random_weights(seed=1, cfg=ModelConfig(width=16))) != weights_digest(a)


def test_export_cached_reuses_the_export(exported: tuple[Weights, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    w, out = exported

    def no_export(*a: object, **k: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr("parttrack.runtime.export.export_onnx", no_export)
    paths = export_cached(w, out.parent)
    assert paths.frame == out / "frame.onnx" and paths.template == out / "template.onnx"


def test_export_needs_a_tracker(tmp_path: Path) -> None:
    w = random_weights()
    with pytest.raises(CheckpointError, match="no tracker"):
        export_onnx(Weights(w.config, w.detector, None), tmp_path)


def test_export_onto_a_file_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "not_a_dir"
    f.write_text("x")
    with pytest.raises(ParttrackError, match="not a folder"):
        export_onnx(random_weights(), f)


def test_cli_export_missing_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["export", "--weights", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "nope.pt" in err and "not found" in err
    assert not (tmp_path / "o").exists()
