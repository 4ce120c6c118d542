"""What a page reads of a room: one frozen `RoomState`, with a `version` to compare between polls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gradlab.rooms.codes import display_code
from gradlab.rooms.question import Question, Reveal, Value

# waiting: no question yet · voting · closed: no more votes, nothing shown · shown: the round's votes are
# shown · revealed: PyTorch's answer is shown. A second round goes voting → closed → shown again.
Phase = Literal["waiting", "voting", "closed", "shown", "revealed"]
PHASES: tuple[Phase, ...] = ("waiting", "voting", "closed", "shown", "revealed")


def visible(phase: Phase, round_: int, which: int) -> bool:
    """Whether round `which`'s votes may be shown: an earlier round, or this round once shown or revealed.

    While a round is open or closed only its count is public, so that no one votes with the crowd.
    """
    return which < round_ or (which == round_ and phase in ("shown", "revealed"))


@dataclass(frozen=True)
class Tally:
    """The votes of one round: `counts` per option (choice) or the sorted `values` (number); `total` votes."""

    round: int
    total: int
    counts: tuple[int, ...] = ()
    values: tuple[float, ...] = ()

    @classmethod
    def of(cls, question: Question, round_: int, votes: Sequence[Value]) -> Tally:
        """Count `votes` (checked values) for `question`."""
        if question.kind == "choice":
            counts = [0] * len(question.options)
            for v in votes:
                counts[int(v)] += 1
            return cls(round_, len(votes), counts=tuple(counts))
        return cls(round_, len(votes), values=tuple(sorted(float(v) for v in votes)))

    def histogram(self, low: float, high: float, bins: int = 10) -> tuple[int, ...]:
        """Counts of `values` in `bins` equal bins over [low, high] (the last bin includes `high`)."""
        if bins < 1 or not low < high:
            raise ValueError("histogram needs bins ≥ 1 and low < high")
        out = [0] * bins
        width = (high - low) / bins
        for v in self.values:
            if low <= v <= high:
                out[min(int((v - low) / width), bins - 1)] += 1
        return tuple(out)


@dataclass(frozen=True)
class RoomState:
    """A room as one reader sees it at one `version`.

    `votes[r - 1]` is the number of votes in round r (rounds 1..`round`), always public; `tallies` holds
    only the rounds whose votes may be shown (see `visible`). `my_vote` is the reading voter's vote in the
    current round (None when not asked for, or not cast). `asked` counts the questions asked so far, so
    (`asked`, `round`) names one ballot: a vote names the ballot it answers. `version` grows with every
    change (each vote included): a poller that sees the same version can skip its redraw.
    """

    code: str
    phase: Phase
    round: int
    asked: int
    version: int
    question: Question | None
    settings: Mapping[str, str]
    votes: tuple[int, ...]
    tallies: tuple[Tally, ...]
    reveal: Reveal | None
    my_vote: Value | None = None

    @property
    def display_code(self) -> str:
        """The code as the projector shows it ('K7P-2Q9M')."""
        return display_code(self.code)

    @property
    def accepting(self) -> bool:
        """Whether a vote on the current ballot would be counted now (bounds aside)."""
        return self.phase == "voting"

    def tally(self, round_: int) -> Tally | None:
        """Round `round_`'s tally if it may be shown, else None."""
        return next((t for t in self.tallies if t.round == round_), None)
