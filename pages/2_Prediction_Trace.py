"""Prediction Trace: one sample through the card's five steps, at one epoch of the current run."""

from __future__ import annotations

import streamlit as st

from ui.layout import finish, page

settings = page(
    "Prediction Trace",
    "Follow one sample through one pass in five steps: its features, the linear layer, its share of the loss, its "
    "share of the gradient, and how every sample's share adds up to `.grad`. The learning card this lesson grew "
    "from calls these steps *layers*, but the model has one layer, ŷ = Xw + b (step 2); the other steps are the "
    "computation around it.",
    step="Prediction Trace",
    net_intro="Follow one sample through one pass of `model = Net()`: its features, the hidden layer's "
    "pre-activation z, the tanh activation h, the output ŷ, its share of the loss, and then its share of every "
    "parameter's `.grad`, and how every sample's share adds up to `.grad`.",
)

if settings.config.is_net:  # the network (issue 21): real layers, one sample's share of each .grad
    from ui.guide import NET_EXPERIMENTS
    from ui.net.sample import net_prediction_trace

    net_prediction_trace(settings)
    finish("Prediction Trace", NET_EXPERIMENTS["Prediction Trace"])
    st.stop()

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
import pandas as pd

from gradlab.fmt import num, vec
from gradlab.lesson.prompts import share_sign, share_value, value_is_asked
from gradlab.lesson.sentences import trace_step
from gradlab.probes.sample import contribution_table, linear_text, loss_text, sum_table, trace_sample
from ui.cache import get_trace
from ui.panels import divergence_box
from ui.predictions import committed, gate

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
    st.header(trace_step(1))
    features = ", ".join(f"**x{j + 1} = {num(v)}**" for j, v in enumerate(s.x))
    st.markdown(f"Sample {row + 1} of {s.n_samples}: {features}, target **y = {num(s.y)}**.")

with st.container(border=True):
    st.header(trace_step(2))
    st.markdown(f"At epoch {epoch}, w = {vec(s.w)} and b = {num(s.b)}:")
    st.code(linear_text(s), language="text", wrap_lines=True)

with st.container(border=True):
    st.header(trace_step(3))
    st.code(loss_text(s), language="text", wrap_lines=True)

# The sign first, then the value; but a sign of "zero" (the learner's guess or PyTorch's answer) already is a value.
sign = share_sign(s)
revealed = gate(sign, predict=settings.predict, present=present)
answer = committed(sign)
if revealed and value_is_asked(s, None if answer is None else answer.guess):
    revealed = gate(share_value(s), predict=settings.predict, present=present)
if revealed:
    with st.container(border=True):
        st.header(trace_step(4))
        st.markdown(
            "This sample's contribution to the gradient, by hand, 2/N·(ŷ−y)·x, and by autograd "
            "(`backward()` on this sample's share of the loss alone):"
        )
        st.table(pd.DataFrame(contribution_table(s)).set_index("parameter"))

    with st.container(border=True):
        st.header(trace_step(5))
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
                f"Σ contributions = .grad, up to {num(s.max_sum_diff, 2)} (float32 rounding).",
                icon=":material/check_circle:",
            )

finish("Prediction Trace")
