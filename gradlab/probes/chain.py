"""Walk `loss.backward()` node by node: upstream gradient × local derivative = what each node sends on.

The card's loss is built one named operation at a time. Hooks on every node of its backward graph record
what autograd really passed in and out, and in which order the engine ran the nodes; each node's output
is then checked against the chain rule worked by hand in float64 from the same float32 tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gradlab.probes.chain_rules import Flow, Forward, accumulate, accumulate_flow, cpu64, rule_for
from gradlab.probes.graph import graph_nodes
from gradlab.probes.hooks import Values, record, values
from gradlab.runs.model import make_data, make_params
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig, resolve_device

__all__ = ["ChainStep", "ChainWalk", "Flow", "walk_at", "walk_backward"]


@dataclass(frozen=True, kw_only=True)
class ChainStep:
    """One node of the backward graph, as the engine ran it."""

    number: int  # 1-based, in the order the engine ran the nodes
    node: str  # fn.name(), exactly as PyTorch reports it
    node_id: str  # the node's box in this walk's picture (gradlab.views.chain_dot)
    kind: str  # "grad_fn" | "accumulate" | "again"
    forward: str  # the forward operation this node belongs to, e.g. "squared = residual ** 2"
    upstream_label: str  # "d loss/d squared"
    upstream: Values  # what autograd passed into the node
    local_label: str  # "d squaredᵢ/d residualᵢ = 2·residualᵢ"
    local: Values
    flows: tuple[Flow, ...]
    why: str

    @property
    def short_name(self) -> str:
        """The node's name without its C++ namespace: "AccumulateGrad"."""
        return self.node.rsplit("::", 1)[-1]

    @property
    def agrees(self) -> bool:
        return all(f.agrees for f in self.flows)


@dataclass(frozen=True, kw_only=True)
class ChainWalk:
    """Every node of one backward(), then a second backward() after a fresh forward, at one point (w, b)."""

    steps: tuple[ChainStep, ...]
    edges: tuple[tuple[str, str], ...]  # between node ids, "loss" and the leaves "w", "b"
    loss: float
    n_samples: int
    device: str
    w: Values
    b: float


def walk_backward(config: RunConfig, w: Sequence[float] | None = None, b: float | None = None) -> ChainWalk:
    """Forward and loss.backward() at (w, b) (the config's start by default), every node recorded; then again."""
    cfg = config.with_(w0=tuple(config.w0 if w is None else w), b0=config.b0 if b is None else b)
    device = resolve_device(cfg.device)[0]
    X, y = make_data(cfg, device)
    f = Forward.run(X, y, *make_params(cfg, device))
    nodes = graph_nodes(f.loss)
    ids = [f"n{i}" for i in range(len(nodes))]
    seen, handles = record(nodes)
    f.loss.backward()
    for h in handles:
        h.remove()  # the AccumulateGrad nodes live on with the leaves: later backward() calls must not record here

    steps: list[ChainStep] = []
    for s in seen:
        node_id = ids[next(i for i, fn in enumerate(nodes) if fn is s.fn)]
        leaf = getattr(s.fn, "variable", None)
        if leaf is not None:
            kind, parts = "accumulate", accumulate("w" if leaf is f.w else "b", s, f.n)
        else:
            rule = rule_for(f, s.fn)
            up = s.grad_out[0]
            assert up is not None
            kind, parts = "grad_fn", rule(f, cpu64(up), s)
        steps.append(
            ChainStep(
                number=len(steps) + 1,
                node=s.fn.name(),
                node_id=node_id,
                kind=kind,
                forward=parts.forward,
                upstream_label=parts.upstream_label,
                upstream=values(s.grad_out[0]),
                local_label=parts.local_label,
                local=values(parts.local),
                flows=parts.flows,
                why=parts.why,
            )
        )
    steps.append(_again(X, y, f, len(steps) + 1))
    return ChainWalk(
        steps=tuple(steps),
        edges=_edges(nodes, ids, f),
        loss=float(f.loss.item()),
        n_samples=f.n,
        device=str(device),
        w=tuple(cfg.w0),
        b=float(cfg.b0),
    )


def _again(X: torch.Tensor, y: torch.Tensor, first: Forward, number: int) -> ChainStep:
    """A fresh forward and a second backward() on the same leaves: AccumulateGrad adds again, g → 2g."""
    f = Forward.run(X, y, first.w, first.b)
    accs = [fn for fn in graph_nodes(f.loss) if getattr(fn, "variable", None) is not None]
    seen, handles = record(accs)
    f.loss.backward()
    for h in handles:
        h.remove()
    flows = tuple(accumulate_flow("w" if s.fn.variable is f.w else "b", s, f.n) for s in seen)
    same = all(fl.before == fl.incoming for fl in flows)  # the same point, so normally the same gradient
    total = "twice one backward()'s" if same else "the sum of both backward() calls' gradients"
    why = (
        f"Nothing zeroed .grad in between, so each AccumulateGrad added the new gradient to the old: every .grad is "
        f"now {total}. This is why a training loop resets .grad, with grad.zero_() or by setting it to None, before "
        "each backward()."
    )
    return ChainStep(
        number=number,
        node=accs[0].name(),
        node_id="again",
        kind="again",
        forward="a fresh forward, then loss.backward() again",
        upstream_label="d loss/d w and d loss/d b, from the new graph",
        upstream=(),
        local_label="adds: .grad ← .grad + incoming",
        local=(),
        flows=flows,
        why=why,
    )


def _edges(nodes: list[Any], ids: list[str], f: Forward) -> tuple[tuple[str, str], ...]:
    """loss → its grad_fn → … → AccumulateGrad → leaf, by position in `nodes` (held, so `is` is safe)."""
    edges = [("loss", ids[0])]
    for i, fn in enumerate(nodes):
        leaf = getattr(fn, "variable", None)
        if leaf is not None:
            edges.append((ids[i], "w" if leaf is f.w else "b"))
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.append((ids[i], ids[next(j for j, g in enumerate(nodes) if g is nxt)]))
    return tuple(edges)


def walk_at(trace: Trace, epoch: int) -> ChainWalk:
    """The walk of epoch `epoch`'s loss (1-based), at the weights that epoch started from, with fresh leaves."""
    if not 1 <= epoch <= len(trace):
        raise ValueError(f"epoch: {epoch} is out of range; this run has epochs 1 to {len(trace)}")
    i = epoch - 1
    return walk_backward(trace.config, tuple(float(v) for v in trace.w[i]), float(trace.b[i]))
