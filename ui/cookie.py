"""Progress that survives a reload: kept in a cookie of this browser, read back once per session.

A reload starts a new Streamlit session with empty session state; the cookie brings back the pages visited,
the quiz answers and the predictions. A cookie belongs to the browser, not to a link, so sharing a link never
shares answers. It holds nothing but that progress.
"""

from __future__ import annotations

import json

import streamlit as st

from gradlab.lesson.progress import Progress, decode, encode
from ui.guide import PATH, VISITED
from ui.predictions import records
from ui.quiz_panel import book

COOKIE = "gradlab_progress"
MAX_AGE_S = 30 * 24 * 60 * 60
# Session keys, owned here.
READ = "gl_memory_read"  # the cookie was read back (once per session)
WRITTEN = "gl_memory_written"  # the progress text last written to the cookie


def restore() -> None:
    """Once per session: bring back what this browser kept (never overriding anything done in this session)."""
    ss = st.session_state
    if ss.get(READ):
        return
    ss[READ] = True
    try:
        text = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (a test harness): nothing to restore
        return
    kept = decode(text, [s.label for s in PATH])
    ss.setdefault(VISITED, set()).update(kept.pages)
    answers = book()
    for slot, attempt in kept.quiz.items():
        answers.setdefault(slot, attempt)
    made = records()
    for key, p in kept.predictions.items():
        made.setdefault(key, p)
    ss[WRITTEN] = text


def save() -> None:
    """Write this session's progress to the cookie when it changed (a hidden script; no element is shown)."""
    ss = st.session_state
    progress = Progress(
        pages=set(ss.get(VISITED, set())),
        quiz=dict(book()),
        predictions=dict(records()),
    )
    text = encode(progress)
    if text == ss.get(WRITTEN):
        return
    ss[WRITTEN] = text
    cookie = f"{COOKIE}={text}; path=/; max-age={MAX_AGE_S}; SameSite=Lax"
    with st.container(key="gl-memory"):
        st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)
