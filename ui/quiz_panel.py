"""The quiz: answers kept for the session, first attempts scored, and a classroom reveal in presentation mode.

An answer counts when the learner presses *Check* (a radio and its button form one `st.form`), so a mis-click
on an option is never a wrong first try. In presentation mode the teacher's own score stays folded away.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from gradlab.lesson import quizbook
from gradlab.rooms.question import letter
from ui.keys import stable_key

if TYPE_CHECKING:  # gradlab.lesson.quiz loads torch; the answer book must not
    from gradlab.lesson.quiz import Question

BOOK = "quiz_book"  # {slot: Attempt}: plain session state, kept across page switches and reruns
GENERATION = "quiz_gen"  # bumped by Reset, so every radio starts empty for real
UNPICKED = "quiz_unpicked"  # {radio key}: *Check* pressed with no option picked (the card says so)


def book() -> quizbook.Book:
    """This session's answers."""
    return st.session_state.setdefault(BOOK, {})


def plain(text: str) -> str:
    """A prompt without Markdown marks (bold, italics, code): the radio group's accessible name.

    Identifiers stay whole: `requires_grad` and `optimizer.zero_grad()` keep their underscores, which the
    quiz never uses as emphasis, so a screen reader says what the code says.
    """
    return text.replace("**", "").replace("`", "").replace("*", "")


def _badge(q: Question) -> str:
    if q.live:
        return " :red-badge[LIVE · " + ", ".join(q.depends_on) + "]"
    return " :blue-badge[from your data]" if q.from_data else ""


def _radio_key(q: Question) -> str:
    return stable_key(f"quiz_{st.session_state.get(GENERATION, 0)}", q.qid, q.key)


def _checked(q: Question, key: str) -> None:
    """*Check*: record the option the form holds (the first recorded answer is the one that scores)."""
    choice = st.session_state.get(key)
    unpicked = st.session_state.setdefault(UNPICKED, set())
    if choice is None:
        unpicked.add(key)
        return
    unpicked.discard(key)
    quizbook.record(book(), q, choice)


def reset() -> None:
    """Clear every answer, score and reveal, and draw every radio empty."""
    st.session_state[BOOK] = {}
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


def score_bar(questions: Sequence[Question], present: bool) -> None:
    """First-try and current scores, and the reset button; folded away on a projector (the teacher's own)."""
    if present:
        with st.expander(":material/visibility_off: Your own score (not shown to the room)", expanded=False):
            _scores(questions, present)
        st.caption("Presentation mode: a question's answer and score stay hidden until you press its *Reveal*.")
        return
    _scores(questions, present)


def _scores(questions: Sequence[Question], present: bool) -> None:
    s = quizbook.score(book(), questions, revealed_only=present)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("first try", f"{s.first_right} / {s.total}", help="Only the first answer to each question counts here.")
    c2.metric("now", f"{s.now_right} / {s.total}", help="Right answers after retries.")
    c3.metric("answered", f"{s.answered} / {s.total}")
    c4.button("Reset the quiz", on_click=reset, width="stretch", help="Clear every answer and both scores.")
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
        letters = {option: f"{letter(i)} · {option}" for i, option in enumerate(q.options)}
        with st.form(key=f"form_{key}", border=False):
            st.radio(
                f"{n}. {plain(q.prompt)}",
                options=list(q.options),
                format_func=letters.__getitem__,
                index=None if got is None else got.current,
                key=key,
                label_visibility="collapsed",
            )
            st.form_submit_button("Check", on_click=_checked, args=(q, key))
        if key in st.session_state.get(UNPICKED, set()):
            st.warning("Pick an option first, then *Check*.", icon=":material/touch_app:")
        if present:
            from gradlab.lesson.room_questions import from_quiz
            from ui.votes.teacher import after_reveal, ask_the_room  # class votes load only on a projector

            item = from_quiz(q, n)
            if not quizbook.is_revealed(b, q):
                ask_the_room(item, on_reveal=quizbook.reveal, args=(b, q), reveal_label="Reveal the answer")
                return
            _feedback(q, quizbook.attempt(b, q), revealed=True)
            after_reveal(item)
            return
        _feedback(q, quizbook.attempt(b, q), revealed=False)


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
