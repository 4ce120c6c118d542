"""The network's loss curvature at a point: the largest eigenvalue of its Hessian over all 13 parameter entries.

For the linear model the Hessian of the MSE loss is the same everywhere, so 2/λmax is one stable limit for the
whole run (`gradlab.settings.stability`). For the network it depends on the weights: 2/λmax computed at one
point describes steps near that point only. This module computes it, in float64 autograd, at the float32 values
a run used, so a lesson can show the number at the start and at the end of a run side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import functional_call

from gradlab.runs.net import PARAM_NAMES, PARAM_SHAPES, make_net, mse, net_data
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class Curvature:
    """λmax of the network's loss Hessian at one point, and 2/λmax (inf when λmax ≤ 0)."""

    epoch: int | None  # the epoch whose parameters these are (None: the start, before any run)
    lam_max: float
    limit: float  # 2/λmax: a learning rate

    @property
    def finite(self) -> bool:
        return math.isfinite(self.lam_max)


def curvature(config: RunConfig, point: Mapping[str, np.ndarray] | None = None, epoch: int | None = None) -> Curvature:
    """λmax of ∇²L over all parameters at `point` (name → values; default: the start), float64 on the CPU.

    The point's values are rounded to float32 first (the values a float32 run holds), then computed in float64.
    λmax ≥ 2 always: the Hessian's out.bias diagonal entry is 2 (∂²L/∂b² of a mean of (ŷ − y)² with ŷ = … + b).
    """
    cpu = torch.device("cpu")
    with torch.inference_mode(False), torch.enable_grad():
        net = make_net(cpu, torch.float64)
        X, y = net_data(config, cpu)
        X, y = X.double(), y.double()
        start = {n: p.detach() for n, p in net.named_parameters()}
        values = (
            start if point is None else {n: torch.as_tensor(np.asarray(point[n]), dtype=torch.float32) for n in start}
        )
        flat = torch.cat([values[n].to(torch.float32).double().reshape(-1) for n in PARAM_NAMES])
        sizes = [int(np.prod(PARAM_SHAPES[n])) for n in PARAM_NAMES]

        def loss_of(theta: torch.Tensor) -> torch.Tensor:
            parts = torch.split(theta, sizes)
            params = {n: part.view(PARAM_SHAPES[n]) for n, part in zip(PARAM_NAMES, parts, strict=True)}
            return mse(functional_call(net, params, (X,)), y)

        hess = torch.autograd.functional.hessian(loss_of, flat)
    if not bool(torch.isfinite(hess).all()):
        return Curvature(epoch, math.nan, math.nan)
    lam = float(torch.linalg.eigvalsh((hess + hess.T) / 2)[-1])
    return Curvature(epoch, lam, 2.0 / lam if lam > 0 else math.inf)


def curvature_at(trace: Trace, epoch: int) -> Curvature:
    """λmax at the parameters a network trace used in `epoch` (1-based); a ValueError for a linear trace."""
    if trace.config.model != "net":
        raise ValueError("trace: a run of the linear model, whose curvature is constant (gradlab.settings.stability)")
    i = trace.index(epoch)
    return curvature(trace.config, {n: v[i] for n, v in trace.params.items()}, epoch)
