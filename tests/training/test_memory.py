"""The S110 temporal memory: region maps re-sampled into the current crop, averaged."""

import pytest
import torch

from parttrack.training.memory import RegionMemory, resample_maps


def test_resample_identity_and_one_element_shift():
    torch.manual_seed(1)
    m = torch.rand(1, 2, 32, 32)
    win = (500.0, 300.0, 256.0)
    same, valid = resample_maps(m, [win], win, 128, 4)
    assert torch.allclose(same, m, atol=1e-5)
    assert valid.min().item() == 1.0
    # current window moved right by one map element (4 crop px = 8 image px at side 256)
    moved, valid = resample_maps(m, [win], (508.0, 300.0, 256.0), 128, 4)
    assert torch.allclose(moved[..., :-1], m[..., 1:], atol=1e-5)
    assert valid[0, 0, :, :-1].min().item() == 1.0 and valid[0, 0, :, -1].max().item() == 0.0
    # a window twice as large about the same centre: element 16 + d sees old element 16 + 2d
    big, valid = resample_maps(m, [win], (500.0, 300.0, 512.0), 128, 4)
    assert torch.allclose(big[0, :, 16, 16 + 3], m[0, :, 16, 16 + 6], atol=1e-5)
    assert valid[0, 0, 16, 8].item() == 1.0 and valid[0, 0, 16, 7].item() == 0.0


def test_region_memory_bounded_and_averages_n_maps():
    mem = RegionMemory(n=3, search_size=128, stride=4)
    win = (100.0, 100.0, 200.0)
    for v in range(7):
        mem.push("a", torch.full((1, 32, 32), float(v)), win)
        assert mem.count("a") == min(v + 1, 3)
    avg, valid = mem.target("a", win)
    assert torch.allclose(avg, torch.full((1, 32, 32), (4 + 5 + 6) / 3))
    assert valid.min().item() == 1.0
    assert mem.target("b", win) is None
    mem.reset("a")
    assert mem.count("a") == 0
    with pytest.raises(ValueError):
        RegionMemory(n=1, search_size=128, stride=4)
