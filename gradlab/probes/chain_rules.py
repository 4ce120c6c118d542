"""The chain rule worked by hand, one kind of backward node at a time, beside what autograd sent.

`gradlab.probes.chain` runs the card's forward pass one named operation at a time (`Forward`), records every
node of its backward graph with hooks, and asks a rule here for each node: the forward operation that made it,
its local derivative, and each gradient it sends on, by hand in float64 from the same float32 tensors, with the
tolerance float32 rounding can explain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from gradlab.probes.hooks import Seen, Values, values

EPS32 = float(torch.finfo(torch.float32).eps)
# float32's spacing below its smallest normal number: each rounding there can be off by up to half of it, however
# small the terms are, so a relative bound alone would call a subnormal result wrong.
TINY32 = float(torch.finfo(torch.float32).smallest_normal) * EPS32


@dataclass(frozen=True, kw_only=True)
class Flow:
    """One gradient a node sends on: by the hand formula (float64) and as autograd produced it (float32)."""

    target: str  # the tensor it is the gradient of: "squared", "w", …
    formula: str  # how the hand value is made, e.g. "upstream × 2·residual"
    hand: Values
    autograd: Values
    tolerance: float  # what float32 rounding can explain: (N + 4)·(eps·(largest Σ|terms|) + float32's subnormal step)
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


def cpu64(t: torch.Tensor) -> torch.Tensor:
    """A float64 copy on the CPU: the hand arithmetic, whatever device autograd ran on."""
    return t.detach().double().cpu()


def _flow(
    target: str, formula: str, hand: torch.Tensor, terms: torch.Tensor, autograd: Values, n: int, **kw: Any
) -> Flow:
    """A flow whose float32 tolerance comes from the absolute size of the terms summed into each entry."""
    tol = (n + 4) * (EPS32 * float(terms.abs().max()) + TINY32) if terms.numel() else 0.0
    return Flow(target=target, formula=formula, hand=values(hand), autograd=autograd, tolerance=tol, **kw)


@dataclass(frozen=True, kw_only=True)
class Forward:
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
    def run(cls, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> Forward:
        xw = X @ w
        y_hat = xw + b
        residual = y_hat - y
        squared = residual**2
        loss = squared.mean()
        for t in (xw, y_hat, residual, squared):
            t.retain_grad()  # a non-leaf keeps .grad only when asked: it shows the same values land there
        return cls(X=X, w=w, b=b, xw=xw, y_hat=y_hat, residual=residual, squared=squared, loss=loss)

    @property
    def n(self) -> int:
        return self.X.shape[0]


@dataclass(frozen=True, kw_only=True)
class NodeMath:
    """One kind of node worked by hand: what a rule below returns, and a ChainStep is made of."""

    forward: str  # the forward operation that recorded the node
    upstream_label: str
    local_label: str
    local: torch.Tensor  # the local derivative, float64 on the CPU
    flows: tuple[Flow, ...]
    why: str


def _mean(f: Forward, up: torch.Tensor, s: Seen) -> NodeMath:
    n = f.n
    local = torch.full((n,), 1.0 / n, dtype=torch.float64)
    hand = up * local
    flow = _flow("squared", "upstream × 1/N", hand, hand, values(s.grad_in[0]), n, retained=values(f.squared.grad))
    why = (
        "backward() on a scalar loss starts from d loss/d loss = 1. A mean of N numbers changes by 1/N "
        "for each unit one of them changes."
    )
    return NodeMath(
        forward="loss = squared.mean()",
        upstream_label="d loss/d loss",
        local_label=f"d loss/d squaredᵢ = 1/N = 1/{n}",
        local=local,
        flows=(flow,),
        why=why,
    )


def _pow(f: Forward, up: torch.Tensor, s: Seen) -> NodeMath:
    local = 2 * cpu64(f.residual)
    hand = up * local
    flow = _flow(
        "residual", "upstream × 2·residual", hand, hand, values(s.grad_in[0]), f.n, retained=values(f.residual.grad)
    )
    why = "The derivative of r² is 2r: the further a prediction is off, the larger its share of the gradient."
    return NodeMath(
        forward="squared = residual ** 2",
        upstream_label="d loss/d squared",
        local_label="d squaredᵢ/d residualᵢ = 2·residualᵢ",
        local=local,
        flows=(flow,),
        why=why,
    )


def _sub(f: Forward, up: torch.Tensor, s: Seen) -> NodeMath:
    local = torch.ones(f.n, dtype=torch.float64)
    hand = up * local
    flow = _flow("y_hat", "upstream × 1", hand, hand, values(s.grad_in[0]), f.n, retained=values(f.y_hat.grad))
    why = "y does not require grad, so nothing flows to it: its entry in next_functions is None."
    return NodeMath(
        forward="residual = y_hat − y",
        upstream_label="d loss/d residual",
        local_label="d residualᵢ/d y_hatᵢ = 1",
        local=local,
        flows=(flow,),
        why=why,
    )


def _add(f: Forward, up: torch.Tensor, s: Seen) -> NodeMath:
    local = torch.ones(f.n, dtype=torch.float64)
    flows = (
        _flow("xw", "upstream × 1", up * local, up, values(s.grad_in[0]), f.n, retained=values(f.xw.grad)),
        _flow("b", "Σᵢ upstreamᵢ × 1", (up * local).sum(), up.abs().sum(), values(s.grad_in[1]), f.n),
    )
    why = "b was added to every sample (broadcast), so AddBackward0 sums the N gradients into one for b."
    return NodeMath(
        forward="y_hat = xw + b",
        upstream_label="d loss/d y_hat",
        local_label="d y_hatᵢ/d xwᵢ = 1 and d y_hatᵢ/d b = 1",
        local=local,
        flows=flows,
        why=why,
    )


def _mv(f: Forward, up: torch.Tensor, s: Seen) -> NodeMath:
    X = cpu64(f.X)
    flow = _flow("w", "Xᵀ · upstream", X.T @ up, X.abs().T @ up.abs(), values(s.grad_in[1]), f.n)
    why = "X does not require grad, so only w gets a gradient: each wⱼ collects column j of X times the upstream."
    return NodeMath(
        forward="xw = X @ w",
        upstream_label="d loss/d xw",
        local_label="d xwᵢ/d wⱼ = Xᵢⱼ: the local derivative is X",
        local=X,
        flows=(flow,),
        why=why,
    )


def accumulate_flow(name: str, s: Seen, n: int) -> Flow:
    incoming = cpu64(s.grad_out[0]) if s.grad_out[0] is not None else torch.zeros((), dtype=torch.float64)
    before = torch.zeros_like(incoming) if s.before is None else torch.tensor(s.before, dtype=torch.float64)
    formula = "None, so .grad becomes the incoming gradient" if s.before is None else f"{name}.grad + incoming"
    hand = before.reshape(incoming.shape) + incoming
    terms = before.abs().reshape(incoming.shape) + incoming.abs()
    return _flow(name, formula, hand, terms, s.after or (), n, before=s.before, incoming=values(incoming))


def accumulate(name: str, s: Seen, n: int) -> NodeMath:
    flow = accumulate_flow(name, s, n)
    was_none = " (it was None, so now it holds exactly that gradient)" if flow.before is None else ""
    why = f"{name} is a leaf: AccumulateGrad adds the incoming gradient into {name}.grad{was_none}."
    return NodeMath(
        forward=f"{name} (a leaf, requires_grad=True)",
        upstream_label=f"d loss/d {name}",
        local_label=f"adds: {name}.grad ← {name}.grad + incoming",
        local=torch.zeros(0),
        flows=(flow,),
        why=why,
    )


Rule = Callable[[Forward, torch.Tensor, Seen], NodeMath]


def rule_for(f: Forward, fn: Any) -> Rule:
    """The hand rule for `fn`, a grad_fn node of the forward pass `f`, found by the tensor it belongs to."""
    rules: tuple[tuple[torch.Tensor, Rule], ...] = (
        (f.loss, _mean), (f.squared, _pow), (f.residual, _sub), (f.y_hat, _add), (f.xw, _mv),
    )  # fmt: skip
    return next(rule for tensor, rule in rules if tensor.grad_fn is fn)
