"""The picture of a backward() walk: the graph as DOT, the nodes done so far filled, the current one marked."""

from __future__ import annotations

from gradlab.fmt import num, vec
from gradlab.probes.chain import ChainStep, ChainWalk
from gradlab.views.graph_dot import escape
from gradlab.views.style import INK, body_px

DONE, CURRENT, PENDING, LEAF = "#dbeafe", "#fdba74", "#ffffff", "#d9f2e3"
LEAVES = ("w", "b")


def current_step(walk: ChainWalk, position: int) -> ChainStep | None:
    """The step shown at `position` (0: backward() has not started; k: the k-th node has just run)."""
    return walk.steps[position - 1] if 1 <= position <= len(walk.steps) else None


def leaf_grad(walk: ChainWalk, leaf: str, position: int) -> tuple[float, ...] | None:
    """The leaf's .grad after the first `position` steps: None until its AccumulateGrad has run."""
    grad = None
    for step in walk.steps[:position]:
        for flow in step.flows:
            if step.kind != "grad_fn" and flow.target == leaf:
                grad = flow.autograd
    return grad


def _grad_text(values: tuple[float, ...] | None) -> str:
    if values is None:
        return "None"
    return num(values[0]) if len(values) == 1 else vec(values)


def _box(box_id: str, label: str, fill: str, *, current: bool, pending: bool = False) -> str:
    style = '"filled,bold"' if current else ('"filled,dashed"' if pending else '"filled"')
    pen = 4 if current else 1.5
    colour = "#c2410c" if current else INK
    return f'  {box_id} [label="{escape(label)}", style={style}, fillcolor="{fill}", color="{colour}", penwidth={pen}];'


def around(walk: ChainWalk, position: int) -> set[str]:
    """The boxes next to the current one (the node that sends it its gradient, and those it sends to), with it.

    Before backward() starts, the current box is the loss; on "backward() again", every AccumulateGrad and its leaf.
    """
    now = current_step(walk, position)
    if now is not None and now.kind == "again":
        return {s.node_id for s in walk.steps if s.kind == "accumulate"} | set(LEAVES)
    centre = "loss" if now is None else now.node_id
    near = {centre}
    for a, b in walk.edges:
        if centre in (a, b):
            near |= {a, b}
    return near


def chain_dot(walk: ChainWalk, position: int, *, present: bool = False, neighbourhood: bool = False) -> str:
    """DOT of the walk at `position`: done nodes filled, the current one orange and bold, leaves with their .grad.

    With `neighbourhood`, only the current box and the boxes next to it (`around`), in two rows: the box that sent
    the gradient beside it, the boxes it sends to below. A picture that fits one projected screen with the node's
    arithmetic.
    """
    now = current_step(walk, position)
    done = {s.node_id for s in walk.steps[:position]}
    again = now is not None and now.kind == "again"
    shown = around(walk, position) if neighbourhood else None
    nodes = [s for s in walk.steps if s.kind != "again" and (shown is None or s.node_id in shown)]
    lines = [
        "digraph backward {",
        '  rankdir=TB; nodesep=0.35; ranksep=0.3; bgcolor="transparent";',
        f'  node [shape=box, fontname="Helvetica", fontsize={body_px(present)}, fontcolor="{INK}", margin="0.2,0.08"];',
        '  edge [color="#374151", penwidth=1.5];',
    ]
    if shown is None or "loss" in shown:
        lines.append(
            _box(
                "loss",
                f"loss = {num(walk.loss)}\nd loss/d loss = 1",
                LEAF if position == 0 else DONE,
                current=position == 0,
            )
        )
    for s in nodes:
        is_now = (now is not None and s.node_id == now.node_id) or (again and s.kind == "accumulate")
        detail = s.forward if s.kind == "grad_fn" else f"adds into {s.flows[0].target}.grad"
        fill = CURRENT if is_now else DONE if s.node_id in done else PENDING
        lines.append(_box(s.node_id, f"{s.short_name}\n{detail}", fill, current=is_now, pending=s.node_id not in done))
    for leaf in LEAVES:
        if shown is not None and leaf not in shown:
            continue
        is_now = again or (now is not None and now.kind == "accumulate" and now.flows[0].target == leaf)
        label = f"{leaf} (leaf)\n{leaf}.grad = {_grad_text(leaf_grad(walk, leaf, position))}"
        lines.append(_box(leaf, label, LEAF, current=is_now))
    lines += [f"  {a} -> {b};" for a, b in walk.edges if shown is None or {a, b} <= shown]
    if shown is not None and now is not None and now.kind != "again":
        # The box that sent the gradient sits beside the current one, those it sends to below: two rows, not three.
        lines += [f"  {{rank=same; {a}; {b};}}" for a, b in walk.edges if b == now.node_id]
    lines.append("}")
    return "\n".join(lines)


def chain_text(walk: ChainWalk, position: int) -> str:
    """The picture in words, for screen readers: which nodes have run, which is current, each leaf's .grad."""
    now = current_step(walk, position)
    ran = ", ".join(s.short_name for s in walk.steps[:position] if s.kind != "again") or "none yet"
    grads = "; ".join(f"{leaf}.grad = {_grad_text(leaf_grad(walk, leaf, position))}" for leaf in LEAVES)
    where = "backward() has not started" if now is None else f"current: step {now.number}, {now.short_name}"
    return f"Backward walk, {where}. Nodes run so far: {ran}. {grads}."
