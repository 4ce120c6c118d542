"""The teacher's class votes, inside a question's box in presentation mode (`ask_the_room`, `after_reveal`).

Flow: *Start class votes* (a room asking this question; the projector shows a QR code, the link and the room
code) → the count of votes, live → *Show votes* (bars or a histogram, no answer marked) → optionally *Vote
again* (a second round beside the first) → *Reveal* (PyTorch's answer on the projector and on every phone).
Another question's box offers *Ask the class*, which moves every phone to it.

Only this session holds the room's teacher token (`TICKET`); it never reaches the page, a link or a phone.
If the store fails (Redis down, a bad GRADLAB_REDIS_URL), the box says so and works as *Ask the room*:
*Reveal* still reveals on the projector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gradlab.lesson.room_questions import Asked
from gradlab.rooms.codes import display_code
from gradlab.rooms.errors import RoomError, RoomNotFound, StoreUnavailable, WrongPhase
from gradlab.rooms.state import RoomState
from gradlab.rooms.store import Ticket
from gradlab.settings.links import to_query
from gradlab.views.join_qr import qr_svg
from gradlab.views.vote_charts import round_specs
from ui import settings_state
from ui.keys import stable_key
from ui.votes.room import join_page_url, join_url, loopback, message, store

# Session keys, owned here.
TICKET = "gl_class_ticket"  # the room this session started: Ticket(code, token); the token lives only here
FLASH = "gl_class_flash"  # what a class-vote button's callback has to say, shown once on the next run
SEEN = "gl_class_seen"  # (code, version, votes in the open round): the live count reads the room only on a change

POLL_S = 0.5  # the live count's refresh: a vote is on the projector within about this (plus a rerun)
QR_PX = 240
FALLBACK = "Carry on with *Ask the room*: hands up, then *Reveal*. The phones reconnect by themselves."
ROOM_SETTINGS_DROPPED = ("present", "predict")  # how the teacher's page looks, not what the question is about


def ticket() -> Ticket | None:
    """The room this session teaches, if any."""
    found: Ticket | None = st.session_state.get(TICKET)
    return found


def _say(text: str, kind: str = "warning") -> None:
    st.session_state[FLASH] = (kind, text)


def _flash() -> None:
    said = st.session_state.pop(FLASH, None)
    if said is not None:
        kind, text = said
        (st.info if kind == "info" else st.warning)(text, icon=":material/how_to_vote:")


def _settings() -> dict[str, str]:
    """The teacher's settings as a link query (only what differs from the defaults), as the room carries them."""
    query = to_query(settings_state.values(), settings_state.own_data())
    kept = {k: v for k, v in query.items() if k not in ROOM_SETTINGS_DROPPED}
    # Data too long for a room's setting (400 characters) is named, not carried: the question's text and
    # answer come from the teacher's run anyway.
    return {k: (v if len(v) <= 400 else "(too long to show)") for k, v in kept.items()}


def _safely(step: Callable[..., Any], *args: Any) -> Any:
    """Run a store step from a button; its error becomes the next run's message (an ended room is forgotten)."""
    try:
        return step(*args)
    except RoomNotFound:
        st.session_state.pop(TICKET, None)
        _say("The class room has ended or expired (after 3 hours without a vote or a step). Start a new one.")
    except RoomError as err:
        _say(message(err))
    return None


# --- the buttons' callbacks ------------------------------------------------------------------------------------
def _start(item: Asked) -> None:
    made = _safely(store().start, item.question, _settings()) if _store_ok() else None
    if made is not None:
        st.session_state[TICKET] = made
        st.session_state.pop(SEEN, None)


def _store_ok() -> bool:
    try:
        store()
    except StoreUnavailable as err:
        _say(message(err))
        return False
    return True


def _ask(item: Asked) -> None:
    t = ticket()
    if t is not None and _store_ok():
        _safely(store().ask, t.code, t.token, item.question, _settings())


def _show() -> None:
    t = ticket()
    if t is not None and _store_ok():
        _safely(store().show, t.code, t.token)


def _revote() -> None:
    t = ticket()
    if t is not None and _store_ok():
        _safely(store().revote, t.code, t.token)


def _end() -> None:
    t = ticket()
    st.session_state.pop(TICKET, None)
    if t is not None and _store_ok():
        _safely(store().end, t.code, t.token)
    _say("Class votes ended: the room code no longer works.", "info")


def _reveal(item: Asked, on_reveal: Callable[..., None], args: Sequence[Any]) -> None:
    """*Reveal*: on the projector always, and on every phone when the room is asking this question."""
    on_reveal(*args)
    t = ticket()
    if t is None or not _store_ok():
        return
    try:
        s = store().state(t.code)
        if s.question is not None and s.question.question_id == item.question_id:
            store().reveal(t.code, t.token, item.answer)
    except WrongPhase:
        pass  # revealed already (another tab of this session)
    except RoomNotFound:
        st.session_state.pop(TICKET, None)
        _say("The class room has ended or expired, so the phones did not get the answer.")
    except RoomError as err:
        _say(f"{message(err)} The answer is on the projector only.")


# --- drawing -----------------------------------------------------------------------------------------------------
def _read(t: Ticket) -> RoomState | None:
    """The room now, or None after saying why not (an ended room is forgotten)."""
    try:
        return store().state(t.code)
    except RoomNotFound:
        st.session_state.pop(TICKET, None)
        st.info("The class room has ended or expired (after 3 hours without a vote or a step).", icon=":material/info:")
    except RoomError as err:
        st.warning(
            f"{message(err)} {FALLBACK}",
            icon=":material/cloud_off:",
        )
    return None


