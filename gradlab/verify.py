"""Check autograd's `.grad` against the analytic gradient and central finite differences."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradlab.config import RunConfig, resolve_device
from gradlab.model import DTYPE, forward, make_data, mse
from gradlab.trace import Trace

FD_STEP = 1e-6


@dataclass(frozen=True)
class GradCheckRow:
    """One parameter entry: the three gradients and their distance from autograd."""

    param: str
    autograd: float
    analytic: float
    finite_diff: float
    analytic_diff: float  # |analytic − autograd|
    finite_diff_diff: float  # |finite difference − autograd|


@dataclass(frozen=True)
class GradCheck:
    """A full gradient check at one point (w, b)."""

    rows: tuple[GradCheckRow, ...]
    device: str
    w: tuple[float, ...]
    b: float

    @property
    def max_abs_diff(self) -> float:
        return max(max(r.analytic_diff, r.finite_diff_diff) for r in self.rows)

    @property
    def largest_gradient(self) -> float:
        return max(abs(r.analytic) for r in self.rows)

    @property
    def agrees(self) -> bool:
        """Within float32 rounding: differences below 1e-3 of the gradient's size (or of 1)."""
        return self.max_abs_diff <= 1e-3 * max(1.0, self.largest_gradient)


def autograd_grad(
    config: RunConfig, w: tuple[float, ...], b: float, *, dtype: torch.dtype = DTYPE, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """`.grad` of w and b after one forward/backward at (w, b)."""
    device = device or resolve_device(config.device)[0]
    X, y = make_data(config, device)
    X, y = X.to(dtype), y.to(dtype)
    wt = torch.tensor(w, dtype=dtype, device=device, requires_grad=True)
    bt = torch.tensor(b, dtype=dtype, device=device, requires_grad=True)
    mse(forward(X, wt, bt), y).backward()
    assert wt.grad is not None and bt.grad is not None
    return wt.grad.detach(), bt.grad.detach()


def analytic_grad(config: RunConfig, w: tuple[float, ...], b: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The hand-derived gradient in float64: dL/dw = 2/N·Xᵀ(ŷ−y), dL/db = 2/N·Σ(ŷ−y)."""
    X = torch.tensor(config.X, dtype=torch.float64)
    y = torch.tensor(config.y, dtype=torch.float64)
    residual = X @ torch.tensor(w, dtype=torch.float64) + b - y  # (N,)
    n = config.n_samples
    return 2.0 / n * X.T @ residual, 2.0 / n * residual.sum()


def finite_diff_grad(
    config: RunConfig, w: tuple[float, ...], b: float, h: float = FD_STEP
) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (L(θ+h) − L(θ−h)) / 2h in float64, one parameter entry at a time."""
    X = torch.tensor(config.X, dtype=torch.float64)
    y = torch.tensor(config.y, dtype=torch.float64)
    theta = torch.tensor((*w, b), dtype=torch.float64)

    def loss(t: torch.Tensor) -> float:
        return float(mse(forward(X, t[:-1], t[-1]), y))

    grads = torch.empty_like(theta)
    for i in range(len(theta)):
        step = h * max(1.0, abs(float(theta[i])))
        up, down = theta.clone(), theta.clone()
        up[i] += step
        down[i] -= step
        grads[i] = (loss(up) - loss(down)) / (2 * step)
    return grads[:-1], grads[-1]


def gradient_check(config: RunConfig, w: tuple[float, ...], b: float) -> GradCheck:
    """Autograd (float32 on the run's device), analytic and finite differences (float64) side by side."""
    device = resolve_device(config.device)[0]
    ag_w, ag_b = autograd_grad(config, w, b, device=device)
    an_w, an_b = analytic_grad(config, w, b)
    fd_w, fd_b = finite_diff_grad(config, w, b)
    ag = [*ag_w.cpu().double().tolist(), float(ag_b)]
    an = [*an_w.tolist(), float(an_b)]
    fd = [*fd_w.tolist(), float(fd_b)]
    names = [f"w[{j}]" for j in range(config.n_features)] + ["b"]
    rows = tuple(GradCheckRow(n, a, c, d, abs(c - a), abs(d - a)) for n, a, c, d in zip(names, ag, an, fd, strict=True))
    return GradCheck(rows=rows, device=str(device), w=tuple(w), b=float(b))


def check_epoch(trace: Trace, epoch: int) -> GradCheck:
    """The gradient check at the weights a trace used in `epoch` (1-based)."""
    i = trace.index(epoch)
    return gradient_check(trace.config, tuple(trace.w[i].tolist()), float(trace.b[i]))
