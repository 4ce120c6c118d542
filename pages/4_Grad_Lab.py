"""Grad Lab: the .grad lifecycle by hand, step-through training, landscape, graph, checks, pitfalls, your data."""

from __future__ import annotations

import streamlit as st

from ui.layout import finish, page

settings = page(
    "Grad Lab",
    "Hands on: the buttons run real PyTorch code on tensors that belong to your browser session.",
    step="Grad Lab",
)

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
from gradlab.probes.graph import graph_at
from ui.cache import get_trace
from ui.guide import LAB_EXPERIMENTS
from ui.lab.chain import chain_section
from ui.lab.data import data_panel
from ui.lab.lifecycle import lifecycle_panel
from ui.lab.pitfalls import pitfalls_panel
from ui.lab.stepping import stepper_panel
from ui.panels import CHECK_EPOCH_DEFAULT, grad_check_panel, landscape_panel
from ui.render import show_graph

cfg, big = settings.config, settings.present
trace = get_trace(cfg)

TABS = (
    "① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
    "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data",
)  # fmt: skip
# A keyed, tracked tab bar: the open tab survives reruns (e.g. after "Apply my data"), and only it is drawn.
with st.container(key="gl-lab-tabs"):  # a stable hook: the tab bar wraps instead of scrolling
    tabs = st.tabs(TABS, key="lab_tab", on_change="rerun")
lifecycle, stepping, landscape, graph, check, pitfalls, data = tabs
if lifecycle.open:
    with lifecycle:
        # A fragment: a click reruns this panel only, not the whole page (measured in bench/capacity).
        st.fragment(lifecycle_panel)(cfg, predict=settings.predict, present=big)
if stepping.open:
    with stepping:
        stepper_panel(cfg, trace, big, predict=settings.predict)  # it names divergence when it is no spoiler
if landscape.open:
    with landscape:
        e_land = st.slider("Epoch", 1, len(trace), len(trace), key=f"lab_land_{len(trace)}") if len(trace) > 1 else 1
        landscape_panel(trace, int(e_land), big)
if graph.open:
    with graph:
        e_graph = st.slider("Epoch", 1, len(trace), 1, key=f"lab_graph_{len(trace)}") if len(trace) > 1 else 1
        st.markdown(
            "The backward graph of this epoch's loss. Blue boxes are `grad_fn` nodes with the value they produced "
            "and the gradient flowing into them; yellow `AccumulateGrad` nodes **add** into the green leaves' `.grad`."
        )
        show_graph(graph_at(trace, int(e_graph)), present=big)
        if cfg.zeroing == "never" and int(e_graph) > 1:
            st.info(
                f"Zeroing is *never*: the Training Trace's `.grad` at epoch {int(e_graph)} is the running sum of "
                f"epochs 1 to {int(e_graph)}. This graph is one fresh `backward()` at epoch {int(e_graph)}'s "
                "weights, so its leaves show only that epoch's own gradient."
            )
        chain_section(trace, int(e_graph), big=big)
if check.open:
    with check:
        e_check = st.number_input("Epoch", 1, len(trace), CHECK_EPOCH_DEFAULT, key=f"lab_check_{len(trace)}")
        grad_check_panel(trace, int(e_check))
if pitfalls.open:
    with pitfalls:
        st.markdown("Each common mistake runs safely right here; you see PyTorch's real answer, why, and the fix.")
        pitfalls_panel(cfg, big)
if data.open:
    with data:
        data_panel()

opened = next((name for name, tab in zip(LAB_EXPERIMENTS, tabs, strict=True) if tab.open), "lifecycle")
finish("Grad Lab", LAB_EXPERIMENTS[opened])  # the thing to try on the open tab
