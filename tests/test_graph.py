"""The one walk of a backward graph tells nodes apart by their held objects, so it holds however PyTorch manages its
wrappers."""

from __future__ import annotations

import gc
import weakref

import torch

from gradlab.probes.graph import build_graph, graph_for, walk
from gradlab.runs.live import live
from gradlab.runs.model import forward, mse
from gradlab.settings.config import RunConfig
from gradlab.views.graph_dot import graph_text

CARD = RunConfig()


def _card_edges() -> set[tuple[str, str]]:
    """The card's backward graph as (node, next node) names, read here from torch directly, all nodes held."""
    w, b = torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)
    loss = ((torch.tensor(CARD.X) @ w + b - torch.tensor(CARD.y)) ** 2).mean()
    held, edges, stack = [], set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        held.append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.add((type(fn).__name__, type(nxt).__name__))
                stack.append(nxt)
    return edges


def _churn() -> None:
    """What a busy server does between two node visits: collect garbage and allocate many small objects."""
    gc.collect()
    _churn.keep = [object() for _ in range(200)] + [[i] for i in range(200)]  # type: ignore[attr-defined]


class _Node:
    """A C++-side backward node; its Python wrapper is cached only while someone holds it (as on some builds)."""

    def __init__(self, name: str, *children: _Node) -> None:
        self.label, self.children = name, children
        self._wrapper: weakref.ref[_Wrapper] | None = None

    def wrapper(self) -> _Wrapper:
        held = self._wrapper() if self._wrapper is not None else None
        if held is None:
            held = _Wrapper(self)
            self._wrapper = weakref.ref(held)
        return held


class _Wrapper:
    """A short-lived Python wrapper: when nobody holds it, it is freed and its id() can go to the next one."""

    __slots__ = ("__weakref__", "_node")

    def __init__(self, node: _Node) -> None:
        self._node = node

    def name(self) -> str:
        return self._node.label

    @property
    def next_functions(self) -> tuple[tuple[_Wrapper, int], ...]:
        _churn()
        return tuple((c.wrapper(), 0) for c in self._node.children)


def test_walk_keeps_nodes_apart_when_wrappers_are_freed_and_ids_reused():
    # A diamond and a chain: 7 distinct nodes, one (shared) reachable along two paths.
    shared = _Node("Shared", _Node("LeafA"), _Node("LeafB"))
    root = _Node("Root", _Node("Left", shared), _Node("Right", shared, _Node("Tail", _Node("End"))))
    order, edges = walk(root.wrapper())
    names = [fn.name() for fn in order]
    assert sorted(names) == sorted(["Root", "Left", "Right", "Shared", "LeafA", "LeafB", "Tail", "End"])
    assert {(a.name(), b.name()) for a, b in edges} == {
        ("Root", "Left"), ("Root", "Right"), ("Left", "Shared"), ("Right", "Shared"),
        ("Right", "Tail"), ("Tail", "End"), ("Shared", "LeafA"), ("Shared", "LeafB"),
    }  # fmt: skip
    assert len(edges) == 8


def _card_loss() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The card's loss after backward(); every intermediate tensor and grad_fn wrapper is dropped on return."""
    run = live(CARD)
    loss = mse(forward(run.X, run.w, run.b), run.y)
    loss.backward(retain_graph=True)
    return loss, {"w": run.w, "b": run.b}


def test_card_graph_is_the_same_after_wrappers_are_dropped_and_memory_reused():
    loss, leaves = _card_loss()
    _churn()
    graph = build_graph(loss, leaves)
    _churn()
    again = build_graph(loss, leaves)
    assert (graph.nodes, graph.edges) == (again.nodes, again.edges)
    label = {n.node_id: n.label.split("\n")[0] for n in graph.nodes}
    fn_edges = {(label[a], label[b]) for a, b in graph.edges if not b.startswith("leaf_")}
    assert fn_edges == _card_edges() and len(fn_edges) == 6  # Mean→Pow→Sub→Add→{Mv→Acc(w), Acc(b)}
    assert sum(n.kind == "grad_fn" for n in graph.nodes) == 5 and sum(n.kind == "leaf" for n in graph.nodes) == 2
    assert len(graph.edges) == 8


def test_a_tree_reads_without_repeats():
    text = graph_text(graph_for(CARD))
    assert "(as above)" not in text
    for name in {a for a, _ in _card_edges()}:
        assert text.count(name) == 1
