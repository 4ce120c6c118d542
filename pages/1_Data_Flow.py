"""Data Flow: the card's five stages, each run for real, with the tensors PyTorch produced."""

from __future__ import annotations

import streamlit as st

from ui.layout import page

settings = page(
    "Data Flow",
    "The five stages of one training step, in order. Each box ran as its own PyTorch line; the tensors "
    "are printed exactly as PyTorch prints them. Watch `.grad`: **None** until stage 5, `backward()`.",
)

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
import pandas as pd

from gradlab.graph import graph_for
from gradlab.model import code_lines
from ui.cache import get_card_comparison, get_stages
from ui.nudge_panel import nudge_section
from ui.render import show_graph, tensor_table

cfg = settings.config
run = get_stages(cfg)

for stage in run.stages:
    with st.container(border=True):
        st.subheader(f"{stage.number}. {stage.title}")
        left, right = st.columns([1, 1])
        with left:
            st.markdown(f"{stage.description}\n\n**{stage.input_shape} → {stage.output_shape}**")
            st.code(stage.code, language="python", wrap_lines=True)
        with right:
            for t in stage.tensors:
                st.code(f"{t.name}\n{t.text}", language="python", wrap_lines=True)
                if t.note:
                    st.caption(t.note)
        st.table(tensor_table(stage.tensors))
    if stage.number < len(run.stages):
        st.markdown("<div style='text-align:center;font-size:2rem'>↓</div>", unsafe_allow_html=True)

nudge_section(cfg, big=settings.present)

with st.expander("The backward graph behind stage 5", expanded=not settings.present):
    st.markdown(
        "`loss.backward()` walks this graph from the loss down to the leaves. Each box is a `grad_fn`; "
        "`AccumulateGrad` **adds** into the leaf's `.grad`, which is why gradients accumulate."
    )
    show_graph(graph_for(cfg))

rows = get_card_comparison(cfg)
with st.container(border=True):
    st.subheader(":material/warning: The learning card vs PyTorch")
    if rows is None:
        st.markdown("You are using your own data, so the card's printed figures do not apply.")
    else:
        st.markdown(
            "The card this lesson grew from prints hand-written figures for this exact setup. "
            "They are wrong, and not even consistent with each other. PyTorch computes:"
        )
        st.table(
            pd.DataFrame(
                {"quantity": [r.quantity for r in rows], "the card prints": [r.card for r in rows],
                 "PyTorch computes": [r.pytorch for r in rows]}
            ).set_index("quantity")
        )  # fmt: skip
        st.caption("Lesson: never trust a printed gradient you can recompute. `loss.backward()` is one line away.")

with st.expander("Show the code: the whole step in one block", expanded=False):
    lines = code_lines(cfg)
    st.code("\n".join(lines[k] for k in ("data", "init", "forward", "loss", "backward", "grad")), language="python")
