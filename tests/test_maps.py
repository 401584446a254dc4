"""Exact tests of the patent's map math (formula (1), formula (2), [0040]-[0044], [0060]-[0061])."""

import math

import numpy as np
import pytest
import torch

from parttrack import maps


def test_worked_example_mean_vector():
    # [0040]-[0044]: 720x480 image, 24x16 map, centre (325, 40) -> ratio 30 -> mean (11, 1)
    ratio = maps.size_ratio((720, 480), (24, 16))
    assert ratio == (30.0, 30.0)
    assert maps.gaussian_mean((325, 40), ratio) == (11, 1)


@pytest.mark.parametrize(
    "v, expected", [(10.83, 11), (1.33, 1), (0.5, 1), (1.5, 2), (2.4999, 2), (-0.5, 0), (-0.51, -1)]
)
def test_round_half_up(v, expected):
    assert maps.round_half_up(v) == expected


def test_worked_example_correct_answer_map_peak_and_values():
    m = maps.correct_answer_map([(325, 40)], (720, 480), (24, 16))
    assert m.shape == (1, 16, 24)
    y, x = np.unravel_index(np.argmax(m[0]), m[0].shape)
    assert (x, y) == (11, 1)
    # formula (1) density at the mean and at distance 1 and sqrt(2)
    assert m[0, 1, 11] == pytest.approx(1 / (2 * math.pi), rel=1e-6)
    assert m[0, 1, 12] == pytest.approx(math.exp(-0.5) / (2 * math.pi), rel=1e-6)
    assert m[0, 2, 12] == pytest.approx(math.exp(-1.0) / (2 * math.pi), rel=1e-6)
    assert m[0, 1, 14] == pytest.approx(math.exp(-4.5) / (2 * math.pi), rel=1e-6)


def test_gaussian_density_integrates_to_one_on_large_grid():
    g = maps.gaussian_map((50, 50), (101, 101), sigma=2.0)
    assert g.sum() == pytest.approx(1.0, abs=1e-6)
    assert g.max() == pytest.approx(1 / (2 * math.pi * 4.0), rel=1e-6)


def test_peak_normalised_variant():
    g = maps.gaussian_map((3, 2), (8, 6), sigma=1.5, normalize="peak")
    assert g[2, 3] == pytest.approx(1.0)
    assert g[2, 4] == pytest.approx(math.exp(-1 / (2 * 1.5**2)), rel=1e-6)


def test_several_parts_and_absent_part():
    m = maps.correct_answer_map([(325, 40), None, (15, 15)], (720, 480), (24, 16), normalize="peak")
    assert m.shape == (3, 16, 24)
    assert m[1].max() == 0.0
    assert m[2, 1, 1] == pytest.approx(1.0)  # 15/30 = 0.5 rounds up to 1


@pytest.mark.parametrize("bad", [dict(sigma=0.0), dict(normalize="max")])
def test_gaussian_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        maps.gaussian_map((0, 0), (4, 4), **bad)


def test_size_ratio_rejects_zero():
    with pytest.raises(ValueError, match="positive"):
        maps.size_ratio((0, 480), (24, 16))


def test_element_product_values_and_shape_check():
    a = torch.tensor([[[[0.5, 1.0], [0.2, 0.0]]]])
    b = torch.tensor([[[[0.5, 0.1], [1.0, 0.7]]]])
    assert torch.equal(maps.element_product(a, b), torch.tensor([[[[0.25, 0.1], [0.2, 0.0]]]]))
    with pytest.raises(ValueError, match="same spatial size"):
        maps.element_product(a, torch.zeros(1, 1, 3, 2))


def test_bce_formula_2_exact():
    m_inf = torch.tensor([[[[0.9, 0.2]]]])
    m_gt = torch.tensor([[[[1.0, 0.5]]]])
    expected = (-math.log(0.9) + (-0.5 * math.log(0.2) - 0.5 * math.log(0.8))) / 2
    assert maps.bce(m_inf, m_gt).item() == pytest.approx(expected, rel=1e-6)


