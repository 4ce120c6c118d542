"""This session's progress, for the home page: pages visited, predictions made and right, quiz first try."""

from __future__ import annotations

import streamlit as st

from gradlab.lesson import quizbook
from gradlab.settings.config import RunConfig
from ui.cache import get_net_quiz, get_quiz
from ui.guide import PATH, Step, visited
from ui.predictions import tally
from ui.quiz_panel import book


def progress_panel(config: RunConfig, *, present: bool = False) -> None:
    """Where this learner is on the path, with a link to every page.

    Projected (`present`), the path's links stay, but the scores are the teacher's own: they sit in a closed
    expander, one click away, instead of in front of the room.
    """
    seen = set() if present else visited()
    steps = PATH[1:]
    with st.container(border=True, key="gl-progress"):
        if present:
            with st.expander("Your own progress (not shown to the room)", expanded=False, icon=":material/lock:"):
                _scores(config, steps)
        else:
            st.header("Your progress")
            _scores(config, steps)
        cols = st.columns(len(steps))
        for col, s in zip(cols, steps, strict=True):
            with col:
                st.page_link(s.path, label=s.label, icon=":material/check_circle:" if s.label in seen else s.icon)
                st.caption(s.blurb)


def _scores(config: RunConfig, steps: tuple[Step, ...]) -> None:
    """Pages visited, predictions right, quiz first try."""
    seen = visited()
    right, made = tally()
    score = quizbook.score(book(), get_net_quiz(config) if config.is_net else get_quiz(config))
    c1, c2, c3 = st.columns(3)
    c1.metric("pages visited", f"{sum(s.label in seen for s in steps)} / {len(steps)}")
    c2.metric("predictions right", f"{right} / {made}")
    c3.metric("quiz, first try", f"{score.first_right} / {score.total}", help=score.text)
