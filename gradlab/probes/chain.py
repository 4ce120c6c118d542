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

from gradlab.probes.graph import graph_nodes
from gradlab.probes.hooks import Seen, Values, record, values
from gradlab.runs.model import make_data, make_params
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig, resolve_device

EPS32 = float(torch.finfo(torch.float32).eps)


@dataclass(frozen=True)
class Flow:
    """One gradient a node sends on: by the hand formula (float64) and as autograd produced it (float32)."""

    target: str  # the tensor it is the gradient of: "squared", "w", …
    formula: str  # how the hand value is made, e.g. "upstream × 2·residual"
    hand: Values
    autograd: Values
    tolerance: float  # what float32 rounding can explain: (N + 4)·eps·(largest Σ|terms|)
    retained: Values | None = None  # target.grad after backward(), kept by retain_grad() on a non-leaf
    before: Values | None = None  # a leaf's .grad just before AccumulateGrad ran; None when it was None
    incoming: Values | None = None  # the gradient AccumulateGrad received for the leaf

    @property
    def max_diff(self) -> float:
        return max((abs(h - a) for h, a in zip(self.hand, self.autograd, strict=True)), default=0.0)

    @property
    def agrees(self) -> bool:
        return len(self.hand) == len(self.autograd) and self.max_diff <= self.tolerance

    @property
    def exact(self) -> bool:
        """The hand value, rounded to float32, is bit for bit what autograd produced."""
        return torch.tensor(self.hand, dtype=torch.float64).float().double().tolist() == list(self.autograd)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ChainWalk:
    """Every node of one backward(), then a second backward() after a fresh forward, at one point (w, b)."""

    steps: tuple[ChainStep, ...]
    edges: tuple[tuple[str, str], ...]  # between node ids, "loss" and the leaves "w", "b"
    loss: float
    n_samples: int
    device: str
    w: Values
    b: float


def _cpu64(t: torch.Tensor) -> torch.Tensor:
    """A float64 copy on the CPU: the hand arithmetic, whatever device autograd ran on."""
    return t.detach().double().cpu()


def _flow(
    target: str, formula: str, hand: torch.Tensor, terms: torch.Tensor, autograd: Values, n: int, **kw: Any
) -> Flow:
    """A flow whose float32 tolerance comes from the absolute size of the terms summed into each entry."""
    tol = (n + 4) * EPS32 * float(terms.abs().max()) if terms.numel() else 0.0
    return Flow(target, formula, values(hand), autograd, tol, **kw)


