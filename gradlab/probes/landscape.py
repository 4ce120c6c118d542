"""The loss surface over the weights: a grid for contour plots and the view of a run's path on it.

The stable limit 2/λmax of its curvature is `gradlab.settings.stability.stable_limit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class LossGrid:
    """Loss over a (w1, w2) grid with b held fixed, in long form for plotting."""

    w1: np.ndarray
    w2: np.ndarray
    loss: np.ndarray
    b: float


def loss_grid(
    config: RunConfig,
    b: float,
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    steps: int = 41,
) -> LossGrid:
    """MSE at every grid point (w1, w2) for the first two features, b fixed; float64."""
    if config.n_features != 2:
        raise ValueError("loss_grid: the landscape needs exactly 2 features")
    X = torch.tensor(config.X, dtype=torch.float64)
    y = torch.tensor(config.y, dtype=torch.float64)
    a = torch.linspace(*w1_range, steps, dtype=torch.float64)
    c = torch.linspace(*w2_range, steps, dtype=torch.float64)
    W1, W2 = torch.meshgrid(a, c, indexing="ij")
    W = torch.stack([W1.reshape(-1), W2.reshape(-1)], dim=1)  # (G, 2)
    y_hat = W @ X.T + b  # (G, N)
    loss = ((y_hat - y) ** 2).mean(dim=1)
    return LossGrid(W1.reshape(-1).numpy(), W2.reshape(-1).numpy(), loss.numpy(), b)


def _after_update(trace: Trace, i: int) -> np.ndarray:
    """(w1, w2) right after epoch i's update (0-based): the next epoch's recorded weights, or the final ones."""
    if i + 1 < len(trace):
        return trace.w[i + 1, :2]
    if trace.final_w is not None:
        return np.asarray(trace.final_w[:2], dtype=float)
    return trace.w[i, :2] - trace.config.lr * trace.w_grad[i, :2]


@dataclass(frozen=True)
class LandscapeView:
    """What the landscape chart needs: the grid, the path so far, and the −.grad arrow."""

    grid: LossGrid
    path_epoch: np.ndarray
    path_w1: np.ndarray
    path_w2: np.ndarray
    arrow: tuple[float, float, float, float] | None  # (w1, w2) → (w1, w2) − scaled .grad


def landscape_view(
    trace: Trace, epoch: int, steps: int = 41, *, true_step: bool = False, arrow: bool = True
) -> LandscapeView:
    """The loss slice at the epoch's b, framing the path and the slice's minimum.

    The arrow points along −.grad with a fixed length, or with `true_step` it is the update itself,
    −lr·.grad, from the epoch's (w1, w2) to where the update moved them. Without `arrow` there is none, and the
    frame leaves out where the update went: the path up to the epoch's point only (the step-through asks "up or
    down?" before it shows where a step landed).
    """
    cfg = trace.config
    i = trace.index(epoch)
    b = float(trace.b[i])
    pts = [trace.w[: i + 1, :2]]
    g = trace.w_grad[i, :2]
    stepped = _after_update(trace, i)
    if arrow and true_step and np.isfinite(stepped).all():
        pts.append(stepped[None, :])
    X = torch.tensor(cfg.X, dtype=torch.float64)
    target = torch.tensor(cfg.y, dtype=torch.float64) - b
    best = torch.linalg.lstsq(X, target[:, None]).solution[:, 0].numpy()  # the slice's lowest point
    if np.isfinite(best).all() and np.abs(best).max() < 1e6:
        pts.append(best[None, :2])
    allp = np.concatenate(pts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    lo, hi = lo - 0.2 * span, hi + 0.2 * span
    grid = loss_grid(cfg, b, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), steps)
    drawn = None
    norm = float(np.hypot(*g))
    w = trace.w[i, :2]
    if arrow and true_step and np.isfinite(stepped).all():
        drawn = (float(w[0]), float(w[1]), float(stepped[0]), float(stepped[1]))
    elif arrow and norm > 0 and np.isfinite(norm):
        length = 0.18 * float(min(hi - lo))
        drawn = (float(w[0]), float(w[1]), float(w[0] - g[0] / norm * length), float(w[1] - g[1] / norm * length))
    return LandscapeView(grid, trace.epoch[: i + 1], trace.w[: i + 1, 0], trace.w[: i + 1, 1], drawn)
