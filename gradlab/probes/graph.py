"""The backward graph of a loss: grad_fn nodes → AccumulateGrad → leaves, with their values, and the one walk of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch.autograd.graph import Node

from gradlab.fmt import num, vec
from gradlab.runs.live import live, net_live
from gradlab.runs.net import forward_parts, mse
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class GraphNode:
    """One node of the backward graph."""

    node_id: str
    label: str
    kind: str  # "grad_fn" | "accumulate" | "leaf"


@dataclass(frozen=True)
class AutogradGraph:
    """Nodes and edges of the backward graph, from the loss down to the leaves (drawn by gradlab.views.graph_dot)."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]


def _values(t: torch.Tensor | None) -> str:
    if t is None:
        return "None"
    flat = t.detach().cpu().reshape(-1).tolist()
    return num(flat[0]) if t.dim() == 0 else vec(flat[:4]) + (" …" if len(flat) > 4 else "")


def _name(fn: Node) -> str:
    """The node's public name without its C++ namespace: "torch::autograd::AccumulateGrad" → "AccumulateGrad"."""
    return fn.name().rsplit("::", 1)[-1]


def walk(root: Node) -> tuple[list[Node], list[tuple[Node, Node]]]:
    """Every backward node reachable from `root`, once each, depth first with each node's inputs in order; and
    the edges between them. This is the one walk of a backward graph: the picture and the chain rule use it.

    A node is told apart by its Python object, compared with `is`. PyTorch gives out the same object for a node
    as long as one is alive, and the returned lists hold every node they name, so `is` stays meaningful; an id()
    would not (it is reused once an object is freed), nor would comparing freshly made wrappers.
    """
    order: list[Node] = []
    edges: list[tuple[Node, Node]] = []
    stack = [root]
    while stack:
        fn = stack.pop()
        if any(fn is seen for seen in order):
            continue
        order.append(fn)
        inputs = [nxt for nxt, _ in fn.next_functions if nxt is not None]
        edges += [(fn, nxt) for nxt in inputs if not any(fn is a and nxt is b for a, b in edges)]
        stack.extend(reversed(inputs))  # the first input is visited first
    return order, edges


def graph_nodes(loss: torch.Tensor) -> list[Node]:
    """Every node reachable from `loss.grad_fn`, in `walk` order; the list holds them, so `is` comparisons hold."""
    if loss.grad_fn is None:
        raise ValueError("loss: has no grad_fn; it must come from tensors that require grad")
    return walk(loss.grad_fn)[0]


def build_graph(
    loss: torch.Tensor, leaves: dict[str, torch.Tensor], outputs: dict[str, torch.Tensor] | None = None
) -> AutogradGraph:
    """Walk `loss.grad_fn` to the leaves; label nodes with data and grad, micrograd-style.

    `outputs` names intermediate tensors (with retain_grad()) so their grad_fn node shows their values.
    """
    if loss.grad_fn is None:
        raise ValueError("loss: has no grad_fn; it must come from tensors that require grad")
    named = [(n, t) for n, t in (outputs or {}).items() if t.grad_fn is not None]
    named.append(("loss", loss))
    order, fn_edges = walk(loss.grad_fn)

    def node_id(fn: Node) -> str:
        return f"n{next(i for i, held in enumerate(order) if held is fn)}"

    nodes: dict[str, GraphNode] = {}
    edges: list[tuple[str, str]] = []
    for fn in order:
        nid = node_id(fn)
        leaf = getattr(fn, "variable", None)
        if leaf is not None:  # AccumulateGrad: writes into leaf.grad
            name = next((n for n, t in leaves.items() if t is leaf), "leaf")
            nodes[nid] = GraphNode(nid, f"{_name(fn)}\n→ {name}.grad", "accumulate")
            lid = "leaf_" + name.replace(".", "_")  # a DOT id: letters, digits and _ only
            nodes[lid] = GraphNode(lid, f"{name} (leaf)\ndata {_values(leaf)}\ngrad {_values(leaf.grad)}", "leaf")
            edges.append((nid, lid))
        else:
            label = _name(fn)
            made = next(((n, t) for n, t in named if t.grad_fn is fn), None)
            if made is not None:
                name, t = made
                grad = "1 (d loss/d loss)" if t is loss else _values(t.grad if t.retains_grad else None)
                label += f"\n{name} = {_values(t)}\ngrad {grad}"
            nodes[nid] = GraphNode(nid, label, "grad_fn")
    edges += [(node_id(a), node_id(b)) for a, b in fn_edges]
    return AutogradGraph(tuple(nodes.values()), tuple(dict.fromkeys(edges)))


def graph_for(config: RunConfig, w0: tuple[float, ...] | None = None, b0: float | None = None) -> AutogradGraph:
    """Forward + backward at (w0, b0) (the config's start by default) and the resulting graph."""
    run = live(config.with_(w0=config.w0 if w0 is None else w0, b0=config.b0 if b0 is None else b0))
    X, y, w, b = run.X, run.y, run.w, run.b
    # The same computation as forward() + mse(), one named intermediate per graph node.
    xw = X @ w
    y_hat = xw + b
    residual = y_hat - y
    squared = residual**2
    loss = squared.mean()
    outputs = {"X@w": xw, "y_hat": y_hat, "y_hat - y": residual, "(y_hat - y)**2": squared}
    for t in outputs.values():
        t.retain_grad()
    loss.backward()
    return build_graph(loss, {"w": w, "b": b}, outputs)


def graph_for_net(config: RunConfig, point: Mapping[str, np.ndarray] | None = None) -> AutogradGraph:
    """Forward + backward of the network at `point` (parameter name → values; default: its start) and the graph.

    The nodes: MseLossBackward0, an AddmmBackward0 per layer (with a TBackward0 for each weight, used transposed),
    TanhBackward0, and an AccumulateGrad for each of the four parameters; z, h and ŷ are labelled with their values.
    """
    run = net_live(config)
    params = dict(run.net.named_parameters())
    if point is not None:
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(torch.as_tensor(np.asarray(point[name]), dtype=p.dtype).view(p.shape))
    z, h, y_hat = forward_parts(run.net, run.X)
    loss = mse(y_hat, run.y)
    outputs = {"z = hidden(X)": z, "h = tanh(z)": h, "y_hat = out(h)": y_hat}
    for t in outputs.values():
        t.retain_grad()
    loss.backward()
    return build_graph(loss, dict(params), outputs)


def graph_at(trace: Trace, epoch: int) -> AutogradGraph:
    """The graph of epoch `epoch`'s loss (1-based), built at the parameters that epoch started from (either model)."""
    i = trace.index(epoch)
    if trace.config.model == "net":
        return graph_for_net(trace.config, {n: v[i] for n, v in trace.params.items()})
    return graph_for(trace.config, tuple(float(v) for v in trace.w[i]), float(trace.b[i]))
