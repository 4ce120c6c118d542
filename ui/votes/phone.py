"""A student's phone in a class vote (pages/9_Join.py, `/Join?room=CODE`): one lean screen, big targets.

The page shows the room's current question and nothing else: big A/B/C/D buttons (or a number box), the
student's vote, and PyTorch's answer once the teacher reveals it. The question is a fragment (a vote redraws only
it), and a second fragment polls the room's version every POLL_S seconds and redraws the page when the teacher
moves on. A student sends only an option index or a number; the store checks it against the question. The
student is an anonymous voter id (`?v=` in this page's own address, so a reload keeps the vote), never a name.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gradlab.fmt import num
from gradlab.rooms.codes import check_voter, display_code, new_voter_id, parse_code
from gradlab.rooms.errors import BadCode, BallotMoved, RateLimited, RoomError, RoomNotFound, VoteRejected
from gradlab.rooms.question import Question, letter
from gradlab.rooms.state import RoomState
from ui.votes.room import message, store

# Session keys, owned here.
VOTER = "gl_join_voter"  # this phone's anonymous voter id
POLLED = "gl_join_polled"  # the room version the poll last read
SHOWN = "gl_join_shown"  # what the body drew last: (asked, round, phase), "gone" or "down"
NOTE = "gl_join_note"  # what the last vote's callback has to say ((kind, text)), shown once

POLL_S = 2.0  # how often a phone asks whether the teacher moved on (and how long it may lag behind)
CODE_PARAM, VOTER_PARAM = "room", "v"
_CSS = (Path(__file__).with_name("phone.css")).read_text(encoding="utf-8")
FAVICON = str(Path(__file__).resolve().parent.parent / "favicon.png")

_PHASE_NOTE = {
    "closed": "Voting is closed. Wait for your teacher.",
    "shown": "The votes are on the projector. Talk it over with your neighbours.",
}


def _voter() -> str:
    """This phone's voter id: from its own link (a reload keeps it), else this session's, else a new one."""
    ss = st.session_state
    linked = st.query_params.get(VOTER_PARAM)
    try:
        voter = check_voter(linked)
    except VoteRejected:
        voter = ss.get(VOTER) or new_voter_id()
    ss[VOTER] = voter
    if linked != voter:
        st.query_params[VOTER_PARAM] = voter
    return voter


def _note(kind: str, text: str) -> None:
    st.session_state[NOTE] = (kind, text)


def _vote(code: str, voter: str, value: float | int | None, asked: int, round_: int) -> None:
    if value is None:
        _note("warning", "Type a number first.")
        return
    try:
        store().vote(code, voter, value, asked=asked, round=round_)
    except BallotMoved:
        _note("info", "The teacher moved on: here is the current question.")
    except RateLimited as err:
        _note("warning", str(err))
    except RoomNotFound:
        pass  # the redraw says the room is gone
    except RoomError as err:
        _note("warning", f"{message(err)} Your vote was not counted; try again in a moment.")
    else:
        st.session_state.pop(NOTE, None)


def _vote_number(code: str, voter: str, key: str, asked: int, round_: int) -> None:
    _vote(code, voter, st.session_state.get(key), asked, round_)


def _show_note() -> None:
    said = st.session_state.pop(NOTE, None)
    if said is not None:
        kind, text = said
        (st.info if kind == "info" else st.warning)(text)


def _code_form(problem: str | None = None) -> None:
    """No usable code in the link: ask for one (typed codes are parsed as strictly as linked ones)."""
    if problem:
        st.error(problem, icon=":material/error:")
    with st.form("gl_join_code", border=False):
        typed = st.text_input("Room code (on the projector)", max_chars=40, placeholder="K7P-2Q9M")
        if st.form_submit_button("Join", type="primary", width="stretch"):
            try:
                st.query_params[CODE_PARAM] = parse_code(typed)
            except BadCode as err:
                st.error(str(err), icon=":material/error:")
            else:
                st.rerun()


def _your_vote(q: Question, mine: float | int | None) -> str:
    if mine is None:
        return "You have not voted in this round."
    if q.kind == "choice":
        return f"Your vote: **{letter(int(mine))}** · {q.options[int(mine)]}"
    return f"Your vote: **{num(float(mine))}**"


def _choices(s: RoomState, q: Question, voter: str) -> None:
    for i, label in enumerate(q.options):
        chosen = s.my_vote == i
        st.button(
            f"{letter(i)} · {label}",
            key=f"vote_{s.asked}_{s.round}_{i}",
            on_click=_vote,
            args=(s.code, voter, i, s.asked, s.round),
            type="primary" if chosen else "secondary",
            icon=":material/check_circle:" if chosen else None,
            width="stretch",
        )


def _number(s: RoomState, voter: str) -> None:
    key = f"vote_number_{s.asked}_{s.round}"
    with st.form(f"gl_vote_{s.asked}_{s.round}", border=False):
        st.number_input("Your answer", value=None, step=None, format="%g", key=key)
        st.form_submit_button(
            "Vote", type="primary", width="stretch", on_click=_vote_number, args=(s.code, voter, key, s.asked, s.round)
        )


def _draw(s: RoomState, voter: str) -> None:
    q = s.question
    if q is None:
        st.info("You are in. Wait for your teacher's first question.", icon=":material/hourglass_top:")
        return
    if s.round == 2 and s.phase == "voting":
        st.markdown(":material/replay: **Second vote:** after talking it over, vote again.")
    st.markdown(q.prompt)
    if s.phase == "voting":
        (_choices if q.kind == "choice" else lambda s, q, v: _number(s, v))(s, q, voter)
        change = ". You may change it until voting closes." if s.my_vote is not None else ""
        st.caption(_your_vote(q, s.my_vote) + change)
    elif s.phase == "revealed" and s.reveal is not None:
        st.success(f"PyTorch: **{s.reveal.answer}**. {s.reveal.why}", icon=":material/campaign:")
        st.caption(_your_vote(q, s.my_vote))
    else:
        st.info(_PHASE_NOTE.get(s.phase, "Wait for your teacher."), icon=":material/forum:")
        st.caption(_your_vote(q, s.my_vote))
    _show_note()


def _body(code: str, voter: str) -> None:
    """The room's question and this phone's vote: a fragment, so a vote (or the poll) redraws only this."""

    @st.fragment
    def body() -> None:
        ss = st.session_state
        try:
            s = store().state(code, voter)
        except RoomNotFound:
            ss[SHOWN] = "gone"
            st.error(
                "This class room is closed: it has ended, or expired after 3 hours without a vote. "
                "Ask your teacher for the new code.",
                icon=":material/door_front:",
            )
            _code_form()
            return
        except RoomError as err:
            ss[SHOWN] = "down"
            st.warning(
                f"{message(err)} This page tries again by itself; your teacher can carry on with hands up.",
                icon=":material/cloud_off:",
            )
            return
        ss[SHOWN], ss[POLLED] = (s.asked, s.round, s.phase), s.version
        _draw(s, voter)

    body()


def _poll(code: str) -> None:
    """Every POLL_S: has the room moved on from what the body shows? Then draw the page again.

    The room's version first (one cheap read); the room itself only when that changed. Votes change the
    version too, but not what a phone shows, so most polls end there.
    """

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        ss = st.session_state
        shown = ss.get(SHOWN)
        try:
            version = store().version(code)
            if version == ss.get(POLLED) and shown not in ("down", "gone"):
                return
            now = store().state(code)
            ss[POLLED] = version
            seen: object = (now.asked, now.round, now.phase)
        except RoomNotFound:
            seen = "gone"
        except RoomError:
            seen = "down"
        if seen != shown:  # the teacher moved on (a rare event): draw the page again
            st.rerun()

    poll()


def join_page() -> None:
    """The whole student page: the room from the link (or a typed code), its question, and the poll."""
    st.markdown(f"<style>\n{_CSS}\n</style>", unsafe_allow_html=True)
    with st.container(key="gl-join"):
        st.title("Class vote")
        linked = st.query_params.get(CODE_PARAM)
        if not linked:
            _code_form()
            return
        try:
            code = parse_code(linked)
        except BadCode as err:
            _code_form(f"The room code in this link is not valid. {err} Type the code from the projector.")
            return
        voter = _voter()
        st.caption(f"Room **{display_code(code)}** · anonymous: no name is asked or kept.")
        _body(code, voter)
    if st.session_state.get(SHOWN) != "gone":
        _poll(code)