def ask_the_room(
    item: Asked, *, on_reveal: Callable[..., None], args: Sequence[Any] = (), reveal_label: str = "Reveal"
) -> None:
    """Under a question asked of the room: *Reveal*, and class votes on phones (start, ask, count, show, again)."""
    _flash()
    key = item.question_id

    def reveal(row: DeltaGenerator, kind: Literal["primary", "secondary"] = "primary") -> None:
        row.button(reveal_label, key=f"reveal_{key}", on_click=_reveal, args=(item, on_reveal, tuple(args)), type=kind)

    def end(row: DeltaGenerator) -> None:
        row.button("End class votes", key=f"class_end_{key}", on_click=_end, icon=":material/logout:")

    t = ticket()
    s = None if t is None else _read(t)
    if t is None or s is None:
        row = st.container(horizontal=True)
        reveal(row)
        if ticket() is None:
            row.button(
                "Start class votes",
                key=f"class_start_{key}",
                on_click=_start,
                args=(item,),
                icon=":material/qr_code_2:",
                help="Students vote on their phones: the projector shows a QR code to join, then how many have voted.",
            )
        return
    if s.question is None or s.question.question_id != item.question_id:
        _join_line(s, key)
        row = st.container(horizontal=True)
        reveal(row)
        row.button("Ask the class", key=f"class_ask_{key}", on_click=_ask, args=(item,), icon=":material/how_to_vote:",
                   help="Every phone in the room moves to this question.")  # fmt: skip
        end(row)
        return

    def controls() -> None:
        row = st.container(horizontal=True)
        showing = s.phase in ("voting", "closed")
        if showing:
            row.button("Show votes", key=f"class_show_{key}", on_click=_show, icon=":material/bar_chart:",
                       type="primary")  # fmt: skip
        if s.round == 1 and s.phase in ("closed", "shown"):
            row.button("Vote again", key=f"class_again_{key}", on_click=_revote, icon=":material/replay:",
                       help="A second round, after the room has argued: both rounds side by side.")  # fmt: skip
        reveal(row, "secondary" if showing else "primary")
        end(row)

    if s.phase == "voting" and s.round == 1:  # the room is joining: the QR code beside the count
        left, right = st.columns([3, 2])
        with left:
            _live_count(s)
            controls()
        with right:
            _join_panel(s.code)
        return
    _charts(s)  # round 1 stays up while round 2 is open
    if s.phase == "voting":
        _live_count(s)
    _join_line(s, key)
    controls()


def after_reveal(item: Asked) -> None:
    """Under a revealed answer: the rounds' votes, if the class voted on this question."""
    _flash()
    t = ticket()
    if t is None:
        return
    try:
        s = store().state(t.code)
    except RoomError:
        return  # the answer is on screen; the votes can wait
    if s.question is not None and s.question.question_id == item.question_id:
        _charts(s)
        _join_line(s, item.question_id)


def _live_count(s: RoomState) -> None:
    """How many have voted in the open round, refreshed every POLL_S (the version first: one cheap read)."""
    code, asked, round_ = s.code, s.asked, s.round
    st.session_state[SEEN] = (code, s.version, s.votes[round_ - 1])

    @st.fragment(run_every=POLL_S)
    def count() -> None:
        seen = st.session_state.get(SEEN)
        try:
            version = store().version(code)
            if seen is None or seen[:2] != (code, version):
                now = store().state(code)
                if (now.asked, now.round, now.phase) != (asked, round_, "voting"):
                    st.rerun()  # moved on elsewhere (another tab): draw the box again
                seen = (code, version, now.votes[round_ - 1])
                st.session_state[SEEN] = seen
        except RoomError as err:
            st.warning(f"{message(err)} {FALLBACK}", icon=":material/cloud_off:")
            return
        n = seen[2]
        label = "Votes so far" if round_ == 1 else "Votes in round 2"
        with st.container(key="gl-class-count"):
            st.metric(label, f"{n}", help="Each phone counts once; a changed vote replaces the old one.")
        st.caption("Voting is open. Press *Show votes* when the room is done.")

    count()


def _join_panel(code: str, where: str = "") -> None:
    """The QR code, the join page and the room code, large enough to read from the back of the room."""
    with st.container(key=f"gl-class-join{where}"):
        st.markdown(
            f'<div class="gl-qr-box" role="img" aria-label="QR code of the join link">{qr_svg(join_url(code), QR_PX)}'
            "</div>",
            unsafe_allow_html=True,
        )
        st.markdown(f"Join at **{join_page_url()}** · code **{display_code(code)}**")
        if loopback():
            st.caption(
                "Phones cannot open this computer's own address: serve GradLab on the network "
                "(`--server.address=0.0.0.0`)."
            )


def _join_line(s: RoomState, where: str) -> None:
    """One line for latecomers, with the QR code one click away."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(f":material/how_to_vote: Class votes: join at {join_page_url()}, code **{s.display_code}**")
    with row.popover("QR code", icon=":material/qr_code_2:"):
        _join_panel(s.code, "-" + stable_key("q", where))


def _charts(s: RoomState) -> None:
    """The visible rounds' votes side by side, no answer marked."""
    assert s.question is not None
    if not s.tallies:
        return
    if not any(t.total for t in s.tallies):
        st.markdown("No votes yet.")
        return
    specs = round_specs(s.question, s.tallies, present=True)
    for col, spec in zip(st.columns(len(specs)), specs, strict=True):
        col.vega_lite_chart(spec, width="stretch", theme=None)
