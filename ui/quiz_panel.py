"""The quiz: answers kept for the session, first attempts scored, and a classroom reveal in presentation mode."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from gradlab.lesson import quizbook
from ui.keys import stable_key

if TYPE_CHECKING:  # gradlab.lesson.quiz loads torch; the answer book must not
    from gradlab.lesson.quiz import Question

BOOK = "quiz_book"  # {slot: Attempt}: plain session state, kept across page switches and reruns
GENERATION = "quiz_gen"  # bumped by Reset, so every radio starts empty for real
_MARKUP = re.compile(r"[`*_]")


def book() -> quizbook.Book:
    """This session's answers."""
    return st.session_state.setdefault(BOOK, {})


def plain(text: str) -> str:
    """A prompt without Markdown marks: the radio group's accessible name."""
    return _MARKUP.sub("", text)


def _badge(q: Question) -> str:
    if q.live:
        return " :red-badge[LIVE · " + ", ".join(q.depends_on) + "]"
    return " :blue-badge[from your data]" if q.from_data else ""


def _radio_key(q: Question) -> str:
    return stable_key(f"quiz_{st.session_state.get(GENERATION, 0)}", q.qid, q.key)


def _picked(q: Question, key: str) -> None:
    choice = st.session_state.get(key)
    if choice is not None:
        quizbook.record(book(), q, choice)


def reset() -> None:
    """Clear every answer, score and reveal, and draw every radio empty."""
    st.session_state[BOOK] = {}
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


def score_bar(questions: Sequence[Question], present: bool) -> None:
    """First-try and current scores, and the reset button."""
    s = quizbook.score(book(), questions, revealed_only=present)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("first try", f"{s.first_right} / {s.total}", help="Only the first answer to each question counts here.")
    c2.metric("now", f"{s.now_right} / {s.total}", help="Right answers after retries.")
    c3.metric("answered", f"{s.answered} / {s.total}")
    c4.button("Reset the quiz", on_click=reset, width="stretch", help="Clear every answer and both scores.")
    if present:
        st.caption("Presentation mode: a question's answer and score stay hidden until you press its *Reveal*.")
    if s.stale:
        st.caption(f"{s.stale} answer(s) were for other settings; those questions are marked *answer again*.")


def question_card(n: int, q: Question, present: bool) -> None:
    """One question: prompt, options, and feedback that never lets a retry change the first-try score."""
    b = book()
    with st.container(border=True, key=f"quiz-q-{q.qid}"):
        st.markdown(f"**{n}. {q.prompt}**{_badge(q)}")
        if quizbook.status(b, q) == "stale":
            st.warning("Settings changed: answer again. Your earlier answer was for other settings.")
        got = quizbook.attempt(b, q)
        key = _radio_key(q)
        st.radio(
            f"{n}. {plain(q.prompt)}",
            options=list(q.options),
            index=None if got is None else got.current,
            key=key,
            on_change=_picked,
            args=(q, key),
            label_visibility="collapsed",
        )
        if present and not quizbook.is_revealed(b, q):
            st.button("Reveal the answer", key=f"quiz_reveal_{q.qid}", on_click=quizbook.reveal, args=(b, q))
            return
        _feedback(q, quizbook.attempt(b, q), revealed=present)


def _feedback(q: Question, got: quizbook.Attempt | None, *, revealed: bool) -> None:
    if revealed:
        st.success(f"**Answer: {q.right}.** {q.explanation}", icon=":material/campaign:")
        return
    if got is None:
        return
    if got.current == q.answer and got.first_correct:
        st.success(f"Correct on the first try. {q.explanation}", icon=":material/check_circle:")
    elif got.current == q.answer:
        st.info(
            f"Right now. Your first answer, *{quizbook.picked(q, got, 'first')}*, was not, so the first-try score "
            "keeps it as wrong. "
            f"{q.explanation}",
            icon=":material/replay:",
        )
    else:
        st.error(f"Not quite: *{quizbook.picked(q, got)}* is not right. Try another option.", icon=":material/cancel:")
        with st.expander("Show the answer and why"):
            st.markdown(f"**{q.right}.** {q.explanation}")