def test_bce_is_finite_at_zero_and_one():
    m_inf = torch.tensor([0.0, 1.0, 0.0, 1.0]).reshape(1, 1, 2, 2)
    m_gt = torch.tensor([1.0, 0.0, 0.0, 1.0]).reshape(1, 1, 2, 2)
    v = maps.bce(m_inf, m_gt)
    assert torch.isfinite(v)
    assert v.item() == pytest.approx(-math.log(1e-6) / 2, rel=1e-3)


def test_bce_mask_excludes_unannotated_maps():
    m_inf = torch.full((1, 2, 2, 2), 0.5)
    m_gt = torch.zeros(1, 2, 2, 2)
    m_inf[0, 1] = 0.9  # a masked part must not change the loss
    mask = torch.tensor([[1.0, 0.0]])
    assert maps.bce(m_inf, m_gt, mask).item() == pytest.approx(math.log(2), rel=1e-6)


def test_find_peaks_gather_and_numpy_twin():
    prod = torch.zeros(2, 1, 16, 24)
    prod[0, 0, 1, 11] = 0.8
    prod[1, 0, 15, 0] = 0.3
    size = torch.zeros(2, 2, 16, 24)
    size[0, :, 1, 11] = torch.tensor([0.5, 0.75])
    xs, ys, scores = maps.find_peaks(prod)
    assert (xs.tolist(), ys.tolist()) == ([[11], [0]], [[1], [15]])
    assert scores[:, 0].tolist() == pytest.approx([0.8, 0.3])
    assert maps.gather_at(size, xs, ys)[0, 0].tolist() == [0.5, 0.75]
    # the numpy twin agrees, ties included (first in row-major order)
    rng = np.random.default_rng(0)
    for m in [rng.random((16, 24), dtype=np.float32) for _ in range(5)] + [np.zeros((4, 4), np.float32)]:
        x, y, _ = maps.find_peaks(torch.from_numpy(m)[None, None])
        assert maps.peak(m) == (int(x), int(y))
    assert maps.peak(np.zeros((4, 4), np.float32)) == (0, 0)
    with pytest.raises(ValueError, match=r"\(h, w\)"):
        maps.peak(np.zeros((1, 4, 4)))


def test_element_product_numpy_and_torch_agree():
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 8, 8), dtype=np.float32), rng.random((2, 8, 8), dtype=np.float32)
    got = maps.element_product(a, b)
    np.testing.assert_array_equal(got, maps.element_product(torch.from_numpy(a), torch.from_numpy(b)).numpy())
    assert got[1, 2, 3] == a[1, 2, 3] * b[1, 2, 3]
    with pytest.raises(ValueError, match="same spatial size"):
        maps.element_product(a, b[:, :4])


def test_map_to_image_worked_example_and_twins():
    # crop of 128 px centred on image (160, 120) covering 200 image px: scale 0.64 crop px per
    # image px; element (20, 10) at stride 4 is crop pixel (80, 40) -> image (185, 82.5)
    pt = maps.map_to_image(np.array([20.0, 10.0]), 4, np.array([160.0, 120.0]), 128 / 200.0, 128)
    assert pt.tolist() == pytest.approx([185.0, 82.5])
    back = maps.image_to_map(pt, 4, np.array([160.0, 120.0]), 128 / 200.0, 128)
    assert back.tolist() == pytest.approx([20.0, 10.0])
    # the torch twin (same function) gives the same numbers, batched
    t = maps.map_to_image(torch.tensor([[20.0, 10.0]], dtype=torch.float64), 4,
                          torch.tensor([[160.0, 120.0]], dtype=torch.float64), 128 / 200.0, 128)
    assert t[0].tolist() == pt.tolist()


def test_gather_at_checks_channel_count():
    with pytest.raises(ValueError, match="channels"):
        maps.gather_at(torch.zeros(1, 3, 4, 4), torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 1, dtype=torch.long))


def test_local_peaks_finds_two_people():
    hm = torch.zeros(1, 10, 10)
    hm[0, 2, 3] = 0.9
    hm[0, 7, 8] = 0.6
    hm[0, 7, 7] = 0.5  # not a local max
    assert maps.local_peaks(hm, k=5, threshold=0.1) == [[(3, 2, pytest.approx(0.9)), (8, 7, pytest.approx(0.6))]]
