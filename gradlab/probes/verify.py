"""Check autograd's `.grad` against the analytic gradient and central finite differences, with rounding bounds.

The analytic gradient and the finite differences are computed in float64 on the float32 values autograd sees
(X, y, w and b rounded to float32), so |analytic − autograd| is only the rounding of autograd's own float32
arithmetic, and |finite diff − analytic| is only the error of the difference quotient. Each has a bound from
the standard rounding-error analysis of sums: a sum of k terms computed in floating point is off by at most
γ_k·Σ|terms|, where γ_k = k·u / (1 − k·u) and u is the unit roundoff (2⁻²⁴ for float32, 2⁻⁵³ for float64).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradlab.probes.net_verify import NetGradCheck, check_epoch_net
from gradlab.runs.model import DTYPE, forward, make_data, mse
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig, resolve_device

FD_STEP = 1e-6
U32, U64 = 2.0**-24, 2.0**-53  # unit roundoff of float32 and float64
SAFETY = 2.0  # head-room over the first-order bound (second-order terms, 1/N rounding)
TINY32 = 2.0**-126  # float32's smallest normal number: underflow noise around zero


@dataclass(frozen=True)
class GradCheckRow:
    """One parameter entry: the three gradients, their differences and what rounding can explain."""

    param: str  # "w1", "w2", …, "b"
    autograd: float
    analytic: float
    finite_diff: float
    analytic_diff: float  # |analytic − autograd|: float32 rounding inside autograd
    finite_diff_diff: float  # |finite difference − analytic|: the difference quotient's float64 error
    rounding_bound: float  # the largest |analytic − autograd| float32 rounding can produce here
    fd_bound: float  # the largest |finite difference − analytic| float64 rounding can produce here

    @property
    def exact(self) -> bool:
        """Autograd's float32 `.grad` equals the float64 analytic gradient bit for bit."""
        return self.analytic_diff == 0.0


@dataclass(frozen=True)
class GradCheck:
    """A full gradient check at one point (w, b)."""

    rows: tuple[GradCheckRow, ...]
    device: str
    w: tuple[float, ...]
    b: float

    @property
    def largest_gradient(self) -> float:
        return max(abs(r.analytic) for r in self.rows)

    @property
    def autograd_agrees(self) -> bool:
        """Every |analytic − autograd| is within what float32 rounding can produce."""
        return all(r.analytic_diff <= r.rounding_bound for r in self.rows)

    @property
    def finite_diff_agrees(self) -> bool:
        """Every |finite difference − analytic| is within what float64 rounding can produce."""
        return all(r.finite_diff_diff <= r.fd_bound for r in self.rows)

    @property
    def agrees(self) -> bool:
        """All three gradients agree to within the rounding that each computation can explain."""
        return self.autograd_agrees and self.finite_diff_agrees


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


def _inputs64(config: RunConfig, w: tuple[float, ...], b: float) -> tuple[torch.Tensor, ...]:
    """X (N, F), y (N,), w (F,), b (0-d) as float64 copies of their float32 values, as autograd sees them."""
    return tuple(torch.tensor(v, dtype=DTYPE).double() for v in (config.X, config.y, w, b))


def analytic_grad(config: RunConfig, w: tuple[float, ...], b: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The hand-derived gradient in float64: dL/dw = 2/N·Xᵀ(ŷ−y), dL/db = 2/N·Σ(ŷ−y), on float32 inputs."""
    X, y, wt, bt = _inputs64(config, w, b)
    residual = X @ wt + bt - y  # (N,)
    n = config.n_samples
    return 2.0 / n * X.T @ residual, 2.0 / n * residual.sum()


def finite_diff_grad(
    config: RunConfig, w: tuple[float, ...], b: float, h: float = FD_STEP
) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (L(θ+s) − L(θ−s)) / 2s in float64, one parameter entry at a time, s = h·max(1, |θ|)."""
    X, y, wt, bt = _inputs64(config, w, b)
    theta = torch.cat([wt, bt.view(1)])

    def loss(t: torch.Tensor) -> float:
        return float(mse(forward(X, t[:-1], t[-1]), y))

    grads = torch.empty_like(theta)
    for i in range(len(theta)):
        step = h * max(1.0, abs(float(theta[i])))
        up, down = theta.clone(), theta.clone()
        up[i] += step
        down[i] -= step
        grads[i] = (loss(up) - loss(down)) / float(up[i] - down[i])  # the step actually taken, after rounding
    return grads[:-1], grads[-1]


def _gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u)


def rounding_bounds(config: RunConfig, w: tuple[float, ...], b: float, h: float = FD_STEP) -> tuple[list[float], ...]:
    """Per parameter: the largest |analytic − autograd| and |finite diff − analytic| rounding can produce.

    Autograd computes r_i = Σ_j x_ij·w_j + b − y_i (F + 2 roundings), then 2/N·r_i and a sum over N samples,
    so its error is at most γ_k·2/N·Σ_i |x_ij|·(A_i + |r_i|), where A_i = Σ_j |x_ij·w_j| + |b| + |y_i| and
    k = F + N + 5. The loss is quadratic in (w, b), so the central difference is exact without rounding; its
    error is the float64 rounding of the two losses, at most 3·γ_k·mean(A_i²) each, divided by the step 2s.
    """
    X, y, wt, bt = _inputs64(config, w, b)
    n, f = config.n_samples, config.n_features
    k = f + n + 5
    absX = X.abs()
    A = absX @ wt.abs() + bt.abs() + y.abs()  # (N,)
    r = (X @ wt + bt - y).abs()  # (N,)
    weight = torch.cat([absX, torch.ones(n, 1, dtype=X.dtype)], dim=1)  # (N, F + 1): |x_ij|, and 1 for b
    auto = SAFETY * _gamma(k, U32) * 2.0 / n * (weight.T @ (A + r)) + k * TINY32
    theta = torch.cat([wt, bt.view(1)]).abs()
    steps = h * torch.clamp(theta, min=1.0)
    # A_i at θ ± s: each entry may move by its step
    A_far = A[:, None] + weight * steps[None, :]  # (N, F + 1)
    fd = SAFETY * 3 * _gamma(k, U64) * (A_far**2).mean(dim=0) / steps
    return auto.tolist(), fd.tolist()


