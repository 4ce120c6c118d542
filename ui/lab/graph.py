"""Grad Lab ④: the autograd graph of any epoch's loss, and below it the walk through backward() node by node."""

from __future__ import annotations

import streamlit as st

from gradlab.probes.graph import graph_at
from gradlab.runs.trace import Trace
from ui.lab.chain import chain_section
from ui.render import show_graph


def graph_tab(trace: Trace, *, present: bool) -> None:
    """An epoch slider (at epoch 1), the graph at that epoch, and the backward() walk there."""
    epoch = int(st.slider("Epoch", 1, len(trace), 1, key=f"lab_graph_{len(trace)}") if len(trace) > 1 else 1)
    st.markdown(
        "The backward graph of this epoch's loss. Blue boxes are `grad_fn` nodes with the value they produced "
        "and the gradient flowing into them; yellow `AccumulateGrad` nodes **add** into the green leaves' `.grad`."
    )
    show_graph(graph_at(trace, epoch), present=present)
    if trace.config.zeroing == "never" and epoch > 1:
        st.info(
            f"Zeroing is *never*: the Training Trace's `.grad` at epoch {epoch} is the running sum of "
            f"epochs 1 to {epoch}. This graph is one fresh `backward()` at epoch {epoch}'s "
            "weights, so its leaves show only that epoch's own gradient."
        )
    chain_section(trace, epoch, present=present)
