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
from ui.cache import get_trace
from ui.cookie import saving
from ui.guide import LAB_EXPERIMENTS
from ui.lab import TAB, TABS
from ui.lab.check import check_tab
from ui.lab.data import data_panel
from ui.lab.graph import graph_tab
from ui.lab.landscape import landscape_tab
from ui.lab.lifecycle import lifecycle_panel
from ui.lab.net_check import net_check_tab
from ui.lab.net_graph import net_graph_tab
from ui.lab.net_lifecycle import net_lifecycle_panel
from ui.lab.net_stepping import net_stepper_panel
from ui.lab.net_tips import NET_LAB_EXPERIMENTS
from ui.lab.network import network_tab
from ui.lab.pitfalls import pitfalls_panel
from ui.lab.stepping import stepper_panel
from ui.tabs import kept_tabs

cfg, present = settings.config, settings.present
trace = get_trace(cfg)
PANELS = {
    # A fragment: a click reruns this panel only, not the whole page (measured in bench/capacity).
    "lifecycle": lambda: st.fragment(saving(lifecycle_panel))(cfg, predict=settings.predict, present=present),
    "stepping": lambda: stepper_panel(cfg, trace, present=present, predict=settings.predict),
    "landscape": lambda: landscape_tab(trace, present=present),
    "graph": lambda: graph_tab(trace, present=present),
    "check": lambda: check_tab(trace),
    "pitfalls": lambda: pitfalls_panel(cfg, predict=settings.predict, present=present),
    "data": lambda: data_panel(is_net=cfg.is_net),
    "network": lambda: network_tab(cfg, predict=settings.predict, present=present),
}
if cfg.is_net:  # the network (issue 21): its own lifecycle, step-through, graph walk and check
    PANELS |= {
        "lifecycle": lambda: st.fragment(saving(net_lifecycle_panel))(cfg, predict=settings.predict, present=present),
        "stepping": lambda: net_stepper_panel(trace, present=present, predict=settings.predict),
        "graph": lambda: net_graph_tab(trace, present=present),
        "check": lambda: net_check_tab(trace),
    }

# A keyed, tracked tab bar: the open tab survives reruns (e.g. after "Apply my data"), and only it is drawn.
with st.container(key="gl-lab-tabs"):  # a stable hook: the tab bar wraps instead of scrolling
    tabs = kept_tabs(list(TABS.values()), key=TAB)  # and reopens on it after a page switch
opened = "lifecycle"
for name, tab in zip(TABS, tabs, strict=True):
    if tab.open:
        opened = name
        with tab:
            panel = PANELS.get(name)  # a tab added to ui.lab.TABS needs its panel here too
            if panel is None:
                st.info("This tab has no panel on this page yet.")
            else:
                panel()

tips = NET_LAB_EXPERIMENTS if cfg.is_net else {}
finish("Grad Lab", tips.get(opened) or LAB_EXPERIMENTS[opened])  # the thing to try on the open tab
