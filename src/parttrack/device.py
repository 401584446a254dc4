"""Turning a user's ``--device`` string into a torch device, with one-line errors."""

from __future__ import annotations

import torch

from parttrack.errors import UsageError


def torch_device(device: str | torch.device) -> torch.device:
    """A torch device from a user string; UsageError for an unknown one or CUDA without a GPU."""
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise UsageError(f"unknown device {str(device)!r} (use cpu, cuda or cuda:N)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {str(device)!r} requested but CUDA is not available")
    return dev
