"""Prediction Trace for the network (`model=net`): one sample through the real layers, and its share of every `.grad`.

The numbers come from `gradlab.probes.net_sample.trace_net_sample` (cached in `ui.cache`); the questions, asked
before the shares are shown as on the linear page (sign, then value), from `gradlab.lesson.net_prompts`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson.net_prompts import net_share_sign, net_share_value, net_value_is_asked
from gradlab.probes.net_sample import hidden_text, loss_term_text, net_sum_table, output_text, share_table, tanh_text
from ui.cache import get_net_sample, get_trace
from ui.panels import divergence_box
from ui.predictions import committed, gate
from ui.sidebar import Settings

# The network's steps for one sample: four through its layers and the loss, then the two that need backward().
NET_STEPS: tuple[str, ...] = (
    "1. Input features",
    "2. Hidden layer: pre-activation z = hidden(x)",
    "3. Activation: h = tanh(z)",
    "4. Output layer: ŷ = out(h)",
    "5. Loss term",
    "6. This sample's share of every .grad",
    "7. Every sample's share adds up to .grad",
)


def net_prediction_trace(settings: Settings) -> None:
    """Pick a sample and an epoch; its path through the layers; its share of each .grad after a prediction."""
    cfg, present = settings.config, settings.present
    trace = get_trace(cfg)
    divergence_box(trace)
    if len(trace) == 0:
        st.info("The run stopped before its first epoch finished, so there is no epoch to follow a sample through.")
        return
    c1, c2 = st.columns(2)
    row = c1.selectbox(
        "Sample (row of X)",
        options=list(range(cfg.n_samples)),
        format_func=lambda r: f"row {r + 1}: x = {vec(cfg.X[r])}, y = {num(cfg.y[r])}",
        key=f"ptn_row_{cfg.n_samples}",
    )
    epoch = c2.slider("Epoch", 1, len(trace), 1, key=f"ptn_epoch_{len(trace)}") if len(trace) > 1 else 1
    s = get_net_sample(trace, int(epoch), int(row))

    with st.container(border=True):
        st.header(NET_STEPS[0])
        features = ", ".join(f"**x[{j}] = {num(v)}**" for j, v in enumerate(s.x))
        st.markdown(f"Sample {row + 1} of {s.n_samples}: {features}, target **y = {num(s.y)}**.")
    with st.container(border=True):
        st.header(NET_STEPS[1])
        st.markdown(
            f"At epoch {epoch}'s parameters, `model.hidden` (W = hidden.weight, b = hidden.bias) gives each of the "
            f"{len(s.z)} hidden units a weighted sum of the features:"
        )
        st.code(hidden_text(s), language="text", wrap_lines=True)
    with st.container(border=True):
        st.header(NET_STEPS[2])
        st.markdown(
            "`model.act` squashes each pre-activation into (−1, 1). Its slope, 1 − h², is the factor by which "
            "backward() scales the gradient passing back through that unit:"
        )
        st.code(tanh_text(s), language="text", wrap_lines=True)
    with st.container(border=True):
        st.header(NET_STEPS[3])
        st.code(output_text(s), language="text", wrap_lines=True)
    with st.container(border=True):
        st.header(NET_STEPS[4])
        st.code(loss_term_text(s), language="text", wrap_lines=True)

    # The sign first, then the value; a sign of "zero" (the learner's guess or PyTorch's answer) already is a value.
    sign = net_share_sign(s)
    revealed = gate(sign, predict=settings.predict, present=present)
    answer = committed(sign)
    if revealed and net_value_is_asked(s, None if answer is None else answer.guess):
        revealed = gate(net_share_value(s), predict=settings.predict, present=present)
    if not revealed:
        return
    with st.container(border=True):
        st.header(NET_STEPS[5])
        st.markdown(
            "The gradient of this sample's share of the loss alone, (ŷ − y)²/N, with respect to each parameter: by "
            "autograd (`torch.autograd.grad` of that one term) and by the chain rule by hand, g = 2/N·(ŷ − y) → "
            "out.bias: g, out.weight: g·h, hidden.bias: g·out.weight·(1 − h²), hidden.weight: that times x."
        )
        header, rows = share_table(s)
        st.table(pd.DataFrame(rows, columns=header).set_index("entry"))
        st.caption(f"Autograd and the chain rule by hand differ by at most {num(s.max_hand_diff, 2)}.")
    with st.container(border=True):
        st.header(NET_STEPS[6])
        st.markdown(
            "Every sample contributes; each parameter's `.grad` is their sum. Every sample's share, the sum, and "
            "the `.grad` read from the tensors:"
        )
        header, rows = net_sum_table(s)
        st.table(pd.DataFrame(rows, columns=header).set_index("entry"))
        if s.accumulated:
            st.warning(
                "Zeroing is set to *never*, so `.grad` also holds every earlier epoch's gradient: it is the running "
                "sum, not just this epoch's Σ shares. That is gradient accumulation."
            )
        elif s.max_sum_diff == 0:
            st.success("Σ shares = .grad exactly.", icon=":material/check_circle:")
        else:
            st.success(
                f"Σ shares = .grad, up to {num(s.max_sum_diff, 2)} (float32 rounding).", icon=":material/check_circle:"
            )
