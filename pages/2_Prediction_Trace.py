"""Prediction Trace: one sample through the card's five layers, at one epoch of the current run."""

from __future__ import annotations

import streamlit as st

from ui.layout import finish, page

settings = page(
    "Prediction Trace",
    "Follow one sample through one pass: its features, the linear layer, its share of the loss, its share of "
    "the gradient, and how every sample's share adds up to `.grad`. The learning card this lesson grew from "
    "calls these five steps *layers*; only layer 2 is a layer of the model, the others are stages of the "
    "computation around it.",
    step="Prediction Trace",
)

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
import pandas as pd

from gradlab.fmt import num, vec
from gradlab.lesson.prompts import share_sign, share_value
from gradlab.probes.sample import contribution_table, linear_text, loss_text, sum_table, trace_sample
from ui.cache import get_trace
from ui.panels import divergence_box
from ui.predictions import gate

cfg, present = settings.config, settings.present
trace = get_trace(cfg)
divergence_box(trace)

c1, c2 = st.columns(2)
row = c1.selectbox(
    "Sample (row of X)",
    options=list(range(cfg.n_samples)),
    format_func=lambda r: f"row {r + 1}: x = {vec(cfg.X[r])}, y = {num(cfg.y[r])}",
    key=f"pt_row_{cfg.n_samples}",
)
epoch = c2.slider("Epoch", 1, len(trace), 1, key=f"pt_epoch_{len(trace)}") if len(trace) > 1 else 1
s = trace_sample(trace, int(epoch), int(row))

with st.container(border=True):
    st.header("Layer 1 · Input features")
    features = ", ".join(f"**x{j + 1} = {num(v)}**" for j, v in enumerate(s.x))
    st.markdown(f"Sample {row + 1} of {s.n_samples}: {features}, target **y = {num(s.y)}**.")

with st.container(border=True):
    st.header("Layer 2 · Linear layer")
    st.markdown(f"At epoch {epoch}, w = {vec(s.w)} and b = {num(s.b)}:")
    st.code(linear_text(s), language="text", wrap_lines=True)

with st.container(border=True):
    st.header("Layer 3 · Loss term")
    st.code(loss_text(s), language="text", wrap_lines=True)

if gate(share_sign(s), predict=settings.predict, present=present) and gate(
    share_value(s), predict=settings.predict, present=present
):
    with st.container(border=True):
        st.header("Layer 4 · Backward pass (.backward())")
        st.markdown(
            "This sample's contribution to the gradient, by hand, 2/N·(ŷ−y)·x, and by autograd "
            "(`backward()` on this sample's share of the loss alone):"
        )
        st.table(pd.DataFrame(contribution_table(s)).set_index("parameter"))

    with st.container(border=True):
        st.header("Layer 5 · Access the .grad attribute")
        st.markdown(
            "Every sample contributes; `.grad` is their sum. Summed contributions beside the `.grad` "
            "read from the tensors:"
        )
        header, rows = sum_table(s)
        st.table(pd.DataFrame(rows, columns=header).set_index(""))
        if s.accumulated:
            st.warning(
                "Zeroing is set to *never*, so `.grad` also holds every earlier epoch's gradient: it is the running "
                "sum, not just this epoch's Σ contributions. That is gradient accumulation."
            )
        elif s.max_sum_diff == 0:
            st.success("Σ contributions = .grad exactly.", icon=":material/check_circle:")
        else:
            st.success(
                f"Σ contributions = .grad, up to {s.max_sum_diff:.1e} (float32 rounding).",
                icon=":material/check_circle:",
            )

finish("Prediction Trace")