def gradient_check(config: RunConfig, w: tuple[float, ...], b: float) -> GradCheck:
    """Autograd (float32 on the run's device), analytic and finite differences (float64) side by side."""
    device = resolve_device(config.device)[0]
    ag_w, ag_b = autograd_grad(config, w, b, device=device)
    an_w, an_b = analytic_grad(config, w, b)
    fd_w, fd_b = finite_diff_grad(config, w, b)
    auto_bound, fd_bound = rounding_bounds(config, w, b)
    ag = [*ag_w.cpu().double().tolist(), float(ag_b)]
    an = [*an_w.tolist(), float(an_b)]
    fd = [*fd_w.tolist(), float(fd_b)]
    rows = tuple(
        GradCheckRow(name, a, c, d, abs(c - a), abs(d - c), ab, fb)
        for name, a, c, d, ab, fb in zip(config.param_names, ag, an, fd, auto_bound, fd_bound, strict=True)
    )
    return GradCheck(rows=rows, device=str(device), w=tuple(w), b=float(b))


def _names(rows: list[GradCheckRow]) -> str:
    names = [r.param for r in rows]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def explain_check(check: GradCheck) -> list[str]:
    """What each difference column shows, in sentences written from this check's numbers."""
    rows = list(check.rows)
    exact = [r for r in rows if r.exact]
    off = [r for r in rows if not r.exact]
    too_far = [r for r in rows if r.analytic_diff > r.rounding_bound]
    out: list[str] = []
    if not off:
        out.append(
            "|analytic − autograd| is 0 for every parameter: autograd's float32 `.grad` equals the analytic "
            "gradient exactly here."
        )
    else:
        worst = max(off, key=lambda r: r.analytic_diff)
        lead = f"Autograd's float32 `.grad` equals the analytic gradient exactly for {_names(exact)}. " if exact else ""
        if too_far:  # not rounding: the sentence after this one says what it means
            out.append(
                f"{lead}|analytic − autograd| for {_names(off)}: the largest, {worst.analytic_diff:.2e} for "
                f"{worst.param}, is more than the {worst.rounding_bound:.2e} that float32 rounding can produce for "
                f"{worst.param} here."
            )
        else:
            out.append(
                f"{lead}|analytic − autograd| for {_names(off)} is float32 rounding in autograd's forward and "
                f"backward passes on the float32 values of X, y, w and b. The largest, {worst.analytic_diff:.2e} for "
                f"{worst.param}, is within the {worst.rounding_bound:.2e} that float32 rounding can produce for "
                f"{worst.param} here."
            )
    if too_far:
        out.append(
            f"For {_names(too_far)} the difference is larger than float32 rounding can produce: autograd's `.grad` "
            "does not match the analytic gradient."
        )
    elif check.largest_gradient > 0 and max(r.analytic_diff for r in rows) > 0.01 * check.largest_gradient:
        share = max(r.analytic_diff for r in rows) / check.largest_gradient
        out.append(
            f"That is {share:.0%} of the largest gradient: here the gradient is small compared with the numbers it is "
            "computed from, and the rounding grows with those numbers, not with the gradient."
        )
    fd_max = max(r.finite_diff_diff for r in rows)
    fd_bound = max(r.fd_bound for r in rows)
    if fd_max == 0:
        out.append("|finite diff − analytic| is 0: the central differences equal the analytic gradient exactly here.")
    else:
        out.append(
            "|finite diff − analytic| is the error of the central difference itself, in float64: the loss is "
            "quadratic in w and b, so (L(θ+s) − L(θ−s)) / 2s, for a step s in one parameter θ, would be exact "
            "without rounding; what remains is the "
            f"float64 rounding of the two losses divided by 2s, at most {fd_max:.2e} here"
            + (f" (it can reach {fd_bound:.2e})." if check.finite_diff_agrees else ".")
        )
    if not check.finite_diff_agrees:
        bad = [r for r in rows if r.finite_diff_diff > r.fd_bound]
        out.append(
            f"For {_names(bad)} that is more than float64 rounding can produce: the finite differences and the "
            "analytic gradient disagree."
        )
    return out


def check_any_epoch(trace: Trace, epoch: int) -> GradCheck | NetGradCheck:
    """The gradient check at the parameters `epoch` (1-based) used, for either model: `check_epoch` for the linear
    model, `gradlab.probes.net_verify.check_epoch_net` (float64 autograd, finite differences, gradcheck) for the
    network."""
    if trace.config.model == "net":
        return check_epoch_net(trace, epoch)
    return check_epoch(trace, epoch)


def check_epoch(trace: Trace, epoch: int) -> GradCheck:
    """The gradient check at the weights a trace used in `epoch` (1-based)."""
    i = trace.index(epoch)
    return gradient_check(trace.config, tuple(trace.w[i].tolist()), float(trace.b[i]))
