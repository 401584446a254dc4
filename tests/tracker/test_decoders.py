"""Part decoders on planted maps: each picks what it should ([0059]-[0061])."""

import numpy as np
import pytest

from parttrack.maps import gaussian_map
from parttrack.tracker.decoders import (
    METHODS,
    PART_PRIORS,
    Decoded,
    box_mask,
    decode_bottom_up,
    decode_box_prior,
    decode_in_image,
    decode_part,
    decode_parts,
    decode_product,
    decode_region_only,
    decode_top_down,
    prior_point,
)

N = 32


def blob(x: float, y: float, peak: float, sigma: float = 1.0) -> np.ndarray:
    return gaussian_map((x, y), (N, N), sigma, "peak") * np.float32(peak)


def two_heads() -> np.ndarray:
    """Likelihood with two heads: a strong one at (8, 10) and a weaker one at (20, 10)."""
    return np.maximum(blob(8, 10, 0.95), blob(20, 10, 0.7))


def aux(peak: tuple[int, int], off=(0.25, -0.5), size=(3.0, 4.0)) -> tuple[np.ndarray, np.ndarray]:
    s = np.zeros((2, N, N), np.float32)
    o = np.zeros((2, N, N), np.float32)
    x, y = peak
    s[:, y, x] = size
    o[:, y, x] = off
    return s, o


def test_product_picks_the_head_the_region_covers():
    lik = two_heads()
    region = blob(20, 10, 1.0, sigma=3.0)  # the tracked subject's part region covers the weak head
    size, offset = aux((20, 10))
    d = decode_product(lik, region, size, offset)
    assert d.peak == (20, 10)
    assert d.point == (20.25, 9.5)
    assert d.box == (20.25 - 1.5, 9.5 - 2.0, 3.0, 4.0)
    assert d.score == pytest.approx(0.7)
    # the likelihood alone (no region) would take the stronger, wrong head
    assert decode_product(lik, np.ones_like(lik)).peak == (8, 10)


def test_product_without_size_or_offset_is_the_bare_peak():
    lik = blob(5, 7, 0.8)
    d = decode_product(lik, np.full_like(lik, 0.5))
    assert d == Decoded((5.0, 7.0), pytest.approx(0.4), None, (5, 7))


def test_non_positive_size_gives_no_box():
    lik = blob(5, 7, 0.8)
    size, offset = aux((5, 7), size=(-1.0, 2.0))
    assert decode_product(lik, np.ones_like(lik), size, offset).box is None


def test_region_only_is_the_region_argmax():
    region = blob(3, 25, 0.6)
    d = decode_region_only(region)
    assert d.peak == (3, 25) and d.score == pytest.approx(0.6)


def test_top_down_picks_the_stronger_head_inside_the_box():
    lik = np.maximum(two_heads(), blob(14, 12, 0.8))  # third head at (14, 12), 0.8
    box = (12.0, 8.0, 10.0, 20.0)  # covers (14, 12) and (20, 10), not (8, 10)
    d = decode_top_down(lik, box)
    assert d.peak == (14, 12) and d.score == pytest.approx(0.8)
    # a box off the map falls back to the element nearest its centre (clipped)
    assert decode_top_down(lik, (40.0, 40.0, 4.0, 4.0)).peak == (31, 31)


def test_bottom_up_takes_the_peak_nearest_the_expected_part():
    lik = np.maximum(blob(8, 4, 0.95), blob(16, 5, 0.5))
    box = (10.0, 2.0, 12.0, 24.0)  # expected head ~ (10 + .49 * 12, 2 + .12 * 24) = (15.9, 4.9)
    d = decode_bottom_up(lik, box, "head")
    assert d.peak == (16, 5) and d.score == pytest.approx(0.5)
    # no peak above the threshold: the expected point, score 0
    d0 = decode_bottom_up(np.zeros((N, N), np.float32), box, "head")
    assert d0.score == 0.0 and d0.point == pytest.approx(prior_point(box, "head")) and d0.box is None


def test_box_prior_is_the_relative_position():
    box = (4.0, 6.0, 10.0, 20.0)
    rx, ry = PART_PRIORS["eye"]
    d = decode_box_prior(box, "eye", (N, N))
    assert d.point == (4.0 + rx * 10.0, 6.0 + ry * 20.0) and d.score == 1.0 and d.box is None
    with pytest.raises(ValueError, match="part must be one of"):
        decode_box_prior(box, "knee", (N, N))


@pytest.mark.parametrize(
    "box, count",
    [((0.0, 0.0, 2.0, 1.0), 6), ((-5.0, -5.0, 1.0, 1.0), 0), ((30.5, 30.5, 10.0, 10.0), 1)],
)
def test_box_mask_counts_elements_inside(box, count):
    assert int(box_mask(box, (N, N)).sum()) == count


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match="region must have shape"):
        decode_product(np.zeros((N, N)), np.zeros((N, N + 1)))
    with pytest.raises(ValueError, match="size must have shape"):
        decode_product(np.zeros((N, N)), np.zeros((N, N)), size=np.zeros((N, N)))


def test_decode_part_dispatches_on_channel_and_method():
    K = 2
    maps = {
        "part_heatmap": np.stack([two_heads(), blob(2, 2, 0.9)]),
        "part_region": np.stack([blob(20, 10, 1.0, 3.0), blob(2, 2, 1.0)]),
        "part_size": np.zeros((2 * K, N, N), np.float32),
        "part_offset": np.zeros((2 * K, N, N), np.float32),
    }
    box = (4.0, 6.0, 8.0, 20.0)
    assert decode_part("product", maps, 0, "head", box).peak == (20, 10)
    assert decode_part("product", maps, 1, "eye", box).peak == (2, 2)
    assert decode_part("region-only", maps, 0, "head", box).peak == (20, 10)
    assert decode_part("top-down", maps, 0, "head", box).peak == (8, 10)
    assert decode_part("box-prior", maps, 0, "head", box).point == prior_point(box, "head")
    assert set(METHODS) == {"product", "region-only", "top-down", "bottom-up", "box-prior"}
    with pytest.raises(ValueError, match="method must be one of"):
        decode_part("nope", maps, 0, "head", box)


def test_decode_parts_drops_weak_parts_with_the_reason():
    from parttrack.crop import CropWindow
    from parttrack.tracker.result import TrackMaps

    z = np.zeros((4, N, N), np.float32)
    window = CropWindow(300.0, 200.0, 256.0, 128)  # 2 image px per crop px
    maps = TrackMaps(
        search=np.zeros((128, 128, 3), np.uint8), window=window, parts=("head", "eye"), stride=4,
        part_heatmap=np.stack([blob(20, 10, 0.9), blob(2, 2, 0.05)]), part_size=z, part_offset=z,
        subject_heatmap=np.zeros((1, N, N), np.float32), subject_size=z[:2], subject_offset=z[:2],
        part_region=np.stack([blob(20, 10, 1.0, 3.0), blob(2, 2, 1.0)]), product=z[:2],
    )
    box = (250.0, 150.0, 100.0, 200.0)
    parts, reasons = decode_parts("product", maps, ("head", "eye"), ("eye", "head"), box, 4, 0.1)
    assert parts["eye"] is None and reasons == {"eye": "score 0.05 < 0.10"}
    head = decode_in_image("product", maps, 0, "head", box, window, 4)
    assert parts["head"].point == head.point and parts["head"].score == pytest.approx(0.9, abs=1e-6)
