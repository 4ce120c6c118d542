"""A 2-D slice of the network's loss: two named parameter entries varied over a grid, the other 11 held at one
epoch's values. Every grid value is a real float32 forward pass of the `Net` at those parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gradlab.runs.net import make_net, mse, net_data
from gradlab.runs.trace import Trace

# The two entries the slice varies: (parameter name, index within it).
SLICE: tuple[tuple[str, tuple[int, ...]], tuple[str, tuple[int, ...]]] = (("out.weight", (0, 0)), ("out.bias", (0,)))
GRID = 31  # points a side
HALF_SPAN = 3.0  # the grid runs ± this around the epoch's value of each entry


def entry_label(name: str, index: tuple[int, ...], suffix: str = "") -> str:
    """ "out.weight[0, 0]" (or with suffix ".grad": "out.weight.grad[0, 0]"): an entry as PyTorch indexes it."""
    return f"{name}{suffix}[{', '.join(str(i) for i in index)}]"


@dataclass(frozen=True)
class NetSlice:
    """The loss over a grid of two entries; `at` is the epoch's point, `grad` the two entries of its `.grad`."""

    labels: tuple[str, str]
    grad_labels: tuple[str, str]  # "out.weight.grad[0, 0]", …
    epoch: int
    held: int  # how many other parameter entries are held fixed
    a: np.ndarray  # (G·G,) the first entry's value at each grid point
    b: np.ndarray  # (G·G,)
    loss: np.ndarray  # (G·G,) float32 loss there (inf where it overflowed)
    at: tuple[float, float]
    grad: tuple[float, float]
    step: tuple[float, float]  # the grid's spacing in a and b


def net_slice(trace: Trace, epoch: int, grid: int = GRID) -> NetSlice:
    """The slice at epoch `epoch`'s parameters (1-based) of a network trace; ValueError for a linear one."""
    if trace.config.model != "net":
        raise ValueError("trace: a run of the linear model; its landscape is gradlab.probes.landscape")
    i = trace.index(epoch)
    net = make_net("cpu")
    X, y = net_data(trace.config, "cpu")
    params = dict(net.named_parameters())
    (na, ia), (nb, ib) = SLICE
    a0, b0 = float(trace.params[na][i][ia]), float(trace.params[nb][i][ib])
    a_axis = np.linspace(a0 - HALF_SPAN, a0 + HALF_SPAN, grid)
    b_axis = np.linspace(b0 - HALF_SPAN, b0 + HALF_SPAN, grid)
    losses = np.empty((grid, grid))
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.as_tensor(trace.params[name][i], dtype=p.dtype).view_as(p))
        for r, av in enumerate(a_axis):
            params[na][ia] = float(av)
            for c, bv in enumerate(b_axis):
                params[nb][ib] = float(bv)
                losses[r, c] = float(mse(net(X), y))
    A, B = np.meshgrid(a_axis, b_axis, indexing="ij")
    held = sum(int(np.prod(v.shape[1:])) for v in trace.params.values()) - 2
    return NetSlice(
        labels=(entry_label(na, ia), entry_label(nb, ib)),
        grad_labels=(entry_label(na, ia, ".grad"), entry_label(nb, ib, ".grad")),
        epoch=epoch,
        held=held,
        a=A.reshape(-1),
        b=B.reshape(-1),
        loss=losses.reshape(-1),
        at=(a0, b0),
        grad=(float(trace.grads[na][i][ia]), float(trace.grads[nb][i][ib])),
        step=(float(a_axis[1] - a_axis[0]), float(b_axis[1] - b_axis[0])),
    )
