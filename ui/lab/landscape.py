"""Grad Lab ③: the loss landscape at any epoch, with the path so far and the −.grad arrow."""

from __future__ import annotations

import math

import streamlit as st

from gradlab.fmt import num
from gradlab.runs.trace import Trace
from gradlab.views.net_slice_chart import net_slice_spec
from ui.cache import get_net_slice
from ui.panels import landscape_panel


def landscape_tab(trace: Trace, *, present: bool) -> None:
    """An epoch slider (at the last epoch) and the landscape at that epoch; for the network, what it would need
    and a slice through two named entries."""
    if trace.config.is_net:
        _net_landscape(trace, present)
    epoch = st.slider("Epoch", 1, len(trace), len(trace), key=f"lab_land_{len(trace)}") if len(trace) > 1 else 1
    if trace.config.is_net:
        _net_slice(trace, int(epoch), present)
        return
    landscape_panel(trace, int(epoch), present)


def _net_slice(trace: Trace, epoch: int, present: bool) -> None:
    s = get_net_slice(trace, epoch)
    st.vega_lite_chart(net_slice_spec(s, present=present), width="stretch", theme=None)
    (la, lb), (gla, glb), (ga, gb) = s.labels, s.grad_labels, s.grad
    if trace.config.zeroing == "never" and epoch > 1:
        slope = (
            f"Zeroing is *never*: at epoch {epoch}, {gla} and {glb} hold the running sum of epochs 1 to {epoch}, "
            "not the slope at the white dot."
        )
    else:
        slope = f"At the white dot, {gla} = {num(ga)} and {glb} = {num(gb)}: the loss's slopes along the two axes."
    st.caption(
        f"A slice, not the landscape: {la} and {lb} vary over the grid while the other {s.held} entries stay at "
        f"epoch {epoch}'s values; every cell is a float32 forward pass of the network there. {slope} The update "
        "moves every entry whose .grad is not zero, not only these two, so this slice does not show where the run "
        "goes next."
    )


def _net_landscape(trace: Trace, present: bool) -> None:
    """The landscape is a picture over the linear model's two weights; the network's loss depends on more."""
    sizes = {n: math.prod(v.shape[1:]) for n, v in trace.params.items()}
    parts = ", ".join(f"`{n}` {k}" for n, k in sizes.items())
    total = sum(sizes.values())
    if present:  # a projector needs the chart on the first screen
        st.markdown(f"The network's loss depends on {total} numbers; below, a slice through two of them.")
        return
    st.info(
        f"This tab draws the loss over the linear model's two weights w₁ and w₂. The network's loss depends on "
        f"{sum(sizes.values())} numbers ({parts}), so its landscape is a surface over {sum(sizes.values())} "
        "dimensions: a picture could show only a slice through two of them with the other "
        f"{sum(sizes.values()) - 2} held fixed, and the training path would leave that slice. Below is such a "
        "slice; the sidebar's *Model* switches to the linear model and its landscape.",
        icon=":material/info:",
    )
