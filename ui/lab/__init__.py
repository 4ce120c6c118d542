"""Grad Lab: one module per tab, and the tab bar's names."""

from __future__ import annotations

TAB = "lab_tab"  # session key of the tab bar (a keyed, tracked st.tabs): the open tab's label
# Each tab's name (also the key of its experiment in ui.guide.LAB_EXPERIMENTS) and label, in the bar's order.
TABS: dict[str, str] = {
    "lifecycle": "① .grad lifecycle",
    "stepping": "② Step-through training",
    "landscape": "③ Loss landscape",
    "graph": "④ Autograd graph",
    "check": "⑤ Gradient check",
    "pitfalls": "⑥ Pitfalls",
    "data": "⑦ Your data",
    "network": "⑧ Inside nn.Module",
}
