"""Join: a student's phone in a class vote, opened from the projector's QR code (`/Join?room=CODE`).

Not a lesson page: it is left out of the lesson's navigation and draws no sidebar, only the room's question.
"""

from __future__ import annotations

import streamlit as st

from ui.votes.phone import FAVICON, join_page

st.set_page_config(page_title="Class vote · GradLab", page_icon=FAVICON, layout="centered",
                   initial_sidebar_state="collapsed")  # fmt: skip
join_page()
