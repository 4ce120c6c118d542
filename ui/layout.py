"""The page skeleton: page config → sidebar → theme → title → intro → notes."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.a11y import browser_aids
from ui.cookie import refused_note, restore, save
from ui.guide import Experiment, experiment_banner, next_step, visit
from ui.perf import freeze_loaded_libraries
from ui.settings_state import link_notes, take_repairs
from ui.sidebar import Settings, sidebar

_HERE = Path(__file__).parent
# Static CSS only (no user text): larger, high-contrast type for projectors.
_PRESENT_CSS = (_HERE / "present.css").read_text(encoding="utf-8")
_BASE_CSS = (_HERE / "base.css").read_text(encoding="utf-8")
# A local file: a Material-icon favicon is fetched from Google's font service, an emoji one costs ~0.1 s to
# validate on a cold server. This one (∇ on the theme colour) is served by the app itself.
_FAVICON = str(_HERE / "favicon.png")
SIDEBAR_FOLDED = "gl_sidebar_folded"  # session key: the sidebar's first state was chosen (once per session)


def page(title: str, intro: str, *, step: str, net_intro: str | None = None) -> Settings:
    """Set up a page the same way everywhere and return the sidebar's settings.

    `step` is the page's label on the guided path (`ui.guide.PATH`); the visit counts towards progress.
    `net_intro`, when given, replaces `intro` while the sidebar's model is the network (`model=net`).
    """
    st.set_page_config(page_title=f"{title} · GradLab", page_icon=_FAVICON, layout="wide")
    settings = sidebar(step)
    if settings.present and not st.session_state.get(SIDEBAR_FOLDED):
        # A projector shows the lesson, not the settings (still one click away). Only when a session opens in
        # presentation mode: a teacher who turns it on in the sidebar keeps the sidebar open.
        st.set_page_config(initial_sidebar_state="collapsed")
    st.session_state[SIDEBAR_FOLDED] = True
    restore()  # once per session: what this browser kept from before a reload
    visit(step)
    freeze_loaded_libraries()
    # One <style> block: Markdown ends an HTML block at the line that closes it, so a second block on that line
    # would be shown as text.
    st.markdown(
        "<style>\n" + _BASE_CSS + (_PRESENT_CSS if settings.present else "") + "\n</style>", unsafe_allow_html=True
    )
    browser_aids()  # focus kept after a rerun, decorative icons silent
    st.title(title)
    experiment_banner()  # a setting an experiment changed says so, with one click back
    st.markdown(net_intro if net_intro is not None and settings.config.is_net else intro)
    for note in link_notes():
        st.warning(note, icon=":material/link:")
    for problem in take_repairs():
        st.warning(problem, icon=":material/warning:")
    refused_note()
    if settings.device_note:
        st.info(settings.device_note, icon=":material/info:")
    if settings.own_data:
        st.caption("Using **your own data** from the Grad Lab page. Reset it there or with *Reset settings*.")
    return settings


def finish(step: str, experiment: Experiment | None = None) -> None:
    """End a page the same way everywhere: the next step on the path, and progress kept for a reload."""
    next_step(step, experiment)
    save()
