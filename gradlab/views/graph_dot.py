"""The backward graph as a picture (DOT for graphviz) and as words (its accessible text)."""

from __future__ import annotations

from gradlab.probes.graph import AutogradGraph
from gradlab.views.style import body_px

STYLE = {
    "grad_fn": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',  # blue
    "accumulate": 'shape=box, style="filled", fillcolor="#fff4d6"',  # yellow
    "leaf": 'shape=box, style="filled,bold", fillcolor="#d9f2e3"',  # green
}


def escape(text: str) -> str:
    """Text for a double-quoted DOT label: backslashes and quotes escaped, line breaks as \\n."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def graph_dot(graph: AutogradGraph, *, present: bool = False) -> str:
    """DOT text of the graph, node labels at the page's body size (larger in presentation mode)."""
    lines = [
        "digraph backward {",
        f'  rankdir=TB; node [fontname="Helvetica", fontsize={body_px(present)}]; edge [color="#555555"];',
    ]
    lines += [f'  {n.node_id} [label="{escape(n.label)}", {STYLE[n.kind]}];' for n in graph.nodes]
    lines += [f"  {a} -> {b};" for a, b in graph.edges]
    lines.append("}")
    return "\n".join(lines)


def _flat(label: str) -> str:
    """A node label on one line: "MeanBackward0 (loss = 47.25; grad 1)"."""
    head, *rest = label.split("\n")
    return f"{head} ({'; '.join(rest)})" if rest else head


def graph_text(graph: AutogradGraph) -> str:
    """The graph in words, from the loss down to the leaves: the alt text of its picture."""
    labels = {n.node_id: _flat(n.label) for n in graph.nodes}
    children: dict[str, list[str]] = {}
    for a, b in graph.edges:
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

    return "Backward graph, from the loss to the leaves: " + walk(graph.nodes[0].node_id) + "."
