"""Grad Lab ④ for the network: the autograd graph of any epoch's loss, and backward() node by node as the engine ran
it, from MseLossBackward0 through AddmmBackward0 and TanhBackward0 to an AccumulateGrad for each parameter."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.probes.graph import graph_at
from gradlab.probes.net_walk import NetWalk
from gradlab.runs.trace import Trace
from ui.cache import get_net_walk
from ui.render import show_graph

SHOWN = 6  # values of a long gradient shown before "…"


def _values(v: tuple[float, ...] | None) -> str:
    if v is None:
        return "None"
    return vec(v[:SHOWN]) + (" …" if len(v) > SHOWN else "")


def _shapes(shapes: tuple[tuple[int, ...] | None, ...]) -> str:
    return ", ".join("None" if s is None else str(tuple(s)) for s in shapes) or "—"


def walk_frame(walk: NetWalk) -> pd.DataFrame:
    """One row per node in engine order: what arrived, what it sent on (or wrote into .grad)."""
    rows = []
    for s in walk.steps:
        if s.param is not None:
            sent = f"{s.param}.grad: {_values(s.grad_before)} → {_values(s.grad_after)}"
        else:
            sent = "; ".join(_values(g) for g in s.sent)
        rows.append(
            {
                "#": s.number,
                "node": s.node if s.param is None else f"{s.node} → {s.param}",
                "received (shape)": _shapes(s.upstream_shapes),
                "received": _values(s.upstream),
                "sends on (shapes)": "into .grad" if s.param is not None else _shapes(s.sent_shapes),
                "sends on / writes": sent,
            }
        )
    return pd.DataFrame(rows).set_index("#")


def net_graph_tab(trace: Trace, *, present: bool) -> None:
    """An epoch slider, the graph at that epoch's parameters and the walk through backward() there."""
    epoch = int(st.slider("Epoch", 1, len(trace), 1, key=f"lab_net_graph_{len(trace)}") if len(trace) > 1 else 1)
    st.markdown(
        "The backward graph of this epoch's loss for `model = Net()`. Blue boxes are `grad_fn` nodes "
        "(`AddmmBackward0` for each `nn.Linear`, `TBackward0` for its weight used transposed, `TanhBackward0`, "
        "`MseLossBackward0`); yellow `AccumulateGrad` nodes **add** into the green parameters' `.grad`."
    )
    show_graph(graph_at(trace, epoch), present=present)
    walk = get_net_walk(trace, epoch)
    with st.expander("Walk backward() node by node", expanded=not present):
        st.markdown(
            f"At epoch {epoch}'s parameters, fresh (every `.grad` None), loss = {num(walk.loss)}. Hooks on every "
            "node recorded what autograd passed, in the order its engine ran the nodes: what each node received "
            "from above and what it sent on to each of its inputs (None where that input needs no gradient, "
            "such as X)."
        )
        st.table(walk_frame(walk))
        acc = [s.param for s in walk.steps if s.param is not None]
        if walk.accumulate_matches:
            st.caption(
                f"The walk ends in {len(acc)} AccumulateGrad nodes, one per parameter ({', '.join(acc)}); what each "
                "wrote is exactly the parameter's `.grad` after backward()."
            )
        else:
            st.warning("An AccumulateGrad node's result differs from its parameter's .grad after backward().")
    if trace.config.zeroing == "never" and epoch > 1:
        st.info(
            f"Zeroing is *never*: the Training Trace's `.grad` at epoch {epoch} is the running sum of epochs 1 to "
            f"{epoch}. This graph is one fresh `backward()` at epoch {epoch}'s parameters, so it shows only that "
            "epoch's own gradient."
        )
