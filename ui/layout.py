"""The page skeleton: page config → sidebar → theme → title → intro → notes."""

from __future__ import annotations

import streamlit as st

from ui.sidebar import Settings, sidebar

# Static CSS only (no user text): larger, high-contrast type for projectors.
_PRESENT_CSS = """
<style>
[data-testid="stMain"] { color: #000000; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.6rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 3.4rem !important; }
[data-testid="stMain"] h2 { font-size: 2.5rem !important; }
[data-testid="stMain"] h3 { font-size: 2.1rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.2rem !important; font-weight: 700; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1.5rem !important; }
[data-testid="stMain"] code, [data-testid="stMain"] pre, [data-testid="stCode"] * { font-size: 1.45rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.45rem !important; }
[data-testid="stMain"] label p, [data-testid="stMain"] button p { font-size: 1.4rem !important; }
[data-testid="stMain"] [data-testid="stAlertContentInfo"] p,
[data-testid="stMain"] [data-testid="stAlertContentWarning"] p,
[data-testid="stMain"] [data-testid="stAlertContentError"] p { font-size: 1.5rem; }
</style>
"""
_BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMetricValue"] { font-variant-numeric: tabular-nums; }
code { white-space: pre-wrap; }
</style>
"""


def page(title: str, intro: str, icon: str = "🧮") -> Settings:
    """Set up a page the same way everywhere and return the sidebar's settings."""
    st.set_page_config(page_title=f"{title} · GradLab", page_icon=icon, layout="wide")
    settings = sidebar()
    st.markdown(_BASE_CSS + (_PRESENT_CSS if settings.present else ""), unsafe_allow_html=True)
    st.title(title)
    st.markdown(intro)
    for note in st.session_state.get("gl_notes", []):
        st.warning(note, icon="🔗")
    if settings.device_note:
        st.info(settings.device_note, icon="ℹ️")
    if settings.own_data:
        st.caption("Using **your own data** from the Grad Lab page. Reset it there or with *Reset settings*.")
    return settings
