"""Predict, then reveal: a learner commits to an answer before PyTorch's is shown; a room votes before *Reveal*.

A prediction is kept per question *and* per answer (its `signature`): change the settings so that the answer
changes, and the question is asked again. Verdicts come from `gradlab.lesson.guess`, from the same autograd numbers
the page reveals.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import streamlit as st

from gradlab.lesson.guess import Verdict, tolerance_text
from gradlab.lesson.progress import Prediction
from gradlab.rooms.question import letter
from ui.keys import stable_key

if TYPE_CHECKING:  # the questions are built by gradlab.lesson.prompts, which loads torch
    from gradlab.lesson.prompts import Prompt
    from gradlab.lesson.room_questions import Asked

# Session keys, owned here.
RECORDS = "gl_predictions"  # {key: Prediction}
SESSION_TOKEN = "gl_session_token"  # a random token per session: keeps this session's notes apart from restored ones
EMPTY = "gl_predict_empty"  # {flag}: *Lock in* pressed with nothing picked (the page says so)


def records() -> dict[str, Prediction]:
    """This session's predictions."""
    return st.session_state.setdefault(RECORDS, {})


def _key(p: Prompt) -> str:
    return stable_key("pred", p.pid, p.signature)


def committed(p: Prompt) -> Prediction | None:
    """What this session recorded for `p` (a guess, or a room's *Reveal* with guess None), or None while it is
    still open. Read-only: for a page that must know whether, and how, a question was answered."""
    return records().get(_key(p))


def _commit(p: Prompt, widget: str) -> None:
    guess = st.session_state.get(widget)
    if guess is None or guess == "":
        return
    text = repr(guess) if isinstance(guess, float) else str(guess)  # a number exactly as typed
    verdict = p.judge(text)
    records()[_key(p)] = Prediction(p.page, text, verdict.correct, verdict)


def _reveal(p: Prompt) -> None:
    records()[_key(p)] = Prediction(p.page, None, None)


def _verdict_of(p: Prompt, entry: Prediction) -> Verdict | None:
    """The verdict of a committed guess; rebuilt from the guess after a reload (None if it no longer fits)."""
    if entry.verdict is not None or entry.guess is None:
        return entry.verdict
    try:
        return p.judge(entry.guess)
    except ValueError:  # a guess from an older version of the question
        return None


def show_verdict(v: Verdict, options: Mapping[str, str] | None = None, *, answered_by: str = "PyTorch") -> None:
    """The learner's prediction beside PyTorch's answer (or Python's, where Python raised first), and why."""
    label = (options or {}).get(v.guess, v.guess)
    actual = (options or {}).get(v.actual, v.actual)
    text = f"**You predicted:** {label} · **{answered_by}:** {actual}. {v.why}"
    if v.correct:
        st.success(text, icon=":material/check_circle:")
    else:
        st.warning(text, icon=":material/lightbulb:")


def lettered(options: Mapping[str, str]) -> dict[str, str]:
    """Each option's label with its letter, "A · None", by option key, in order."""
    return {key: f"{letter(i)} · {label}" for i, (key, label) in enumerate(options.items())}


def options_list(labels: Iterable[str]) -> str:
    """The options as a Markdown list, one per line with its letter in bold (a room reads them off the wall)."""
    return "\n".join(f"- **{letter(i)}** {label}" for i, label in enumerate(labels))


def _flagged(p: Prompt) -> str:
    return stable_key("pred_empty", p.pid, p.signature)


def _submit(p: Prompt, widget: str) -> None:
    """*Lock in* (or Enter): commit what the form holds; with nothing picked or typed, say so instead."""
    guess = st.session_state.get(widget)
    if guess is None or guess == "":
        st.session_state.setdefault(EMPTY, set()).add(_flagged(p))
        return
    st.session_state.setdefault(EMPTY, set()).discard(_flagged(p))
    _commit(p, widget)


def gate(p: Prompt, *, predict: bool, present: bool) -> bool:
    """Ask `p` unless already answered; True when what it predicts may be shown.

    In presentation mode the question is asked of the room (*Ask the room*, or class votes on phones once the
    teacher starts them: `ui.votes.teacher`), and the answer waits for *Reveal*.
    """
    if not predict:
        return True
    entry = records().get(_key(p))
    verdict = None if entry is None else _verdict_of(p, entry)
    if entry is not None and entry.guess is not None and verdict is None:
        entry = None  # cannot be shown any more: ask again
    with st.container(border=True, key=f"gl-predict-{p.pid}"):
        if entry is not None:
            if verdict is None:
                st.success(f"**{p.question}** PyTorch: **{p.answer}**. {p.why}", icon=":material/campaign:")
            else:
                show_verdict(verdict, p.options)
            if present:
                from ui.votes.teacher import after_reveal  # class votes load only in presentation mode

                after_reveal(_room_item(p))
            return True
        if present:
            from ui.votes.teacher import ask_the_room

            st.markdown(f":material/groups: **Ask the room:** {p.question}")
            if p.options:
                st.markdown(options_list(p.options.values()))
            ask_the_room(_room_item(p), on_reveal=_reveal, args=(p,))
            return False
        _predict_form(p)
    return False


def _predict_form(p: Prompt) -> None:
    """The question, the answer widget and *Lock in* in one form: one click (or Enter) commits what is there.

    In a form the number box's value travels with the click itself; outside one, the first click only
    committed the typed number, and a button drawn disabled until then swallowed that click.
    """
    st.markdown(f":material/psychology: **Predict first:** {p.question}")
    widget = f"w_{_key(p)}"
    with st.form(key=f"form_{widget}", border=False):
        if p.options:
            st.radio(
                p.question,
                options=list(p.options),
                format_func=lettered(p.options).__getitem__,
                index=None,
                horizontal=True,
                key=widget,
                label_visibility="collapsed",
            )
        else:
            st.number_input("Your prediction", value=None, step=None, format="%g", key=widget)
            st.caption(f"Counts as right {tolerance_text()}. Press Enter or *Lock in*.")
        st.form_submit_button("Lock in my prediction", on_click=_submit, args=(p, widget), type="primary")
    if _flagged(p) in st.session_state.get(EMPTY, set()):
        st.warning("Pick an answer (or type a number) first, then *Lock in*.", icon=":material/touch_app:")
    st.caption("PyTorch's answer appears once you commit. *Predict first* in the sidebar turns these off.")


def _room_item(p: Prompt) -> Asked:
    from gradlab.lesson.room_questions import from_prompt

    return from_prompt(p)


def tally() -> tuple[int, int]:
    """(right, made) over this session's committed predictions."""
    made = [e.correct for e in records().values() if e.correct is not None]
    return sum(made), len(made)


def note(page: str, key: str, verdict: Verdict) -> None:
    """Count a verdict made outside `gate` (the lab's buttons, step-through) towards this session's progress.

    `key` makes a note unique within the session (the same key again replaces it); a token per session keeps it
    apart from the notes of an earlier session that the progress cookie brought back.
    """
    session = st.session_state.setdefault(SESSION_TOKEN, secrets.token_hex(4))
    records()[stable_key("note", session, page, key)] = Prediction(page, verdict.guess[:60], verdict.correct, verdict)
