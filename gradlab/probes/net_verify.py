"""Check the network's `.grad` for every parameter: float32 autograd (the run's), float64 autograd, central finite
differences in float64, and `torch.autograd.gradcheck` in float64, with rounding bounds.

Float64 autograd and the finite differences run on the float32 values the run sees (X, y and the parameters
rounded to float32). The bounds come from first-order rounding-error analysis of each operation (for a sum of k
terms: γ_k·Σ|terms|, γ_k = k·u / (1 − k·u)), carried forward through hidden → tanh → out → MSE and back, with
tanh's own error taken as 4 units in the last place; SAFETY covers second-order terms. The finite difference's
bound adds its truncation error s²/6·|∂³L/∂θ³|, the third derivative taken by float64 autograd.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import functional_call

from gradlab.runs.net import Net, make_net, mse, net_data
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig, resolve_device

FD_STEP = 1e-6
U32, U64 = 2.0**-24, 2.0**-53
SAFETY = 2.0
TINY32 = 2.0**-126
GRADCHECK = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}  # torch.autograd.gradcheck's defaults, passed explicitly


@dataclass(frozen=True)
class NetGradRow:
    """One entry of one parameter: the gradients side by side, their differences and what rounding explains."""

    param: str  # "hidden.weight", …
    index: tuple[int, ...]  # the entry within the parameter
    autograd32: float  # the run's float32 .grad
    autograd64: float  # float64 autograd at the same (float32) point
    finite_diff: float  # float64 central difference
    autograd_diff: float  # |autograd64 − autograd32|: float32 rounding
    fd_diff: float  # |finite_diff − autograd64|: the difference quotient's error
    rounding_bound: float  # the largest |autograd64 − autograd32| float32 rounding can produce here
    fd_bound: float  # the largest |finite_diff − autograd64| truncation and float64 rounding can produce here


@dataclass(frozen=True)
class NetGradCheck:
    """The check at one point, every parameter entry, and gradcheck per parameter and for all at once."""

    rows: tuple[NetGradRow, ...]
    device: str
    gradcheck: dict[str, bool]  # torch.autograd.gradcheck in float64, one parameter at a time
    gradcheck_all: bool  # …all four parameters together
    gradcheck_settings: dict[str, float]

    def by_param(self) -> dict[str, tuple[NetGradRow, ...]]:
        out: dict[str, list[NetGradRow]] = {}
        for r in self.rows:
            out.setdefault(r.param, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    def max_diffs(self) -> dict[str, tuple[float, float]]:
        """Per parameter: (max |autograd64 − autograd32|, max |finite diff − autograd64|)."""
        return {k: (max(r.autograd_diff for r in v), max(r.fd_diff for r in v)) for k, v in self.by_param().items()}

    @property
    def autograd_agrees(self) -> bool:
        return all(r.autograd_diff <= r.rounding_bound for r in self.rows)

    @property
    def finite_diff_agrees(self) -> bool:
        return all(r.fd_diff <= r.fd_bound for r in self.rows)

    @property
    def agrees(self) -> bool:
        return self.autograd_agrees and self.finite_diff_agrees and self.gradcheck_all and all(self.gradcheck.values())


Params = Mapping[str, torch.Tensor]


def _gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u)


def _loss(net: Net, params: Params, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return mse(functional_call(net, dict(params), (X,)), y)


def grad_error_bounds(
    params: Params, X: torch.Tensor, y: torch.Tensor, u: float
) -> tuple[dict[str, torch.Tensor], float]:
    """First-order bounds, in float64, on the rounding error of each `.grad` entry and of the loss, in a precision
    with unit roundoff u. Inputs are float64 tensors holding the values the computation starts from."""
    W1, b1, W2, b2 = (params[k] for k in ("hidden.weight", "hidden.bias", "out.weight", "out.bias"))
    n, f = X.shape
    h_in = W1.shape[0]
    z = X @ W1.T + b1  # (N, 3)
    h = torch.tanh(z)
    y_hat = h @ W2.T + b2  # (N, 1)
    r = y_hat - y
    # forward: the error of each computed quantity
    dz = _gamma(f + 1, u) * (X.abs() @ W1.abs().T + b1.abs())
    dh = (1 - h * h) * dz + 4 * u * h.abs()
    dy = _gamma(h_in + 1, u) * (h.abs() @ W2.abs().T + b2.abs()) + dh @ W2.abs().T
    dr = dy + u * (y_hat.abs() + y.abs())
    dloss = float((2 * r.abs() * dr + dr * dr).mean() + _gamma(n + 2, u) * (r * r).mean())
    # backward: g_ŷ = 2/N·r, then out's grads, g_h = g_ŷ·W2, g_z = g_h·(1 − h²), then hidden's grads
    g = 2.0 / n * r
    dg = 2.0 / n * dr + _gamma(3, u) * g.abs()
    gh = g @ W2  # (N, 3)
    dgh = dg @ W2.abs() + u * gh.abs()
    s = 1 - h * h
    gz = gh * s
    dgz = dgh * s + gh.abs() * (2 * h.abs() * dh + _gamma(3, u)) + u * gz.abs()
    big = _gamma(n, u)
    bounds = {
        "hidden.weight": dgz.T @ X.abs() + big * (gz.abs().T @ X.abs()),  # (3, 2)
        "hidden.bias": dgz.sum(0) + big * gz.abs().sum(0),  # (3,)
        "out.weight": (dg.T @ h.abs() + g.abs().T @ dh) + big * (g.abs().T @ h.abs()),  # (1, 3)
        "out.bias": dg.sum(0) + big * g.abs().sum(0),  # (1,)
    }
    return {k: SAFETY * v for k, v in bounds.items()}, SAFETY * dloss


def third_derivatives(net: Net, params: Params, X: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """∂³L/∂θ³ for every entry θ of every parameter (float64 autograd, three nested grads along that entry)."""
    out = {}
    for name, p in params.items():
        d3 = torch.empty_like(p).reshape(-1)
        for i in range(p.numel()):
            theta = p.detach().reshape(-1).clone().requires_grad_(True)
            trial = dict(params) | {name: theta.view(p.shape)}
            g1 = torch.autograd.grad(_loss(net, trial, X, y), theta, create_graph=True)[0][i]
            g2 = torch.autograd.grad(g1, theta, create_graph=True)[0][i]
            # L is quadratic in out.*: there the second derivative is a constant, with no graph behind it
            d3[i] = torch.autograd.grad(g2, theta)[0][i] if g2.requires_grad else 0.0
        out[name] = d3.view(p.shape)
    return out


def gradient_check_net(config: RunConfig, point: Mapping[str, np.ndarray] | None = None) -> NetGradCheck:
    """The full check at `point` (parameter name → values; default: the start) on the config's data and device."""
    device = resolve_device(config.device)[0]
    with torch.inference_mode(False), torch.enable_grad():
        return _check(config, device, point)


