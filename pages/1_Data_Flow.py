"""Data Flow: the card's five stages, each run for real, with the tensors PyTorch produced."""

from __future__ import annotations

import streamlit as st

from ui.layout import finish, page

settings = page(
    "Data Flow",
    "One forward and backward pass in five stages. Each stage below ran as its own PyTorch line, and every "
    "tensor is printed exactly as PyTorch prints it. Watch what `.grad` holds from one stage to the next.",
    step="Data Flow",
    net_intro="One forward and backward pass of `model = Net()` in five stages. Each stage below ran as its own "
    "PyTorch line, and every tensor is printed exactly as PyTorch prints it. Watch what `.grad` holds from one stage "
    "to the next, on the parameters and on the hidden activation h.",
)

if settings.config.is_net:  # the network (issue 21): its own stages, questions and sections
    from ui.net.flow import net_data_flow

    net_data_flow(settings)
    finish("Data Flow")
    st.stop()

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
from gradlab.lesson.prompts import data_flow_prompts
from gradlab.lesson.sentences import run_it_note
from gradlab.probes.graph import graph_for
from gradlab.runs.code import step_script
from ui.cache import get_card_comparison, get_stages
from ui.guide import CARD_INTRO
from ui.nudge_panel import nudge_section
from ui.predictions import gate
from ui.render import card_table, show_graph, stage_box

cfg, present = settings.config, settings.present
run = get_stages(cfg)
# What the learner predicts before a stage is shown: a fresh leaf's .grad, then backward()'s result.
asks = data_flow_prompts(run, cfg)

shown_all = True
for stage in run.stages:
    if not all(gate(p, predict=settings.predict, present=present) for p in asks.get(stage.number, [])):
        shown_all = False
        break
    stage_box(stage, present=present)
    if stage.number < len(run.stages):
        st.markdown("<div style='text-align:center;font-size:2rem'>↓</div>", unsafe_allow_html=True)

if shown_all:
    nudge_section(cfg, present=present)

    with st.expander("The backward graph behind stage 5", expanded=not present):
        st.markdown(
            "`loss.backward()` walks this graph from the loss down to the leaves. Blue boxes are `grad_fn` nodes, "
            "the operations autograd recorded in the forward pass; green boxes are the leaf tensors w and b. "
            "Each yellow `AccumulateGrad` node **adds** into its leaf's `.grad`, which is why gradients accumulate."
        )
        show_graph(graph_for(cfg), present=present)

    rows = get_card_comparison(cfg)
    with st.container(border=True):
        st.header(":material/warning: The learning card vs PyTorch")
        if rows is None:
            st.markdown(f"GradLab grew from {CARD_INTRO}. You are using your own data, so its figures do not apply.")
        else:
            st.markdown(
                f"GradLab grew from {CARD_INTRO}. For this exact setup it prints figures that are wrong, and not "
                "even consistent with each other. PyTorch computes:"
            )
            st.table(card_table(rows))
            st.caption("Lesson: never trust a printed gradient you can recompute. `loss.backward()` is one line away.")

    with st.expander("Show the code: the five stages in one block", expanded=False):
        st.code(step_script(cfg, run.device), language="python", wrap_lines=True)
        st.caption(run_it_note(run.device))

finish("Data Flow")
