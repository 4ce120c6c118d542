"""Record what autograd passes through each node of a backward graph, with hooks, in the engine's order.

The nodes come from `gradlab.probes.graph.graph_nodes`, the one walk of a backward graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

Values = tuple[float, ...]


@dataclass
class Seen:
    """What one node's hooks saw (copies: autograd may reuse its buffers)."""

    fn: Any
    grad_in: tuple[torch.Tensor | None, ...] = ()
    grad_out: tuple[torch.Tensor | None, ...] = ()
    before: Values | None = None
    after: Values | None = None


def values(t: torch.Tensor | None) -> Values:
    """A tensor's entries as plain floats (empty for None)."""
    return () if t is None else tuple(t.detach().double().cpu().reshape(-1).tolist())


def _copy(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.detach().clone()


def _grad(t: torch.Tensor) -> Values | None:
    return None if t.grad is None else values(t.grad)


def record(nodes: list[Any]) -> tuple[list[Seen], list[Any]]:
    """Hooks on every node recording, in engine order, its gradients (and a leaf's .grad before and after)."""
    seen: list[Seen] = []
    handles = []
    for fn in nodes:
        leaf = getattr(fn, "variable", None)
        rec = Seen(fn)

        def pre(grad_out: tuple[torch.Tensor, ...], rec: Seen = rec, leaf: Any = leaf) -> None:
            rec.before = None if leaf is None else _grad(leaf)

        def post(grad_in: tuple[Any, ...], grad_out: tuple[Any, ...], rec: Seen = rec, leaf: Any = leaf) -> None:
            rec.grad_in, rec.grad_out = tuple(map(_copy, grad_in)), tuple(map(_copy, grad_out))
            rec.after = None if leaf is None else _grad(leaf)
            seen.append(rec)

        handles += [fn.register_prehook(pre), fn.register_hook(post)]
    return seen, handles