def _check(config: RunConfig, device: torch.device, point: Mapping[str, np.ndarray] | None) -> NetGradCheck:
    net32 = make_net(device)
    if point is not None:
        with torch.no_grad():
            for name, p in net32.named_parameters():
                p.copy_(torch.as_tensor(np.asarray(point[name]), dtype=p.dtype, device=device).view(p.shape))
    X32, y32 = net_data(config, device)
    mse(net32(X32), y32).backward()
    auto32 = {n: p.grad.detach().double().cpu() for n, p in net32.named_parameters()}  # type: ignore[union-attr]

    cpu = torch.device("cpu")
    net = make_net(cpu, torch.float64)  # float64 copies of the float32 values: the point autograd32 saw
    p64 = {n: p.detach().double().cpu() for n, p in net32.named_parameters()}
    X, y = X32.double().cpu(), y32.double().cpu()
    leaves = {n: v.clone().requires_grad_(True) for n, v in p64.items()}
    grads64 = torch.autograd.grad(_loss(net, leaves, X, y), tuple(leaves.values()))
    auto64 = {n: g.detach() for n, g in zip(leaves, grads64, strict=True)}
    bound32, _ = grad_error_bounds(p64, X, y, U32)
    bound64, dloss = grad_error_bounds(p64, X, y, U64)
    d3 = third_derivatives(net, p64, X, y)

    rows = []
    for name, value in p64.items():
        flat = value.reshape(-1)
        for i in range(flat.numel()):
            step = FD_STEP * max(1.0, abs(float(flat[i])))
            up, down = flat.clone(), flat.clone()
            up[i] += step
            down[i] -= step
            taken = float(up[i] - down[i])  # the step actually taken, after rounding
            lup = float(_loss(net, p64 | {name: up.view(value.shape)}, X, y))
            ldown = float(_loss(net, p64 | {name: down.view(value.shape)}, X, y))
            fd = (lup - ldown) / taken
            a32, a64 = float(auto32[name].reshape(-1)[i]), float(auto64[name].reshape(-1)[i])
            trunc = SAFETY * (taken / 2) ** 2 / 6 * abs(float(d3[name].reshape(-1)[i]))
            fd_bound = 2 * dloss / taken + trunc + float(bound64[name].reshape(-1)[i])
            rb = float(bound32[name].reshape(-1)[i]) + X.shape[0] * TINY32
            index = tuple(int(j) for j in np.unravel_index(i, tuple(value.shape)))
            rows.append(NetGradRow(name, index, a32, a64, fd, abs(a64 - a32), abs(fd - a64), rb, fd_bound))

    per_param = {name: _gradcheck(net, p64, X, y, (name,)) for name in p64}
    return NetGradCheck(
        rows=tuple(rows),
        device=str(device),
        gradcheck=per_param,
        gradcheck_all=_gradcheck(net, p64, X, y, tuple(p64)),
        gradcheck_settings=dict(GRADCHECK),
    )


def _gradcheck(
    net: Net, p64: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor, names: tuple[str, ...]
) -> bool:
    """`torch.autograd.gradcheck` of the loss as a function of the named parameters, the others held fixed."""
    inputs = tuple(p64[n].clone().requires_grad_(True) for n in names)

    def loss_of(*values: torch.Tensor) -> torch.Tensor:
        return _loss(net, p64 | dict(zip(names, values, strict=True)), X, y)

    return bool(torch.autograd.gradcheck(loss_of, inputs, raise_exception=False, **GRADCHECK))  # type: ignore[arg-type]


def check_epoch_net(trace: Trace, epoch: int) -> NetGradCheck:
    """The check at the parameters a network trace used in `epoch` (1-based); a ValueError for a linear trace."""
    if trace.config.model != "net":
        raise ValueError("trace: a run of the linear model; check it with gradlab.probes.verify.check_epoch")
    i = trace.index(epoch)
    return gradient_check_net(trace.config, {n: v[i] for n, v in trace.params.items()})
