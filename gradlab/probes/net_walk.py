"""Walk the network's `loss.backward()` node by node, in the order autograd's engine ran the nodes.

Hooks on every node of the backward graph (MseLossBackward0, AddmmBackward0, TBackward0, TanhBackward0, and an
AccumulateGrad per parameter) record the gradient each node received (*upstream*) and what it sent on; each
AccumulateGrad also records its parameter's `.grad` before and after. Nothing is computed by hand here: every
number is what autograd passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from gradlab.probes.graph import graph_nodes
from gradlab.probes.hooks import Values, record, values
from gradlab.runs.live import net_live
from gradlab.runs.net import forward_parts, mse
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class NetWalkStep:
    """One node as the engine ran it."""

    number: int  # 1-based, in engine order
    node: str  # PyTorch's name without its namespace: "AddmmBackward0", "AccumulateGrad"
    param: str | None  # for an AccumulateGrad: the parameter whose .grad it writes
    upstream_shapes: tuple[tuple[int, ...] | None, ...]  # what arrived (one per output of the forward op)
    upstream: Values  # the first arriving gradient, flattened
    sent_shapes: tuple[tuple[int, ...] | None, ...]  # one per input of the forward op (None: no gradient needed)
    sent: tuple[Values | None, ...]
    grad_before: Values | None  # AccumulateGrad only: the parameter's .grad before (None)
    grad_after: Values | None  # …and after


@dataclass(frozen=True)
class NetWalk:
    steps: tuple[NetWalkStep, ...]
    loss: float
    param_grads: dict[str, Values]  # each parameter's .grad after backward(), for the comparison with AccumulateGrad

    @property
    def accumulate_matches(self) -> bool:
        """Every AccumulateGrad's `.grad` after it ran equals its parameter's `.grad` after backward()."""
        acc = [s for s in self.steps if s.param is not None]
        return len(acc) == len(self.param_grads) and all(
            s.param is not None and s.grad_after == self.param_grads[s.param] for s in acc
        )


def _shape(t: torch.Tensor | None) -> tuple[int, ...] | None:
    return None if t is None else tuple(t.shape)


def walk_net(config: RunConfig, point: Mapping[str, np.ndarray] | None = None) -> NetWalk:
    """Forward and `loss.backward()` of the network at `point` (default: its start), every node recorded."""
    with torch.inference_mode(False), torch.enable_grad():
        run = net_live(config)
        params = dict(run.net.named_parameters())
        if point is not None:
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(torch.as_tensor(np.asarray(point[name]), dtype=p.dtype).view(p.shape))
        _, _, y_hat = forward_parts(run.net, run.X)
        loss = mse(y_hat, run.y)
        nodes = graph_nodes(loss)
        seen, handles = record(nodes)
        loss.backward()
        for h in handles:
            h.remove()
    steps = []
    for i, s in enumerate(seen, start=1):
        leaf = getattr(s.fn, "variable", None)
        param = None if leaf is None else next(n for n, p in params.items() if p is leaf)
        steps.append(
            NetWalkStep(
                number=i,
                node=s.fn.name().rsplit("::", 1)[-1],
                param=param,
                upstream_shapes=tuple(_shape(g) for g in s.grad_out),
                upstream=values(s.grad_out[0]) if s.grad_out else (),
                sent_shapes=tuple(_shape(g) for g in s.grad_in),
                sent=tuple(None if g is None else values(g) for g in s.grad_in),
                grad_before=s.before,
                grad_after=s.after,
            )
        )
    return NetWalk(
        steps=tuple(steps),
        loss=float(loss.detach().item()),
        param_grads={n: values(p.grad) for n, p in params.items()},
    )


def walk_net_at(trace: Trace, epoch: int) -> NetWalk:
    """The walk at the parameters a network trace used in `epoch` (1-based)."""
    i = trace.index(epoch)
    return walk_net(trace.config, {n: v[i] for n, v in trace.params.items()})