@dataclass(frozen=True)
class _Forward:
    """The card's forward pass, one named operation (one graph node) at a time."""

    X: torch.Tensor
    w: torch.Tensor
    b: torch.Tensor
    xw: torch.Tensor
    y_hat: torch.Tensor
    residual: torch.Tensor
    squared: torch.Tensor
    loss: torch.Tensor

    @classmethod
    def run(cls, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> _Forward:
        xw = X @ w
        y_hat = xw + b
        residual = y_hat - y
        squared = residual**2
        loss = squared.mean()
        for t in (xw, y_hat, residual, squared):
            t.retain_grad()  # a non-leaf keeps .grad only when asked: it shows the same values land there
        return cls(X, w, b, xw, y_hat, residual, squared, loss)

    @property
    def n(self) -> int:
        return self.X.shape[0]


# Each rule: (forward op, upstream label, local label, local derivative, flows, why) for one kind of node.
_Parts = tuple[str, str, str, torch.Tensor, tuple[Flow, ...], str]


def _mean(f: _Forward, up: torch.Tensor, s: Seen) -> _Parts:
    n = f.n
    local = torch.full((n,), 1.0 / n, dtype=torch.float64)
    hand = up * local
    flow = _flow("squared", "upstream × 1/N", hand, hand, values(s.grad_in[0]), n, retained=values(f.squared.grad))
    why = (
        "backward() on a scalar loss starts from d loss/d loss = 1. A mean of N numbers changes by 1/N "
        "for each unit one of them changes."
    )
    return "loss = squared.mean()", "d loss/d loss", f"d loss/d squaredᵢ = 1/N = 1/{n}", local, (flow,), why


def _pow(f: _Forward, up: torch.Tensor, s: Seen) -> _Parts:
    local = 2 * _cpu64(f.residual)
    hand = up * local
    flow = _flow(
        "residual", "upstream × 2·residual", hand, hand, values(s.grad_in[0]), f.n, retained=values(f.residual.grad)
    )
    why = "The derivative of r² is 2r: the further a prediction is off, the larger its share of the gradient."
    return "squared = residual ** 2", "d loss/d squared", "d squaredᵢ/d residualᵢ = 2·residualᵢ", local, (flow,), why


def _sub(f: _Forward, up: torch.Tensor, s: Seen) -> _Parts:
    local = torch.ones(f.n, dtype=torch.float64)
    hand = up * local
    flow = _flow("y_hat", "upstream × 1", hand, hand, values(s.grad_in[0]), f.n, retained=values(f.y_hat.grad))
    why = "y does not require grad, so nothing flows to it: its entry in next_functions is None."
    return "residual = y_hat − y", "d loss/d residual", "d residualᵢ/d y_hatᵢ = 1", local, (flow,), why


def _add(f: _Forward, up: torch.Tensor, s: Seen) -> _Parts:
    local = torch.ones(f.n, dtype=torch.float64)
    flows = (
        _flow("xw", "upstream × 1", up * local, up, values(s.grad_in[0]), f.n, retained=values(f.xw.grad)),
        _flow("b", "Σᵢ upstreamᵢ × 1", (up * local).sum(), up.abs().sum(), values(s.grad_in[1]), f.n),
    )
    why = "b was added to every sample (broadcast), so AddBackward0 sums the N gradients into one for b."
    return "y_hat = xw + b", "d loss/d y_hat", "d y_hatᵢ/d xwᵢ = 1 and d y_hatᵢ/d b = 1", local, flows, why


def _mv(f: _Forward, up: torch.Tensor, s: Seen) -> _Parts:
    X = _cpu64(f.X)
    flow = _flow("w", "Xᵀ · upstream", X.T @ up, X.abs().T @ up.abs(), values(s.grad_in[1]), f.n)
    why = "X does not require grad, so only w gets a gradient: each wⱼ collects column j of X times the upstream."
    return "xw = X @ w", "d loss/d xw", "d xwᵢ/d wⱼ = Xᵢⱼ: the local derivative is X", X, (flow,), why


def _accumulate_flow(name: str, s: Seen, n: int) -> Flow:
    incoming = _cpu64(s.grad_out[0]) if s.grad_out[0] is not None else torch.zeros((), dtype=torch.float64)
    before = torch.zeros_like(incoming) if s.before is None else torch.tensor(s.before, dtype=torch.float64)
    formula = "None, so .grad becomes the incoming gradient" if s.before is None else f"{name}.grad + incoming"
    hand = before.reshape(incoming.shape) + incoming
    terms = before.abs().reshape(incoming.shape) + incoming.abs()
    return _flow(name, formula, hand, terms, s.after or (), n, before=s.before, incoming=values(incoming))


def _accumulate(name: str, s: Seen, n: int) -> _Parts:
    flow = _accumulate_flow(name, s, n)
    was_none = " (it was None, so now it holds exactly that gradient)" if flow.before is None else ""
    why = f"{name} is a leaf: AccumulateGrad adds the incoming gradient into {name}.grad{was_none}."
    forward, label = f"{name} (a leaf, requires_grad=True)", f"adds: {name}.grad ← {name}.grad + incoming"
    return forward, f"d loss/d {name}", label, torch.zeros(0), (flow,), why


def walk_backward(config: RunConfig, w: Sequence[float] | None = None, b: float | None = None) -> ChainWalk:
    """Forward and loss.backward() at (w, b) (the config's start by default), every node recorded; then again."""
    cfg = config.with_(w0=tuple(config.w0 if w is None else w), b0=config.b0 if b is None else b)
    device = resolve_device(cfg.device)[0]
    X, y = make_data(cfg, device)
    f = _Forward.run(X, y, *make_params(cfg, device))
    nodes = graph_nodes(f.loss)
    ids = [f"n{i}" for i in range(len(nodes))]
    seen, handles = record(nodes)
    f.loss.backward()
    for h in handles:
        h.remove()  # the AccumulateGrad nodes live on with the leaves: later backward() calls must not record here

    rules = ((f.loss, _mean), (f.squared, _pow), (f.residual, _sub), (f.y_hat, _add), (f.xw, _mv))
    steps: list[ChainStep] = []
    for s in seen:
        node_id = ids[next(i for i, fn in enumerate(nodes) if fn is s.fn)]
        leaf = getattr(s.fn, "variable", None)
        if leaf is not None:
            kind, parts = "accumulate", _accumulate("w" if leaf is f.w else "b", s, f.n)
        else:
            rule = next(r for t, r in rules if t.grad_fn is s.fn)
            up = s.grad_out[0]
            assert up is not None
            kind, parts = "grad_fn", rule(f, _cpu64(up), s)
        forward, up_label, local_label, local, flows, why = parts
        steps.append(ChainStep(
            len(steps) + 1, s.fn.name(), node_id, kind, forward, up_label, values(s.grad_out[0]), local_label,
            values(local), flows, why,
        ))  # fmt: skip
    steps.append(_again(X, y, f, len(steps) + 1))
    return ChainWalk(
        tuple(steps), _edges(nodes, ids, f), float(f.loss.item()), f.n, str(device), tuple(cfg.w0), float(cfg.b0)
    )


def _again(X: torch.Tensor, y: torch.Tensor, first: _Forward, number: int) -> ChainStep:
    """A fresh forward and a second backward() on the same leaves: AccumulateGrad adds again, g → 2g."""
    f = _Forward.run(X, y, first.w, first.b)
    accs = [fn for fn in graph_nodes(f.loss) if getattr(fn, "variable", None) is not None]
    seen, handles = record(accs)
    f.loss.backward()
    for h in handles:
        h.remove()
    flows = tuple(_accumulate_flow("w" if s.fn.variable is f.w else "b", s, f.n) for s in seen)
    same = all(fl.before == fl.incoming for fl in flows)  # the same point, so normally the same gradient
    total = "twice one backward()'s" if same else "the sum of both backward() calls' gradients"
    why = (
        f"Nothing zeroed .grad in between, so each AccumulateGrad added the new gradient to the old: every .grad is "
        f"now {total}. This is why a training loop resets .grad, with grad.zero_() or by setting it to None, before "
        "each backward()."
    )
    return ChainStep(
        number, accs[0].name(), "again", "again", "a fresh forward, then loss.backward() again",
        "d loss/d w and d loss/d b, from the new graph", (),
        "adds: .grad ← .grad + incoming", (), flows, why,
    )  # fmt: skip


def _edges(nodes: list[Any], ids: list[str], f: _Forward) -> tuple[tuple[str, str], ...]:
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
