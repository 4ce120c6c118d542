"""The backward graph of a loss as DOT text: grad_fn nodes → AccumulateGrad → leaves, with values."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.graph import Node

from gradlab.fmt import num, vec
from gradlab.runs.live import live
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig

FONT_PX = 14  # node label size in the DOT text; pages draw it at their body size with `dot_at`


@dataclass(frozen=True)
class GraphNode:
    """One node of the backward graph."""

    node_id: str
    label: str
    kind: str  # "grad_fn" | "accumulate" | "leaf"


@dataclass(frozen=True)
class AutogradGraph:
    """Nodes and edges of the backward graph, and its DOT rendering."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]
    dot: str

    def as_text(self) -> str:
        """The graph in words, from the loss down to the leaves: the alt text of its picture."""
        labels = {n.node_id: _flat(n.label) for n in self.nodes}
        children: dict[str, list[str]] = {}
        for a, b in self.edges:
            children.setdefault(a, []).append(b)
        seen: set[str] = set()

        def walk(nid: str) -> str:
            if nid in seen:
                return labels[nid] + " (as above)"
            seen.add(nid)
            below = children.get(nid, [])
            if not below:
                return labels[nid]
            if len(below) == 1:
                return f"{labels[nid]} → {walk(below[0])}"
            return f"{labels[nid]}, which branches: " + "; and ".join(walk(c) for c in below)

        return "Backward graph, from the loss to the leaves: " + walk(self.nodes[0].node_id) + "."

    def dot_at(self, font_px: int) -> str:
        """The DOT text with node labels at `font_px` (the page's body size, larger on a projector)."""
        return self.dot.replace(f"fontsize={FONT_PX}]", f"fontsize={font_px}]", 1)


def _values(t: torch.Tensor | None) -> str:
    if t is None:
        return "None"
    flat = t.detach().cpu().reshape(-1).tolist()
    return num(flat[0]) if t.dim() == 0 else vec(flat[:4]) + (" …" if len(flat) > 4 else "")


def _flat(label: str) -> str:
    """A node label on one line: "MeanBackward0 (loss = 47.25; grad 1)"."""
    head, *rest = label.split("\n")
    return f"{head} ({'; '.join(rest)})" if rest else head


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _name(fn: Node) -> str:
    """The node's public name without its C++ namespace: "torch::autograd::AccumulateGrad" → "AccumulateGrad"."""
    return fn.name().rsplit("::", 1)[-1]


def walk(root: Node) -> tuple[list[Node], list[tuple[Node, Node]]]:
    """Every backward node reachable from `root` in visit order, and the edges between them.

    Nodes are keyed by the node objects themselves, and the returned list holds them: PyTorch hands out one
    Python wrapper per live node, so keeping each wrapper alive keeps it unique (an id() would be reused).
    """
    order: list[Node] = []
    seen: set[Node] = set()
    edges: list[tuple[Node, Node]] = []
    stack = [root]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        order.append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.append((fn, nxt))
                stack.append(nxt)
    return order, list(dict.fromkeys(edges))


def build_graph(
    loss: torch.Tensor, leaves: dict[str, torch.Tensor], outputs: dict[str, torch.Tensor] | None = None
) -> AutogradGraph:
    """Walk `loss.grad_fn` to the leaves; label nodes with data and grad, micrograd-style.

    `outputs` names intermediate tensors (with retain_grad()) so their grad_fn node shows their values.
    """
    if loss.grad_fn is None:
        raise ValueError("loss: has no grad_fn; it must come from tensors that require grad")
    made_by = {t.grad_fn: (n, t) for n, t in (outputs or {}).items() if t.grad_fn is not None}
    made_by.setdefault(loss.grad_fn, ("loss", loss))
    order, fn_edges = walk(loss.grad_fn)
    ids = {fn: f"n{i}" for i, fn in enumerate(order)}
    nodes: dict[str, GraphNode] = {}
    edges: list[tuple[str, str]] = []
    for fn in order:
        nid = ids[fn]
        leaf = getattr(fn, "variable", None)
        if leaf is not None:  # AccumulateGrad: writes into leaf.grad
            name = next((n for n, t in leaves.items() if t is leaf), "leaf")
            nodes[nid] = GraphNode(nid, f"{_name(fn)}\n→ {name}.grad", "accumulate")
            lid = f"leaf_{name}"
            nodes[lid] = GraphNode(lid, f"{name} (leaf)\ndata {_values(leaf)}\ngrad {_values(leaf.grad)}", "leaf")
            edges.append((nid, lid))
        else:
            label = _name(fn)
            if fn in made_by:
                name, t = made_by[fn]
                grad = "1 (d loss/d loss)" if t is loss else _values(t.grad if t.retains_grad else None)
                label += f"\n{name} = {_values(t)}\ngrad {grad}"
            nodes[nid] = GraphNode(nid, label, "grad_fn")
    edges += [(ids[a], ids[b]) for a, b in fn_edges]
    edges = list(dict.fromkeys(edges))
    style = {
        "grad_fn": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',
        "accumulate": 'shape=box, style="filled", fillcolor="#fff4d6"',
        "leaf": 'shape=box, style="filled,bold", fillcolor="#d9f2e3"',
    }
    lines = [
        "digraph backward {",
        f'  rankdir=TB; node [fontname="Helvetica", fontsize={FONT_PX}]; edge [color="#555555"];',
    ]
    lines += [f'  {n.node_id} [label="{_escape(n.label)}", {style[n.kind]}];' for n in nodes.values()]
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return AutogradGraph(tuple(nodes.values()), tuple(edges), "\n".join(lines))


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


def graph_at(trace: Trace, epoch: int) -> AutogradGraph:
    """The graph of epoch `epoch`'s loss (1-based), built at the weights that epoch started from."""
    i = trace.index(epoch)
    return graph_for(trace.config, tuple(float(v) for v in trace.w[i]), float(trace.b[i]))
