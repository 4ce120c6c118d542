"""Grad Lab ⑥: common `.grad` mistakes, each run for real."""

from __future__ import annotations

import streamlit as st

from gradlab.settings.config import RunConfig
from ui.cache import get_pitfalls


def pitfalls_panel(cfg: RunConfig) -> None:
    """Each common mistake, run safely, with PyTorch's real answer, why, and the fix (projected: larger by CSS)."""
    st.markdown("Each common mistake runs safely right here; you see PyTorch's real answer, why, and the fix.")
    for p in get_pitfalls(cfg):
        with st.expander(p.title, expanded=False):
            st.markdown("**The mistake**")
            st.code(p.wrong_code, language="python", wrap_lines=True)
            st.markdown(f"**What PyTorch does** ({p.outcome_kind.replace('_', ' ')})")
            st.code(p.outcome, language="text", wrap_lines=True)
            st.markdown(f"**Why.** {p.why}")
            st.markdown("**The fix**")
            st.code(p.fix_code, language="python", wrap_lines=True)
            st.code(p.fixed_outcome, language="text", wrap_lines=True)
