"""A tab bar that reopens on the tab that was open, after a page switch too.

A keyed, tracked `st.tabs` keeps the open tab across reruns of its page, but Streamlit forgets a widget's value
in any run that does not draw it, so a page switch and back reopened the first tab. The open tab is also kept
here, under a session key of this module's own, and put back before the bar is drawn again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

OPEN = "gl_open_tabs"  # session key: {tab bar key: label of its open tab}


def kept_tabs(labels: Sequence[str], key: str) -> Sequence[Any]:
    """`st.tabs(labels, key=key)`, tracked (a tab switch reruns and only the open tab is drawn), that reopens
    on the tab last open in this session."""
    ss = st.session_state
    remembered: dict[str, str] = ss.setdefault(OPEN, {})
    if key not in ss and remembered.get(key) in labels:
        ss[key] = remembered[key]  # the bar was not drawn last run: open the tab that was open
    tabs = st.tabs(list(labels), key=key, on_change="rerun")
    if ss.get(key) in labels:
        remembered[key] = ss[key]
    return tabs
