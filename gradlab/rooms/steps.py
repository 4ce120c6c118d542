"""The teacher's steps as pure functions of a room's header: which phase allows which step, and what it changes.

Both backends apply the result with a compare-and-set on (`asked`, `phase`, `round`), so a step decided on a
header that another replica has since changed is decided again, never applied to the wrong room state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from gradlab.rooms.errors import WrongPhase
from gradlab.rooms.question import Question, Reveal, Value, check_settings
from gradlab.rooms.state import Phase

_WHERE: dict[Phase, str] = {
    "waiting": "no question has been asked yet",
    "voting": "voting is still open",
    "closed": "voting is closed",
    "shown": "the votes are already shown",
    "revealed": "the answer is already revealed",
}


@dataclass(frozen=True)
class Header:
    """A room without its votes: what a teacher step reads and writes. `version` is the backend's to bump."""

    token_hash: str
    phase: Phase = "waiting"
    round: int = 1
    asked: int = 0
    version: int = 1
    question: Question | None = None
    settings: dict[str, str] = field(default_factory=dict)
    reveal: Reveal | None = None

    def same_ballot(self, other: Header) -> bool:
        """The compare of compare-and-set: nothing a step decides on has changed."""
        return (self.asked, self.phase, self.round) == (other.asked, other.phase, other.round)


@dataclass(frozen=True)
class Snapshot:
    """What a backend reads for a page: the header, the votes per round, and one voter's vote.

    `counts` = (votes in round 1, votes in round 2). `ballots[r]` holds round r's votes at least for every
    round that `state.visible` allows (a backend may hold more; the store shows only those).
    """

    header: Header
    counts: tuple[int, int]
    ballots: Mapping[int, list[Value]]
    my_vote: Value | None


def _need(h: Header, allowed: tuple[Phase, ...], what: str) -> None:
    if h.phase not in allowed:
        raise WrongPhase(f"Cannot {what}: {_WHERE[h.phase]}.")


def ask(h: Header, question: Question, settings: Mapping[str, str] | None) -> Header:
    """A new question (or the same one again): round 1, voting, no votes, no reveal; settings kept if None."""
    if not isinstance(question, Question):
        raise TypeError("ask() takes a Question")
    kept = h.settings if settings is None else check_settings(settings)
    return replace(h, phase="voting", round=1, asked=h.asked + 1, question=question, settings=kept, reveal=None)


def close(h: Header) -> Header:
    """No more votes in this round; nothing is shown yet."""
    _need(h, ("voting",), "close voting")
    return replace(h, phase="closed")


def show(h: Header) -> Header:
    """Show this round's votes (closing the round if it is still open)."""
    _need(h, ("voting", "closed"), "show the votes")
    return replace(h, phase="shown")


def revote(h: Header) -> Header:
    """Open round 2 (empty) after round 1 closed or was shown."""
    _need(h, ("closed", "shown"), "start a second vote")
    if h.round != 1:
        raise WrongPhase("Cannot start a third vote: a question has at most two rounds.")
    return replace(h, phase="voting", round=2)


def reveal(h: Header, answer: Reveal) -> Header:
    """Show PyTorch's answer (closing the round if it is still open)."""
    if not isinstance(answer, Reveal):
        raise TypeError("reveal() takes a Reveal")
    _need(h, ("voting", "closed", "shown"), "reveal the answer")
    assert h.question is not None  # every phase but "waiting" has one
    answer.check(h.question)
    return replace(h, phase="revealed", reveal=answer)
