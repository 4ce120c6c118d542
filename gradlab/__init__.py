"""GradLab: PyTorch's `.grad` on a tiny linear model, every number from real autograd."""

from __future__ import annotations

from gradlab.config import CUDA_UNAVAILABLE, RunConfig, resolve_device
from gradlab.stages import StageRun, run_stages
from gradlab.trace import Divergence, Trace
from gradlab.train import train
from gradlab.verify import GradCheck, check_epoch, gradient_check

__all__ = [
    "CUDA_UNAVAILABLE",
    "Divergence",
    "GradCheck",
    "RunConfig",
    "StageRun",
    "Trace",
    "check_epoch",
    "gradient_check",
    "resolve_device",
    "run_stages",
    "train",
]
