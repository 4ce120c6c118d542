"""Grad Lab ⑤: autograd's .grad against the analytic gradient and finite differences, at any epoch."""

from __future__ import annotations

import streamlit as st

from gradlab.runs.trace import Trace
from ui.panels import CHECK_EPOCH_DEFAULT, grad_check_panel


def check_tab(trace: Trace) -> None:
    """An epoch box (at the same epoch as the Training Trace's check) and the check at that epoch."""
    epoch = st.number_input("Epoch", 1, len(trace), CHECK_EPOCH_DEFAULT, key=f"lab_check_{len(trace)}")
    grad_check_panel(trace, int(epoch))
