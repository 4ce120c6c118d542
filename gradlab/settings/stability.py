"""The learning rate at which gradient descent on a dataset stops converging, in plain Python (no torch).

The MSE loss of ŷ = Xw + b is quadratic: its Hessian is H = 2/N·AᵀA with A = [X | 1], the same at every
point. Plain gradient descent converges exactly when lr < 2/λmax(H). The sidebar shows that limit next to the
learning-rate control before PyTorch has even loaded, so this module needs only the standard library. It is
the one implementation: the divergence words, the observations, the quiz and the step-through all use it, and
tests/test_stability.py checks it against torch's eigenvalues.
"""

from __future__ import annotations

import math

from gradlab.settings.config import RunConfig

_SWEEPS = 60
# For the network the Hessian of the loss depends on the weights (tanh is not quadratic), so 2/λmax computed at one
# point is a limit for steps near that point only. gradlab.probes.net_curvature computes it at a given point.
NET_LIMIT_NOTE = (
    "The network's curvature changes as its weights move: a stable limit 2/λmax holds only near the weights it "
    "was computed at (Training Trace shows it), so divergence is named from the loss."
)


def hessian(config: RunConfig) -> list[list[float]]:
    """2/N·AᵀA for A = [X | 1]: the loss's constant curvature over (w, b)."""
    rows = [[*row, 1.0] for row in config.X]
    n, k = len(rows), len(rows[0])
    return [[2.0 / n * math.fsum(r[i] * r[j] for r in rows) for j in range(k)] for i in range(k)]


def largest_eigenvalue(m: list[list[float]]) -> float:
    """λmax of a small symmetric matrix, by cyclic Jacobi rotations."""
    a = [row[:] for row in m]
    k = len(a)
    for _ in range(_SWEEPS):
        off = math.fsum(a[i][j] ** 2 for i in range(k) for j in range(k) if i != j)
        if off <= 1e-30 * max(1.0, math.fsum(a[i][i] ** 2 for i in range(k))):
            break
        for p in range(k - 1):
            for q in range(p + 1, k):
                if a[p][q] == 0.0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for r in range(k):  # rotate columns p and q
                    arp, arq = a[r][p], a[r][q]
                    a[r][p], a[r][q] = c * arp - s * arq, s * arp + c * arq
                for r in range(k):  # and rows p and q
                    apr, aqr = a[p][r], a[q][r]
                    a[p][r], a[q][r] = c * apr - s * aqr, s * apr + c * aqr
    return max(a[i][i] for i in range(k))


def stable_limit(config: RunConfig) -> float:
    """2/λmax: gradient descent with zeroed gradients diverges at any larger learning rate (the linear model's).

    A ValueError for the network, whose curvature is not constant (NET_LIMIT_NOTE).
    """
    if config.model == "net":
        raise ValueError("stable_limit: the network's loss has no constant curvature, so no single stable limit")
    lam = largest_eigenvalue(hessian(config))
    return 2.0 / lam if lam > 0 else math.inf
