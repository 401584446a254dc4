"""Fixtures of the runtime tests: random weights and the session's shared ONNX cache."""

from __future__ import annotations

import pytest

from parttrack.models import Weights
from tests.weights_helpers import random_weights


@pytest.fixture(scope="module")
def weights() -> Weights:
    return random_weights()


@pytest.fixture
def onnx_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """The session's shared ONNX cache (other test files export the same weights into it)."""
    path = tmp_path_factory.getbasetemp() / "parttrack-onnx-cache"
    monkeypatch.setenv("PARTTRACK_CACHE", str(path))
    return path
