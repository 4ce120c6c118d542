"""Grad Lab ③: the loss landscape at any epoch, with the path so far and the −.grad arrow."""

from __future__ import annotations

import streamlit as st

from gradlab.runs.trace import Trace
from ui.panels import landscape_panel


def landscape_tab(trace: Trace, *, present: bool) -> None:
    """An epoch slider (at the last epoch) and the landscape at that epoch."""
    epoch = st.slider("Epoch", 1, len(trace), len(trace), key=f"lab_land_{len(trace)}") if len(trace) > 1 else 1
    landscape_panel(trace, int(epoch), present)
