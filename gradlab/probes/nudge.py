"""Nudge one parameter by Δ: the real new loss beside the first-order estimate loss + `.grad`·Δ.

`.grad` is the slope of the loss along each parameter at the current point, so it predicts small changes
well and large ones badly. This loss is a quadratic in each parameter, so in exact arithmetic the estimate misses
by exactly ½·(∂²L/∂p²)·Δ²; the float32 miss differs from that by rounding, which the page measures and says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from gradlab.fmt import num, prose, signed, together
from gradlab.runs.model import DTYPE, forward, make_data, make_params, mse
from gradlab.settings.config import RunConfig, resolve_device

DELTAS: tuple[float, ...] = (-1.0, -0.5, -0.1, -0.01, 0.01, 0.1, 0.5, 1.0)
DEFAULT_DELTA = 1.0
SLICE_HALF_WIDTH = 1.5  # the slice spans the current value ± this (every Δ in DELTAS fits)
SLICE_POINTS = 121
EPS64 = float(torch.finfo(torch.float64).eps)


@dataclass(frozen=True)
class Nudge:
    """One parameter moved by Δ from a point (w, b), every number from a real float32 forward or backward."""

    param: str
    delta: float
    value: float  # the parameter at the current point
    loss: float  # L at the current point
    grad: float  # this parameter's .grad after loss.backward() there
    curvature: float  # ∂²L/∂p² there: autograd differentiating the gradient once more
    new_loss: float  # L after a fresh forward pass at the nudged point
    rounding: float  # the float32 rounding in these numbers, measured against float64 (see _rounding)
    device: str
    slice_x: tuple[float, ...]  # the parameter's values along the slice (others fixed)
    slice_loss: tuple[float, ...]  # L at each of them, float32 forward passes

    @property
    def new_value(self) -> float:
        return self.value + self.delta

    @property
    def estimate_change(self) -> float:
        """What the slope alone predicts: .grad·Δ."""
        return self.grad * self.delta

    @property
    def estimate(self) -> float:
        """The first-order (tangent-line) estimate of the new loss: loss + .grad·Δ."""
        return self.loss + self.estimate_change

    @property
    def real_change(self) -> float:
        return self.new_loss - self.loss

    @property
    def error(self) -> float:
        """How far the tangent estimate misses the real new loss: real − estimate."""
        return self.new_loss - self.estimate

    @property
    def quadratic(self) -> float:
        """½·(∂²L/∂p²)·Δ²: the miss a quadratic loss must show."""
        return 0.5 * self.curvature * self.delta**2

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.loss, self.grad, self.curvature, self.new_loss))

    @property
    def explained(self) -> bool:
        """Whether real − estimate equals ½·curvature·Δ² within float32 rounding."""
        return self.finite and abs(self.error - self.quadratic) <= self.rounding


def _point(config: RunConfig, w: Sequence[float], b: float) -> RunConfig:
    """The config with (w, b) as its starting point; validation names a bad value."""
    return config.with_(w0=tuple(float(v) for v in w), b0=float(b))


def nudge(config: RunConfig, w: Sequence[float], b: float, param: str, delta: float) -> Nudge:
    """Move `param` by `delta` from (w, b): real new loss, .grad, curvature, and the 1-D slice of the loss."""
    names = config.param_names
    if param not in names:
        raise ValueError(f"param: {param!r} is not a parameter here; choose one of {names}")
    if not math.isfinite(delta):
        raise ValueError(f"delta: {delta!r} is not allowed; it must be a finite number")
    cfg = _point(config, w, b)
    index = names.index(param)
    device = resolve_device(cfg.device)[0]
    X, y = make_data(cfg, device)

    point = [*cfg.w0, cfg.b0]
    # The card's step, as the lesson runs it: forward, loss, backward(), then read .grad.
    w_leaf, b_leaf = make_params(cfg, device)
    loss = mse(forward(X, w_leaf, b_leaf), y)
    loss.backward()
    assert w_leaf.grad is not None and b_leaf.grad is not None
    grad = float(torch.cat([w_leaf.grad.reshape(-1), b_leaf.grad.reshape(1)])[index].item())

    # ∂²L/∂p²: differentiate this parameter's gradient once more (create_graph keeps it differentiable).
    theta = torch.tensor(point, dtype=DTYPE, device=device, requires_grad=True)  # (F+1,) = [w, b]
    (g,) = torch.autograd.grad(mse(forward(X, theta[:-1], theta[-1]), y), theta, create_graph=True)
    (h,) = torch.autograd.grad(g[index], theta)
    curvature = float(h[index].item())

    # The real new loss: a fresh forward pass at the nudged point, in float32 like the lesson's.
    moved = list(point)
    moved[index] += float(delta)
    new_loss = float(mse(forward(X, *make_params(_point(cfg, moved[:-1], moved[-1]), device)), y).item())

    rounding = _rounding(X, y, index, (point, moved), (loss.item(), new_loss), grad, curvature, float(delta))
    xs, losses = _slice(cfg, X, y, index)
    return Nudge(
        param=param, delta=float(delta), value=point[index], loss=float(loss.item()), grad=grad,
        curvature=curvature, new_loss=new_loss, rounding=rounding, device=str(device),
        slice_x=xs, slice_loss=losses,
    )  # fmt: skip


def _rounding(
    X: torch.Tensor,
    y: torch.Tensor,
    index: int,
    points: tuple[list[float], list[float]],
    losses: tuple[float, float],
    grad: float,
    curvature: float,
    delta: float,
) -> float:
    """How much float32 rounding can move real − estimate away from ½·curvature·Δ².

    The same losses, gradient and curvature in float64 at the same float32 points obey the quadratic identity
    L1 − L0 = g·Δ' + ½·c·Δ'² (Δ' the step float32 really took), so every deviation is one of these differences.
    """
    X64, y64 = X.double(), y.double()
    theta = [torch.tensor(p, dtype=DTYPE).double().to(X.device).requires_grad_() for p in points]
    l64 = [mse(forward(X64, t[:-1], t[-1]), y64) for t in theta]
    (g,) = torch.autograd.grad(l64[0], theta[0], create_graph=True)
    (h,) = torch.autograd.grad(g[index], theta[0])
    g64, c64 = float(g[index].item()), float(h[index].item())
    taken = float(theta[1][index].item() - theta[0][index].item())  # Δ after rounding p and p + Δ to float32
    parts = (
        abs(losses[0] - l64[0].item()) + abs(losses[1] - l64[1].item())
        + abs(grad - g64) * abs(delta) + 0.5 * abs(curvature - c64) * delta**2
        + abs(g64) * abs(taken - delta) + 0.5 * abs(c64) * abs(taken**2 - delta**2)
    )  # fmt: skip
    return 2 * parts + 64 * EPS64 * (abs(losses[0]) + abs(losses[1]) + abs(g64 * delta))


def _slice(cfg: RunConfig, X: torch.Tensor, y: torch.Tensor, index: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """L along one parameter (the others fixed), one float32 forward pass per point, batched."""
    point = [*cfg.w0, cfg.b0]
    xs = torch.linspace(point[index] - SLICE_HALF_WIDTH, point[index] + SLICE_HALF_WIDTH, SLICE_POINTS)
    params = torch.tensor(point, dtype=DTYPE, device=X.device).repeat(SLICE_POINTS, 1)  # (G, F+1)
    params[:, index] = xs.to(DTYPE).to(X.device)
    with torch.no_grad():
        y_hat = params[:, :-1] @ X.T + params[:, -1:]  # (G, N): ŷ = Xw + b for every point at once
        losses = ((y_hat - y) ** 2).mean(dim=1)
    return tuple(params[:, index].double().tolist()), tuple(losses.double().cpu().tolist())


def explain(n: Nudge) -> list[str]:
    """What this nudge shows, in sentences derived from its numbers (Markdown)."""
    p, d = n.param, n.delta
    if not n.finite:
        return [f"At these weights the loss is {num(n.loss)}: float32 cannot hold it, so there is no slope to read."]
    sign = "+" if n.estimate_change >= 0 else "−"
    lines = [
        f"Moving **{p}** by Δ = {signed(d)} (from {prose(n.value)} to {prose(n.new_value)}) changes the loss from "
        f"{prose(n.loss)} to **{prose(n.new_loss)}**: a change of **{signed(n.real_change)}**.",
        f"The slope alone predicts `.grad`·Δ = {prose(n.grad)} × ({signed(d)}) = **{signed(n.estimate_change)}**, "
        f"so the estimate is {prose(n.loss)} {sign} {prose(abs(n.estimate_change))} = {prose(n.estimate)}.",
    ]
    if n.curvature == 0:
        lines.append(f"The loss is a straight line along {p} here (∂²L/∂{p}² = 0), so the estimate is exact.")
    elif n.explained and abs(n.quadratic) > n.rounding:
        lines.append(_parabola(n))
    elif n.explained:
        lines.append(
            f"The estimate is off by {signed(n.error)}. ½·(∂²L/∂{p}²)·Δ² = {prose(n.quadratic)} is no larger than the "
            f"float32 rounding in these numbers (up to about {num(n.rounding, 1)}): at this Δ a float32 forward pass "
            "cannot tell the tangent line from the loss."
        )
    else:
        lines.append(
            f"The estimate is off by {signed(n.error)}, and ½·(∂²L/∂{p}²)·Δ² is {prose(n.quadratic)}: they differ by "
            f"more than float32 rounding (up to about {num(n.rounding, 1)}) explains."
        )
    return lines


def _parabola(n: Nudge) -> str:
    """The miss explained by the curvature, in words that are exactly true of the numbers shown.

    Along one parameter this loss is a parabola, whose tangent line misses it by exactly ½·(∂²L/∂p²)·Δ² in exact
    arithmetic. The float32 miss equals that to the digits shown, or it is said to differ, by how much, and that
    the difference is within float32 rounding (`Nudge.explained`).
    """
    p, d = n.param, n.delta
    miss, quadratic = together((n.error, n.quadratic))  # compared in one sentence: one notation
    gap = num(n.error - n.quadratic, 2)
    formula = f"½·(∂²L/∂{p}²)·Δ² = ½ × {prose(n.curvature)} × ({signed(d)})² = {_minus(quadratic)}"
    tail = (
        f"`.grad` is the slope *at this point*: a ten times smaller Δ makes ½·(∂²L/∂{p}²)·Δ² a hundred times smaller."
    )
    if miss == quadratic:
        return (
            f"The estimate is off by **{_plus(miss)}**, which is {formula}: along {p} this loss is a parabola, and a "
            f"parabola's tangent line misses it by exactly ½·(∂²L/∂{p}²)·Δ². {tail}"
        )
    return (
        f"The estimate is off by **{_plus(miss)}**. Along {p} this loss is a parabola, and in exact arithmetic its "
        f"tangent line misses it by exactly {formula}. The float32 miss differs from that by {_plus(gap)}, within "
        f"the float32 rounding in these numbers (up to about {num(n.rounding, 1)}). {tail}"
    )


def _minus(text: str) -> str:
    return "−" + text[1:] if text.startswith("-") else text


def _plus(text: str) -> str:
    """A formatted number with an explicit sign and a real minus."""
    return text if text == "0" else _minus(text) if text.startswith("-") else "+" + text
