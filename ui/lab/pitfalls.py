"""Grad Lab ⑥: common `.grad` mistakes, each run for real; with *Predict first* on, the learner (or the room)
says what will happen before the outcome is shown."""

from __future__ import annotations

import streamlit as st

from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS, pitfall_prompt
from gradlab.settings.config import RunConfig
from ui.cache import get_net_pitfalls, get_pitfalls
from ui.predictions import gate


def pitfalls_panel(cfg: RunConfig, *, predict: bool = True, present: bool = False) -> None:
    """Each common mistake, run safely: the code, then (after the prediction) what happened, why, and the fix."""
    st.markdown(
        "Each common mistake runs safely right here. Read the code and predict what happens; then you see what "
        "PyTorch really did, why, and the fix."
        if predict
        else "Each common mistake runs safely right here; you see what PyTorch really did, why, and the fix."
    )
    if cfg.is_net:
        try:
            outcomes = get_net_pitfalls(cfg)
        except ValueError as err:  # data without the network's 2 features
            st.error(f"The network cannot run on this data: {err}.", icon=":material/error:")
            return
        st.caption("The network's own pitfalls, each run on a fresh `Net()` at its starting values.")
    else:
        outcomes = get_pitfalls(cfg)
    for p in outcomes:
        with st.expander(p.title, expanded=False):
            st.markdown("**The mistake**")
            st.code(p.wrong_code, language="python", wrap_lines=True)
            if not gate(pitfall_prompt(p), predict=predict, present=present):
                continue  # the outcome, its why and the fix wait for the prediction
            st.markdown(f"**What happens:** {BEHAVIOUR_WORDS[p.behaviour]}.")
            st.code(p.outcome, language="text", wrap_lines=True)
            if not predict:  # with a prediction, its verdict has said why
                st.markdown(f"**Why.** {p.why}")
            st.markdown("**The fix**")
            st.code(p.fix_code, language="python", wrap_lines=True)
            st.code(p.fixed_outcome, language="text", wrap_lines=True)
