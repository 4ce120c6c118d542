"""`RoomStore`: the one API of class votes, its rules in one place, its data in a `Backend` (memory or Redis).

Every method takes the room code as typed or linked (parsed strictly, BadCode otherwise). Teacher steps
take the room's teacher token and check it before anything else (NotTeacher). Errors are `RoomError`s whose
message can be shown as it is; a backend that cannot answer raises StoreUnavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from gradlab.rooms import steps
from gradlab.rooms.bounds import Limits
from gradlab.rooms.codes import check_token, check_voter, new_code, new_token, parse_code, token_hash
from gradlab.rooms.errors import BallotMoved, RoomNotFound, StoreUnavailable, VoteRejected
from gradlab.rooms.question import Question, Reveal, Value, check_settings, check_vote
from gradlab.rooms.state import RoomState, Tally, visible
from gradlab.rooms.steps import Header, Snapshot

_TRIES = 8  # compare-and-set attempts of one teacher step (another step on the same room can win a race)


class Backend(Protocol):
    """Where rooms live. Each method is atomic; `limits` are applied by `create` and `put_vote`."""

    limits: Limits

    def create(self, code: str, header: Header) -> bool:
        """Store a new room; False if the code is taken; ServerFull at `limits.max_rooms` open rooms."""

    def header(self, code: str) -> Header | None:
        """The room's header, or None if there is no such room (or it expired)."""

    def snapshot(self, code: str, voter: str | None) -> Snapshot | None:
        """Header, vote counts, the visible rounds' votes and `voter`'s current vote, read at one instant."""

    def version(self, code: str) -> int | None:
        """The room's version alone (the cheap poll), or None."""

    def update(self, code: str, expect: Header, new: Header) -> bool:
        """Write `new` (version + 1) if the room still matches `expect` (same_ballot), else False.

        A new `asked` empties both rounds. RoomNotFound if the room is gone. Refreshes the idle expiry.
        """

    def put_vote(self, code: str, voter: str, asked: int, round_: int, value: Value) -> int:
        """Record (or replace) `voter`'s vote on ballot (`asked`, `round_`) if it is still open; the new version.

        RoomNotFound, VoteRejected (the ballot closed or moved on meanwhile), RateLimited, RoomFull.
        """

    def delete(self, code: str) -> None:
        """Forget the room and its votes (nothing if it is gone already)."""


@dataclass(frozen=True)
class Ticket:
    """What `start` hands the teacher's session: the room `code` and the secret `token` (left out of repr)."""

    code: str
    token: str = field(repr=False)


class RoomStore:
    """Class-vote rooms on one backend; safe to share between sessions and threads (the backend is)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def limits(self) -> Limits:
        return self.backend.limits

    # The teacher's steps -------------------------------------------------------------------------------

    def start(self, question: Question | None = None, settings: Mapping[str, str] | None = None) -> Ticket:
        """A new room, "waiting" (or "voting" on `question`); ServerFull when the store holds its most rooms."""
        token = new_token()
        header = Header(token_hash(token), settings=check_settings(settings or {}))
        if question is not None:
            header = steps.ask(header, question, None)
        while True:  # a taken code is a 1-in-2**35-per-room event: draw again
            code = new_code()
            if self.backend.create(code, header):
                return Ticket(code, token)

    def check_teacher(self, code: str, token: str) -> None:
        """Nothing if `token` is the teacher token of room `code`; RoomNotFound or NotTeacher otherwise."""
        code = parse_code(code)
        check_token(token, self._header(code).token_hash)

    def ask(self, code: str, token: str, question: Question, settings: Mapping[str, str] | None = None) -> RoomState:
        """Ask `question` (round 1, votes emptied, reveal hidden), with new `settings` or, if None, the same."""
        return self._step(code, token, lambda h: steps.ask(h, question, settings))

    def close(self, code: str, token: str) -> RoomState:
        """Stop this round's voting (WrongPhase unless voting)."""
        return self._step(code, token, steps.close)

    def show(self, code: str, token: str) -> RoomState:
        """Show this round's votes, closing it if open (WrongPhase unless voting or closed)."""
        return self._step(code, token, steps.show)

    def revote(self, code: str, token: str) -> RoomState:
        """Open the empty round 2 (WrongPhase unless round 1 is closed or shown)."""
        return self._step(code, token, steps.revote)

    def reveal(self, code: str, token: str, answer: Reveal) -> RoomState:
        """Reveal `answer`, closing the round if open (WrongPhase before a question or after a reveal)."""
        return self._step(code, token, lambda h: steps.reveal(h, answer))

    def end(self, code: str, token: str) -> None:
        """End the room: its code stops working at once and its votes are forgotten."""
        self.check_teacher(code, token)
        self.backend.delete(parse_code(code))

    # What everyone may do --------------------------------------------------------------------------------

    def state(self, code: str, voter: str | None = None) -> RoomState:
        """The room now (join = the first call); with `voter`, that voter's vote in this round as `my_vote`."""
        code = parse_code(code)
        snap = self.backend.snapshot(code, None if voter is None else check_voter(voter))
        if snap is None:
            raise RoomNotFound()
        return _room_state(code, snap)

    def version(self, code: str) -> int:
        """The room's version: poll this, and read `state` only when it changed."""
        code = parse_code(code)
        found = self.backend.version(code)
        if found is None:
            raise RoomNotFound()
        return found

    def vote(self, code: str, voter: str, value: object, *, asked: int, round: int) -> int:
        """Count `voter`'s `value` on ballot (`asked`, `round`) of `state`, replacing their earlier vote there.

        The ballot is the one the voter's page shows, so a stale page cannot vote on a newer question or round.
        Returns the room's new version. VoteRejected (why), RateLimited, RoomFull, RoomNotFound.
        """
        code = parse_code(code)
        voter = check_voter(voter)
        h = self._header(code)
        if h.phase != "voting" or h.question is None:
            raise VoteRejected("Voting is closed." if h.question is not None else "No question has been asked yet.")
        if (asked, round) != (h.asked, h.round):
            raise BallotMoved()
        return self.backend.put_vote(code, voter, h.asked, h.round, check_vote(h.question, value))

    # ----------------------------------------------------------------------------------------------------

    def _header(self, code: str) -> Header:
        h = self.backend.header(code)
        if h is None:
            raise RoomNotFound()
        return h

    def _step(self, code: str, token: str, step: Callable[[Header], Header]) -> RoomState:
        code = parse_code(code)
        for _ in range(_TRIES):
            h = self._header(code)
            check_token(token, h.token_hash)
            if self.backend.update(code, h, step(h)):
                return self.state(code)
        raise StoreUnavailable("The room is changing too fast to take this step; try again.")


def _room_state(code: str, snap: Snapshot) -> RoomState:
    h = snap.header
    rounds = range(1, h.round + 1)
    tallies: tuple[Tally, ...] = ()
    if h.question is not None:
        q = h.question
        tallies = tuple(Tally.of(q, r, snap.ballots.get(r, [])) for r in rounds if visible(h.phase, h.round, r))
    return RoomState(
        code=code,
        phase=h.phase,
        round=h.round,
        asked=h.asked,
        version=h.version,
        question=h.question,
        settings=MappingProxyType(dict(h.settings)),
        votes=tuple(snap.counts[r - 1] for r in rounds),
        tallies=tallies,
        reveal=h.reveal if h.phase == "revealed" else None,
        my_vote=snap.my_vote,
    )
