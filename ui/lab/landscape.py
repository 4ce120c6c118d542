"""Grad Lab ③: the loss landscape at any epoch, with the path so far and the −.grad arrow."""

from __future__ import annotations

import math

import streamlit as st

from gradlab.runs.trace import Trace
from ui.panels import landscape_panel


def landscape_tab(trace: Trace, *, present: bool) -> None:
    """An epoch slider (at the last epoch) and the landscape at that epoch; for the network, what it would need."""
    if trace.config.is_net:
        _net_landscape(trace)
        return
    epoch = st.slider("Epoch", 1, len(trace), len(trace), key=f"lab_land_{len(trace)}") if len(trace) > 1 else 1
    landscape_panel(trace, int(epoch), present)


def _net_landscape(trace: Trace) -> None:
    """The landscape is a picture over the linear model's two weights; the network's loss depends on more."""
    sizes = {n: math.prod(v.shape[1:]) for n, v in trace.params.items()}
    parts = ", ".join(f"`{n}` {k}" for n, k in sizes.items())
    st.info(
        f"This tab draws the loss over the linear model's two weights w₁ and w₂. The network's loss depends on "
        f"{sum(sizes.values())} numbers ({parts}), so its landscape is a surface over {sum(sizes.values())} "
        "dimensions: a picture could show only a slice through two of them with the other "
        f"{sum(sizes.values()) - 2} held fixed, and the path and the −.grad arrow would leave that slice. "
        "Switch the sidebar's *Model* to the linear model to see the landscape; for the network, the Training "
        "Trace shows the loss and each parameter's gradient norm per epoch.",
        icon=":material/info:",
    )
