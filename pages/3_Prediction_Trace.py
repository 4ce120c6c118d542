"""Prediction Trace: one sample through the card's five layers, at one epoch of the current run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.predict import trace_sample
from ui.cache import get_trace
from ui.layout import page
from ui.panels import divergence_box

settings = page(
    "Prediction Trace",
    "Follow one sample through the five layers of the card: its features, the linear layer, its share of "
    "the loss, its share of the gradient, and how all samples' shares add up to `.grad`.",
    icon="🔎",
)
cfg = settings.config
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
n = s.n_samples
x_names = [f"x{j + 1}" for j in range(len(s.x))]

with st.container(border=True):
    st.subheader("Layer 1 · Input features")
    st.markdown(f"Sample {row + 1} of {n}: " + ", ".join(f"**{a} = {num(v)}**" for a, v in zip(x_names, s.x, strict=True)) + f", target **y = {num(s.y)}**.")

with st.container(border=True):
    st.subheader("Layer 2 · Linear layer")
    products = " + ".join(f"{num(v)}·{num(wj)}" for v, wj in zip(s.x, s.w, strict=True))
    st.markdown(f"At epoch {epoch}, w = {vec(s.w)} and b = {num(s.b)}:")
    st.code(f"y_hat = x1·w1 + x2·w2 + b\n      = {products} + {num(s.b)}\n      = {' + '.join(num(t) for t in s.terms)} + {num(s.b)}\n      = {num(s.y_hat)}", language="text")

with st.container(border=True):
    st.subheader("Layer 3 · Loss term")
    st.code(
        f"y_hat − y        = {num(s.y_hat)} − {num(s.y)} = {num(s.residual)}\n"
        f"(y_hat − y)²     = {num(s.sq_error)}\n"
        f"share of loss    = (y_hat − y)² / N = {num(s.sq_error)} / {n} = {num(s.loss_share)}\n"
        f"whole batch loss = mean over all {n} samples = {num(s.batch_loss)}",
        language="text",
    )

with st.container(border=True):
    st.subheader("Layer 4 · Backward pass (.backward())")
    st.markdown(
        "This sample's contribution to the gradient, by hand, 2/N·(ŷ−y)·x, and by autograd "
        "(`backward()` on this sample's share of the loss alone):"
    )
    st.table(
        pd.DataFrame(
            {
                "by hand 2/N·(ŷ−y)·x": [num(v) for v in (*s.formula_w, s.formula_b)],
                "autograd": [num(v) for v in (*s.contrib_w, s.contrib_b)],
            },
            index=[f"∂/∂w{j + 1}" for j in range(len(s.x))] + ["∂/∂b"],
        )
    )

with st.container(border=True):
    st.subheader("Layer 5 · Access the .grad attribute")
    st.markdown("Every sample contributes; `.grad` is their sum. Summed contributions beside the `.grad` read from the tensors:")
    table = pd.DataFrame(
        [[f"row {r + 1}", *[num(v) for v in cw], num(cb)] for r, (cw, cb) in enumerate(zip(s.all_contrib_w, s.all_contrib_b, strict=True))]
        + [["Σ contributions", *[num(v) for v in s.sum_w], num(s.sum_b)], [".grad (from the tensors)", *[num(v) for v in s.grad_w], num(s.grad_b)]],
        columns=["", *[f"w{j + 1}.grad" for j in range(len(s.x))], "b.grad"],
    ).set_index("")
    st.table(table)
    if s.accumulated:
        st.warning(
            "Zeroing is set to *never*, so `.grad` also holds every earlier epoch's gradient: it is the running "
            "sum, not just this epoch's Σ contributions. That is gradient accumulation."
        )
    else:
        st.success(f"Σ contributions = .grad, up to {s.max_sum_diff:.1e} (float32 rounding).", icon="✅")
