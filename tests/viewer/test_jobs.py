"""The start-from-a-tap seam, the FIG. 3 map access and strip, and the serve command's checks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from parttrack.errors import UsageError
from parttrack.viewer.cli import serve_cmd
from parttrack.viewer.jobs import start_subject
from parttrack.viewer.render import TILE, map_field, map_strip
from tests.viewer.fakes import FakeTracker, fake_maps

FRAME = np.zeros((300, 400, 3), np.uint8)


class PointTracker(FakeTracker):
    """A tracker that takes a tap itself (what PartTracker.initialize(point=...) does)."""

    def initialize(self, frame, box=None, frame_index=0, keep_maps=None, point=None):  # noqa: ANN001, ANN201
        self.point = point
        return super().initialize(frame, box or (point[0] - 5, point[1], 10, 30), frame_index, keep_maps)


def test_start_subject_passes_a_box_on() -> None:
    r = start_subject(FakeTracker(), FRAME, box=(10, 20, 30, 40), point=(1, 1), frame_index=7)
    assert r.box == (10.0, 20.0, 30.0, 40.0) and r.frame == 7


def test_start_subject_hands_a_tap_to_a_tracker_that_takes_points() -> None:
    tracker = PointTracker()
    r = start_subject(tracker, FRAME, point=(100.0, 50.0))
    assert tracker.point == (100.0, 50.0) and r.box == (95.0, 50.0, 10.0, 30.0)


def test_start_subject_needs_a_subject_inside_the_frame() -> None:
    with pytest.raises(UsageError, match="give a box or a point"):
        start_subject(FakeTracker(), FRAME)
    with pytest.raises(UsageError, match="outside the 400x300 frame"):
        start_subject(FakeTracker(), FRAME, point=(400.0, 10.0))


def test_map_field_reads_dicts_and_attribute_records() -> None:
    heat = np.ones((1, 4, 4))
    as_dict = {"part_heatmap": heat, "parts": ("head",)}
    as_obj = SimpleNamespace(likelihood=heat, part_names=("head",))
    for maps in (as_dict, as_obj):
        assert map_field(maps, "likelihood") is heat and map_field(maps, "parts") == ("head",)
    with pytest.raises(KeyError, match="no 'product'"):
        map_field(as_obj, "product")


def test_map_strip_draws_four_titled_tiles() -> None:
    strip = map_strip(fake_maps(), "head")
    assert strip.shape == (TILE + 22, 4 * TILE + 6, 3) and strip.dtype == np.uint8
    assert (strip[:, TILE] == 255).all()  # the white gap after the first tile
    with pytest.raises(KeyError, match="nose"):
        map_strip(fake_maps(), "nose")


@pytest.mark.parametrize(("kw", "words"), [({"port": 70000}, "--port"), ({"max_upload_mb": 0.0}, "--max-upload-mb")])
def test_serve_rejects_bad_options(kw: dict, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        serve_cmd(videos=".", **kw)


def test_serve_cmd_builds_a_typer_command_with_its_options() -> None:
    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command("serve")(serve_cmd)
    app.command("other")(lambda: None)  # two commands: "serve" is a subcommand, as in parttrack
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    for option in ("--videos", "--host", "--port", "--work", "--max-upload-mb"):
        assert option in r.output
