"""Shared fixtures. Tests run on the CPU with one torch thread (CI has 2 cores, pytest -n 2)."""

from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (real annotated video); skips with a reason when absent."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (see README: shared data)")
    return SHARED_DATA
