"""Quiz: the card's question, concept checks, and numeric questions computed from your settings."""

from __future__ import annotations

import streamlit as st

from ui.layout import page

settings = page(
    "Quiz",
    "Pick an answer to get immediate feedback. Questions marked :red-badge[LIVE] are computed from your current "
    "sidebar settings by real autograd, so they change when you change the settings.",
)

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
from gradlab.quiz import grade, score
from ui.cache import get_quiz
from ui.keys import stable_key

questions = get_quiz(settings.config)
keys = {q.qid: stable_key("quiz", q.qid, q.options) for q in questions}
answers = {
    q.qid: q.options.index(st.session_state[keys[q.qid]])
    for q in questions
    if st.session_state.get(keys[q.qid]) is not None
}


def _reset() -> None:
    for key in keys.values():
        st.session_state.pop(key, None)


right, answered = score(answers, questions)
c1, c2, c3 = st.columns([1, 1, 1])
c1.metric("score", f"{right} / {len(questions)}")
c2.metric("answered", f"{answered} / {len(questions)}")
c3.button("Reset the quiz", on_click=_reset, width="stretch")

for n, q in enumerate(questions, start=1):
    with st.container(border=True):
        choice = st.radio(
            f"**{n}. {q.prompt}**" + ("  :red-badge[LIVE]" if q.live else ""),
            options=list(q.options),
            index=None,
            key=keys[q.qid],
        )
        if choice is not None:
            fb = grade(q, q.options.index(choice))
            if fb.correct:
                st.success(f"Correct. {fb.explanation}", icon=":material/check_circle:")
            else:
                st.error(f"Not quite: the answer is **{fb.right_answer}**. {fb.explanation}", icon=":material/cancel:")
